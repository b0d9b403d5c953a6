# Two commands for a newcomer: `make run` (the app with Azurite and the Partner Center sandbox) and `make test`.
# Both install whatever is missing from the repo's own files first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed

.PHONY: install run test lint typecheck pytest bench clean

install: $(PY_STAMP) $(NODE_STAMP)

$(PY_STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@

$(NODE_STAMP): package.json
	npm install --no-audit --no-fund --no-package-lock --loglevel=error
	@test -x node_modules/.bin/azurite
	@touch $@

run: install
	$(BIN)/python -m lib.local_stack

lint: install
	$(BIN)/ruff check .

typecheck: install
	$(BIN)/mypy

pytest: install
	$(BIN)/python -m pytest

test: install
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python -m bench.webhooks
	$(BIN)/python -m bench.partner_center
	$(BIN)/python -m bench.scan
	$(BIN)/python -m bench.fraud_poll

clean:
	rm -rf $(VENV) node_modules .mypy_cache .ruff_cache .pytest_cache
