# The two commands of the README: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: run test setup lint messages bench clean

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(INSTALLED)

setup: $(INSTALLED)
	$(PY) manage.py migrate --noinput

## make run: set everything up and run the product on the embedded default.
run: setup
	$(PY) manage.py seed_demo --apply
	$(PY) manage.py analytics_refresh --all --apply
	bin/run-all

## make test: set up and run the whole test suite (PYTEST_ARGS passes options to pytest).
## The tests get a var/ of their own, so their broker queue never meets `make run`'s worker.
test: $(INSTALLED)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	$(PY) manage.py makemigrations --check --dry-run
	VAR_DIR=$(CURDIR)/var/test $(PY) -m pytest $(PYTEST_ARGS)

## make lint: ruff (rules, format) and mypy (the whole project; the money and the returns' rules
## strictly, see pyproject.toml).
lint: $(INSTALLED)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

## make messages: refresh the French catalog from the code (needs GNU gettext) and compile it
## with polib, so a fresh machine needs no gettext: the .mo files are committed.
messages: $(INSTALLED)
	$(PY) manage.py makemessages -l fr --ignore=.venv --ignore=var --ignore=tests --no-obsolete
	$(PY) -c "import glob, polib; [polib.pofile(p).save_as_mofile(p[:-3] + '.mo') for p in glob.glob('locale/*/LC_MESSAGES/*.po')]"

## make bench: the performance suite (bench/__main__.py, not part of the test suite): two
## PostgreSQL databases on 127.0.0.1:5432 (1,000 and BENCH_RETURNS returns), Redis db 4, two
## gunicorn servers on loopback loaded with wrk (installed with apt-get when missing).
BENCH_RETURNS ?= 20000
bench: $(INSTALLED)
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	BENCH_RETURNS=$(BENCH_RETURNS) $(PY) -m bench

## make clean: delete .venv and var/. var/ holds the embedded database (and var/backups/), so it
## asks first; `make clean CONFIRM=yes` does not ask. Keep a copy: manage.py backup --output FILE.
clean:
	@if [ -d var ] && [ "$(CONFIRM)" != "yes" ]; then \
	  echo "var/ holds the embedded database, its backups (var/backups/), emails and logs."; \
	  echo "To keep a copy first: $(PY) manage.py backup --output ~/returns-backup.sqlite3"; \
	  printf "Delete .venv and var/ for good? Type yes: "; \
	  read answer || true; \
	  if [ "$$answer" != "yes" ]; then echo "Nothing deleted."; exit 1; fi; \
	fi
	rm -rf $(VENV) var
