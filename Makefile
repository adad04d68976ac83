# The two commands the README promises:
#   make up    set up and run ccotel: the full stack where Docker runs, the local report where it does not
#   make test  set up and run the tests (what CI runs)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CCUSAGE_VERSION := 20.0.24

.PHONY: up test lint bench clean

$(BIN)/ccotel: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

tests/.oracle/node_modules/.bin/ccusage:
	npm install --loglevel=error --no-audit --no-fund --prefix tests/.oracle ccusage@$(CCUSAGE_VERSION)

test: $(BIN)/ccotel tests/.oracle/node_modules/.bin/ccusage
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: $(BIN)/ccotel
	$(BIN)/ruff check .

bench: $(BIN)/ccotel
	$(BIN)/python tests/bench/bench_hook.py

up: $(BIN)/ccotel
	$(BIN)/ccotel up

clean:
	rm -rf $(VENV) tests/.oracle
