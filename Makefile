# CourseDesk — the README's commands. Everything installs itself from nothing, idempotently.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export PORT

.PHONY: run dev test test-sqlite test-postgres test-cluster cluster-tools bench bench-large lint format screenshots install install-test chromium pdf-libs sqlite3 wrk clean help

help:
	@echo "make run     set up and start CourseDesk with demo data on http://127.0.0.1:$(PORT)/ (DEBUG off)"
	@echo "make dev     the same for development: DEBUG on, the server reloads when code changes"
	@echo "make test    install what tests need and run the suite (SQLite, then PostgreSQL if TEST_DATABASE_URL)"
	@echo "make test-cluster  the multi-machine topology on loopback, broken piece by piece (root)"
	@echo "make bench   seed a million customers and print the speed figures"
	@echo "make lint    ruff check, ruff format --check, the layering contracts (all also run by make test)"

# The virtual environment is rebuilt only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check uv==0.13.9
	@$(VENV)/bin/uv pip install --quiet --python $(PY) -r pyproject.toml
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	@$(VENV)/bin/uv pip install --quiet --python $(PY) -r pyproject.toml --extra test
	@touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# make run is a trial of the real thing: DEBUG off, static files collected and served by whitenoise,
# gunicorn, CourseDesk's own error pages. make dev turns DEBUG on and reloads on every edit.
run: install pdf-libs
	@$(PY) manage.py migrate --noinput -v0
	@$(PY) manage.py seed_demo
	@DEBUG=false $(PY) manage.py collectstatic --noinput -v0
	@DEBUG=false OUTBOUND_WEBHOOKS_ALLOW_PRIVATE_NETWORKS=$${OUTBOUND_WEBHOOKS_ALLOW_PRIVATE_NETWORKS:-true} bin/run-local

dev: install pdf-libs
	@$(PY) manage.py migrate --noinput -v0
	@$(PY) manage.py seed_demo
	@DEBUG=true OUTBOUND_WEBHOOKS_ALLOW_PRIVATE_NETWORKS=$${OUTBOUND_WEBHOOKS_ALLOW_PRIVATE_NETWORKS:-true} bin/run-local

# Browser tests drive Debian's chromium; install it when it is missing (needs root or sudo).
chromium:
	@command -v chromium >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

# Receipts are printed to PDF by WeasyPrint, which loads Pango and HarfBuzz; installed when missing.
PDF_LIBS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
pdf-libs:
	@dpkg -s $(PDF_LIBS) >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(PDF_LIBS) >/dev/null; }

# The sqlite3 shell writes SQLite's raw CSV: the benchmark's limit, and a test holds it to the export.
sqlite3:
	@command -v sqlite3 >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq sqlite3 >/dev/null; }

# wrk drives the benchmark's load against gunicorn.
wrk:
	@command -v wrk >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq wrk >/dev/null; }

test: install-test chromium sqlite3 pdf-libs
	@$(MAKE) --no-print-directory lint
	@$(MAKE) --no-print-directory test-sqlite
	@if [ -n "$$TEST_DATABASE_URL" ]; then $(MAKE) --no-print-directory test-postgres; \
	 else echo "TEST_DATABASE_URL is not set: PostgreSQL run skipped."; fi

test-sqlite: install-test sqlite3 pdf-libs
	@echo "== Test suite on SQLite"
	@env -u DATABASE_URL $(PY) -m pytest -n 2 -q $(PYTEST_ARGS)

test-postgres: install-test pdf-libs
	@echo "== Test suite on PostgreSQL ($$TEST_DATABASE_URL)"
	@DATABASE_URL="$$TEST_DATABASE_URL" $(PY) -m pytest -n 2 -q $(PYTEST_ARGS)

# Figures at a million customers on SQLite and PostgreSQL (BENCH_POSTGRES_URL names a database the
# run may drop and create), each beside its limit; collects static files first (DEBUG is off).
# A quick run: make bench BENCH_ARGS="--customers 20000".
bench: install-test sqlite3 wrk
	@$(PY) bench/run.py $(BENCH_ARGS)

screenshots: install-test chromium
	@WRITE_SCREENSHOTS=1 $(PY) -m pytest -q -p no:xdist tests/e2e/test_screenshots.py

# Style and layering are part of the suite: unformatted code or an import against the layers fails.
lint: install-test
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .
	@$(VENV)/bin/lint-imports --no-cache

format: install-test
	@$(VENV)/bin/ruff format .
	@$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) var/static

# The multi-machine topology on this one machine (PostgreSQL primary + streaming replica, Redis,
# two gunicorn nodes behind HAProxy, two RQ workers, two schedulers), broken piece by piece.
# Needs root: the databases run as the postgres user. Installs HAProxy, Redis and PgBouncer when missing.
cluster-tools:
	@command -v haproxy >/dev/null && command -v redis-server >/dev/null && command -v pgbouncer >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq haproxy redis-server pgbouncer >/dev/null; }
	@ls /usr/lib/postgresql/*/bin/pg_basebackup >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql >/dev/null; }

test-cluster: install-test chromium cluster-tools
	@echo "== Cluster test: primary + replica, Redis, HAProxy, 2 web nodes, 2 workers, 2 schedulers"
	@$(PY) -m pytest -p no:xdist -q -m cluster tests/cluster $(PYTEST_ARGS)

# Ten million customers on PostgreSQL (COPY), measured through a streaming replica. Not in CI: it
# takes hours on two cores and needs root and about 60 GB of disk. A rehearsal:
# make bench-large BENCH_ARGS="--customers 200000".
bench-large: install-test cluster-tools
	@$(PY) bench/large.py $(BENCH_ARGS)
