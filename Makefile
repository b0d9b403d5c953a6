# Two commands for a newcomer: `make run` (the app with Azurite and the Partner Center sandbox) and `make test`.
# Both install whatever is missing from the repo's own files first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed

.PHONY: install run test lint typecheck pytest bench clean chromium

install: $(PY_STAMP) $(NODE_STAMP) chromium

$(PY_STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@

$(NODE_STAMP): package.json
	npm install --no-audit --no-fund --no-package-lock --loglevel=error
	@test -x node_modules/.bin/azurite
	@test -x node_modules/.bin/maildev
	@touch $@

# The console's browser tests drive Debian's Chromium through Playwright, which never downloads a browser here.
# apt installs it when it is missing (as root, else through sudo); otherwise this costs one `command -v`.
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
chromium:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends chromium >/dev/null; }
	@command -v chromium >/dev/null

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
