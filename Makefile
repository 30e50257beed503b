# `make run` (the default scenario), `make test` (lint + every test + the notebook + the docs
# site's strict build: what CI runs) and `make test-fast` (the edit loop: lint + the tests not
# marked slow or browser, under a minute). `make docs` / `make docs-serve`: the documentation site.
# Both create .venv with Python 3.12+ and install the project into it on first use.
VENV := .venv
BIN := $(VENV)/bin
# The first Python >= 3.12 found: on PATH, else under pyenv (pinned by .python-version).
PYTHON := $(shell for p in python3.12 python3.13 python3 $$(pyenv root 2>/dev/null)/versions/3.1[2-9]*/bin/python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null \
	&& { command -v $$p; break; }; done)

# The viz's browser assets (JS/CSS from the npm registry, see abm/viz/assets.py); the stamp
# file is written last, so an interrupted install runs again.
ASSETS := $(VENV)/share/abm/solara-cdn/.abm-assets.json

.PHONY: run test test-fast lint install clean chromium docs docs-serve tutorial-figures

$(BIN)/.installed: pyproject.toml
	@test -n "$(PYTHON)" || { echo "error: Python 3.12 or newer not found (try: pyenv install 3.12)" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	@touch $@

$(ASSETS): $(BIN)/.installed abm/viz/assets.py
	$(BIN)/python -m abm.viz.assets
	@touch $@

install: $(BIN)/.installed $(ASSETS)

run: install
	$(BIN)/abm run

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The browser test drives Debian's chromium (never a browser download); install it when missing.
chromium:
	@test -x /usr/bin/chromium || { echo "installing Debian's chromium for the browser test"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# The site's strict build, then the tests and the worked notebook (nbmake executes
# docs/notebooks/*.ipynb) in one pytest run.
test: lint chromium docs
	$(BIN)/python -m pytest --nbmake tests docs/notebooks

test-fast: lint
	$(BIN)/python -m pytest -q -m "not slow and not browser"

# The documentation site (mkdocs.yml): built with --strict (a broken link, a missing page or a
# stale anchor fails), then checked to load nothing from another host. The two variables quiet
# a banner some mkdocs plugins print about mkdocs' future.
DOCS_ENV := NO_MKDOCS_2_WARNING=1 DISABLE_MKDOCS_2_WARNING=true
docs: install
	$(DOCS_ENV) $(BIN)/mkdocs build --strict
	$(BIN)/python docs/scripts/check_offline.py site

docs-serve: install
	$(DOCS_ENV) $(BIN)/mkdocs serve --strict --dev-addr 127.0.0.1:8000

# Re-run the tutorial's commands; refresh its printed output and figures under docs/.
tutorial-figures: install
	$(BIN)/python docs/scripts/tutorial_figures.py

clean:
	rm -rf $(VENV) results site
