# Two commands: `make run` (the default scenario) and `make test` (lint + tests).
# Both create .venv with Python 3.12+ and install the project into it on first use.
VENV := .venv
BIN := $(VENV)/bin
# The first Python >= 3.12 found: on PATH, else under pyenv (pinned by .python-version).
PYTHON := $(shell for p in python3.12 python3.13 python3 $$(pyenv root 2>/dev/null)/versions/3.1[2-9]*/bin/python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null \
	&& { command -v $$p; break; }; done)

.PHONY: run test lint install clean

$(BIN)/.installed: pyproject.toml
	@test -n "$(PYTHON)" || { echo "error: Python 3.12 or newer not found (try: pyenv install 3.12)" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	@touch $@

install: $(BIN)/.installed

run: $(BIN)/.installed
	$(BIN)/abm run

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) results
