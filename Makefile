# `make run` (the default scenario), `make test` (lint + every test: what CI runs) and
# `make test-fast` (the edit loop: lint + the tests not marked slow or browser, under a minute).
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

.PHONY: run test test-fast lint install clean chromium

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

test: lint chromium
	$(BIN)/python -m pytest

test-fast: lint
	$(BIN)/python -m pytest -q -m "not slow and not browser"

clean:
	rm -rf $(VENV) results
