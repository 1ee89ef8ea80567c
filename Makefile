# The two commands: `make run` (demo, SQLite, http://127.0.0.1:5000) and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app wsgi
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# The PostgreSQL server the suite runs on a second time (a fresh database per run).
TEST_PG_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
SYSTEM_TEST_PACKAGES := slapd ldap-utils chromium openssl postgresql-client

.PHONY: run test install install-test system-test-deps bench-deps lint fmt translations catalogs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

run: install catalogs
	$(FLASK) db upgrade
	@if [ -z "$$INTRANET_LDAP_URL" ]; then $(FLASK) demo load; fi
	@$(FLASK) search check > /dev/null 2>&1 || $(FLASK) search rebuild
	$(FLASK) run --host 127.0.0.1 --port 5000

# Debian packages the tests drive for real: OpenLDAP's slapd, its client tools, Chromium,
# pg_dump/pg_restore/psql (flask backup on PostgreSQL).
system-test-deps:
	@missing=""; \
	for pkg in $(SYSTEM_TEST_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$pkg 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$pkg"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing:$$missing"; \
	  $(SUDO) apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends $$missing; \
	fi

test: install-test system-test-deps catalogs
	@TEST_PG_URL="$(TEST_PG_URL)" BIN="$(BIN)" bash tests/run-suites.sh

# What bench/web drives: gunicorn (extra `prod`) and Debian's wrk load generator.
bench-deps: install-test
	$(BIN)/pip install --quiet -e '.[prod,test]'
	@dpkg-query -W -f='$${Status}' wrk 2>/dev/null | grep -q "install ok installed" || \
	  { $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends wrk; }

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: install-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# After changing text shown to people: refresh the message template and every catalog, then translate.
translations: install
	$(BIN)/pybabel extract -F babel.cfg -k _l --add-comments=TRANSLATORS: --project=Ting \
	  --msgid-bugs-address="" -o intranet/translations/messages.pot .
	$(BIN)/pybabel update -i intranet/translations/messages.pot -d intranet/translations

# The compiled catalogs (.mo) are built here, never committed.
catalogs: install
	$(BIN)/pybabel compile -d intranet/translations --statistics

clean:
	rm -rf $(VENV) .pytest_cache
