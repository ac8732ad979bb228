# Every set-up step lives here, so a fresh clone needs nothing installed by hand.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
PYTEST_ARGS ?=
PO_FILES := $(wildcard hashrally/locale/*/LC_MESSAGES/django.po)
MO_FILES := $(PO_FILES:.po=.mo)

.PHONY: demo test check bench bench-scale install messages browser pdf proxy clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# PYTHONWARNINGS: setuptools' notice about editable installs is not the reader's concern.
$(VENV)/.installed-%: pyproject.toml | $(BIN)/python
	PYTHONWARNINGS=ignore $(BIN)/pip install --quiet -e '.[$*]'
	touch $@

$(VENV)/.installed-base: pyproject.toml | $(BIN)/python
	PYTHONWARNINGS=ignore $(BIN)/pip install --quiet -e .
	touch $@

install: $(VENV)/.installed-base messages pdf

# PDF reports: WeasyPrint needs Pango, DejaVu covers Azerbaijani, Cyrillic and Arabic, and Noto
# Color Emoji draws the emoji people post.
PDF_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core fonts-noto-color-emoji
pdf:
	@missing="$$(for p in $(PDF_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done)"; \
	if [ -n "$$missing" ]; then scripts/apt-install $$missing; fi

# Translations are compiled from the .po sources, never committed as binaries.
messages: $(MO_FILES)

%.mo: %.po
	@command -v msgfmt >/dev/null || scripts/apt-install gettext
	msgfmt --check -o $@ $<

# Browser tests drive Debian's Chromium (Playwright cannot download browsers here), and check
# accessibility with axe-core from its npm package (MPL-2.0), unpacked beside the venv.
AXE_VERSION := 4.14.1
browser: $(VENV)/axe/axe.min.js
	@test -x /usr/bin/chromium || scripts/apt-install chromium

$(VENV)/axe/axe.min.js: | $(BIN)/python
	@command -v npm >/dev/null || scripts/apt-install npm
	mkdir -p $(VENV)/axe
	cd $(VENV)/axe && npm pack --silent axe-core@$(AXE_VERSION) >/dev/null && \
	  tar -xzf axe-core-$(AXE_VERSION).tgz --strip-components=1 package/axe.min.js package/LICENSE && \
	  rm axe-core-$(AXE_VERSION).tgz

var/secret_key:
	mkdir -p var
	$(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(48))' > $@
	chmod 600 $@

var/data_key:
	mkdir -p var
	$(BIN)/python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())' > $@
	chmod 600 $@

# The demo runs the web server and the worker (mail to the console, counts every few seconds);
# Ctrl-C stops both.
# The demo prints no warnings: the static root exists (WhiteNoise warns of a missing one), and
# runserver's "development server" notice is left out (a demo is one; production runs gunicorn,
# docs/operations.md).
demo: install var/secret_key var/data_key
	@mkdir -p var/static
	@export HASHRALLY_SECRET_KEY="$$(cat var/secret_key)" HASHRALLY_DATA_KEYS="$$(cat var/data_key)" \
	  HASHRALLY_SITE_URL="http://127.0.0.1:$(PORT)" DJANGO_RUNSERVER_HIDE_WARNING=true && \
	$(BIN)/hashrally migrate --noinput && \
	$(BIN)/hashrally campaign load --skip-existing examples/*.toml && \
	$(BIN)/hashrally demo_organiser && \
	{ $(BIN)/hashrally worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; } && \
	echo "Serving http://127.0.0.1:$(PORT)/ (Ctrl-C stops)" && \
	$(BIN)/hashrally runserver --noreload 127.0.0.1:$(PORT)

# The suite runs on SQLite, then again on PostgreSQL when HASHRALLY_TEST_POSTGRES_URL is set
# (.ci/run sets it); without it the PostgreSQL run reports its tests as skipped.
# The reverse-proxy test runs deploy/nginx/hashrally.conf in Debian's nginx.
proxy:
	@command -v nginx >/dev/null || test -x /usr/sbin/nginx || scripts/apt-install nginx

test: $(VENV)/.installed-test messages browser pdf proxy
	$(BIN)/pytest $(PYTEST_ARGS)
	HASHRALLY_TEST_DB=postgres DATABASE_URL="$${HASHRALLY_TEST_POSTGRES_URL:-}" $(BIN)/pytest $(PYTEST_ARGS)

check: $(VENV)/.installed-dev $(VENV)/.installed-test
	$(BIN)/ruff check hashrally tests
	$(BIN)/ruff format --check hashrally tests
	$(BIN)/mypy hashrally tests
	$(BIN)/lint-imports

# Loads gunicorn on PostgreSQL (a million supporters) with wrk, then a spike of 100 joins/s for
# 60 s while the page is read (one app server, then two), times `hashrally import`
# against twarc-csv on the same file, then the dashboard and `report` on a million posts;
# see docs/benchmarks.md.
# PostgreSQL and Redis must be running on 127.0.0.1. `make bench BENCH_ARGS=--fresh` rebuilds
# the benchmark database; BENCH_SECONDS and BENCH_CONNECTIONS change the load.
bench: $(VENV)/.installed-test messages pdf
	@command -v wrk >/dev/null || scripts/apt-install wrk
	$(BIN)/python bench/run.py $(BENCH_ARGS)
	$(BIN)/python bench/spike.py
	$(BIN)/python bench/listening.py
	$(BIN)/python bench/reports.py

# The reports part on 10,000,000 posts by 2,500,000 authors, in its own database (filling and
# folding it takes about half an hour on 2 cores; later runs reuse it): see docs/benchmarks.md.
bench-scale: $(VENV)/.installed-test messages pdf
	BENCH_REPORT_POSTS=10000000 BENCH_REPORT_AUTHORS=2500000 \
	BENCH_REPORT_DB=hashrally_bench_scale $(BIN)/python bench/reports.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var/static $(MO_FILES)
