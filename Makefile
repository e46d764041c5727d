# Faultline: `make demo` runs the whole product on the embedded default;
# `make test` runs the whole suite against the PostgreSQL and Redis on this machine.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Tests run against real services; override to point elsewhere.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/faultline
TEST_REDIS_URL ?= redis://127.0.0.1:6379/9
TEST_ENV = DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) SECRET_KEY=only-for-the-test-suite-$(shell echo $$PPID)-not-secret \
	HTTPS=0 DEBUG=0 EMAIL_BACKEND=django.core.mail.backends.locmem.EmailBackend
ARGS ?=

.PHONY: demo test pytest lint format install install-dev services chromium clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

demo: install
	$(BIN)/python scripts/demo.py

services:
	scripts/services.sh

chromium:
	scripts/ensure-chromium.sh

lint: install-dev
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The whole suite, as CI runs it.
test: install-dev services chromium lint
	# Model/migration drift does not depend on the database: checked on the embedded default.
	DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run
	$(TEST_ENV) $(BIN)/pytest $(ARGS)

# Just the tests (services assumed up): make pytest ARGS="tests/chargers -x"
pytest: install-dev
	$(TEST_ENV) $(BIN)/pytest $(ARGS)

clean:
	rm -rf var .pytest_cache test-artifacts
