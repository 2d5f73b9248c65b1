# provision-cycle: the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export FLASK_APP := provision_cycle.app:create_app

ASSETS := provision_cycle/static/council.min.css
CHROMIUM ?= /usr/bin/chromium

.PHONY: help install assets browser run test lint bench bench-sweep bench-reads bench-signoff bench-growth bench-mixed bench-hot clean

help:  ## List the commands
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python requirements/app.txt requirements/test.txt
	$(BIN)/pip install --quiet -r requirements/test.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

# GOV.UK Frontend compiled with the council's font stack, and its JavaScript (npm, pinned by package-lock.json).
$(ASSETS): assets/package.json assets/package-lock.json assets/scss/council.scss assets/copy-assets.mjs
	cd assets && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build

assets: $(ASSETS)  ## Build the GOV.UK Frontend assets (needs Node.js and npm)

browser:  ## Install Debian's Chromium for the browser tests (needs root; they skip without it)
	@test -x $(CHROMIUM) || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

install: $(VENV)/.installed $(ASSETS)  ## Create .venv, install the pinned dependencies, build the assets

run: install  ## Run the application on http://127.0.0.1:5000 (SQLite, demo data loaded once) and its scheduler
	$(BIN)/flask upgrade-db
	$(BIN)/flask seed-demo
	@# The scheduler is its own process beside the web server, as in production; it stops with the server.
	$(BIN)/flask scheduler & scheduler=$$!; trap 'kill $$scheduler 2>/dev/null' EXIT INT TERM; \
	$(BIN)/flask run --host 127.0.0.1 --port 5000

test: install  ## Run the whole test suite (PostgreSQL and browser tests skip, with a reason, without a server or Chromium)
	$(BIN)/python -m pytest --numprocesses auto --dist worksteal  # a worker per core, each with its own databases; a worker left idle takes tests from the other's queue

lint: install  ## Check style and formatting with ruff
	$(BIN)/ruff check provision_cycle tests benchmarks
	$(BIN)/ruff format --check provision_cycle tests benchmarks

bench: install  ## Benchmark transitions per second (SQLite and PostgreSQL) against the raw SQL floor and SpiffWorkflow
	$(BIN)/python -m benchmarks.transitions

bench-sweep: install  ## Benchmark the renewal sweep over 1,000,000 contracts (SQLite and PostgreSQL)
	$(BIN)/python -m benchmarks.sweep

bench-reads: install  ## Benchmark the reads people wait on over 1,000,000 contracts in 400 councils (SQLite and PostgreSQL)
	$(BIN)/python -m benchmarks.reads

bench-signoff: install  ## Benchmark a committee of 5 signing 1,000 gates at once, 3 approvals each (SQLite and PostgreSQL)
	$(BIN)/python -m benchmarks.signoff

bench-growth: install  ## Benchmark transitions on an empty database and on one holding 1,000,000 cases and 10,000,000 audit events
	$(BIN)/python -m benchmarks.growth

bench-mixed: install  ## Benchmark actions at 50 a second while the sweep runs over 1,000,000 contracts (SQLite and PostgreSQL)
	$(BIN)/python -m benchmarks.mixed

bench-hot: install  ## Benchmark 4 clients with 10% of their actions on 10 cases they all work on (PostgreSQL and SQLite)
	$(BIN)/python -m benchmarks.hot

clean:  ## Remove the virtual environment and the local database
	rm -rf $(VENV) instance/provision-cycle.sqlite3* assets/node_modules $(ASSETS) provision_cycle/static/govuk
