# The two commands the README promises:
#   make up    set up and run ccotel: the full stack where Docker runs, the local report where it does not
#   make test  set up and run the tests (what CI runs)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CCUSAGE_VERSION := 20.0.24

.PHONY: up test e2e otelcol lint bench clean

# The test collector (upstream OpenTelemetry Collector components, collector/otelcol/): rebuilt only when its Go
# files change. Go may be off PATH on a fresh machine: /usr/local/go/bin/go is where this kind of machine has it.
GO ?= $(shell command -v go 2>/dev/null || { test -x /usr/local/go/bin/go && echo /usr/local/go/bin/go; })
OTELCOL := build/otelcol/ccotel-otelcol
OTELCOL_SRC := $(wildcard collector/otelcol/*.go collector/otelcol/*/*.go) collector/otelcol/go.mod collector/otelcol/go.sum

$(BIN)/ccotel: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

tests/.oracle/node_modules/.bin/ccusage:
	npm install --loglevel=error --no-audit --no-fund --prefix tests/.oracle ccusage@$(CCUSAGE_VERSION)

otelcol: $(OTELCOL)

$(OTELCOL): $(OTELCOL_SRC)
	@test -n "$(GO)" || { echo "make otelcol: Go is not installed (need Go 1.26 on PATH or at /usr/local/go/bin/go)" >&2; exit 1; }
	@mkdir -p $(@D)
	cd collector/otelcol && $(GO) build -trimpath -ldflags='-s -w' -o $(CURDIR)/$@ .

test: $(BIN)/ccotel tests/.oracle/node_modules/.bin/ccusage $(OTELCOL)
	$(BIN)/ruff check .
	@rm -f build/e2e/summary.txt
	@status=0; $(BIN)/python -m pytest || status=$$?; \
	  tail -n 1 build/e2e/summary.txt 2>/dev/null || echo "pipeline e2e: no summary (the suite did not run)"; \
	  exit $$status

# The pipeline end to end (tests/e2e): real hook -> the built collector -> loopback sinks + a real Prometheus.
# Ends with the suite's one-line summary (build/e2e/summary.txt).
e2e: $(BIN)/ccotel tests/.oracle/node_modules/.bin/ccusage $(OTELCOL)
	@rm -f build/e2e/summary.txt
	@status=0; $(BIN)/python -m pytest tests/e2e || status=$$?; \
	  tail -n 1 build/e2e/summary.txt 2>/dev/null || echo "pipeline e2e: no summary (the suite did not run)"; \
	  exit $$status

lint: $(BIN)/ccotel
	$(BIN)/ruff check .

bench: $(BIN)/ccotel
	$(BIN)/python tests/bench/bench_hook.py

up: $(BIN)/ccotel
	$(BIN)/ccotel up

clean:
	rm -rf $(VENV) tests/.oracle
