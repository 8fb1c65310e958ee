# Kontakt Læge — `make run` starts the embedded product, `make test` runs the whole suite.
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
HOST ?= 127.0.0.1
export DJANGO_SETTINGS_MODULE := kontaktlaege.settings

.PHONY: run test lint bench chromium coturn messages clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -e .
	touch $@

$(VENV)/.test-installed: $(VENV)/.installed
	$(PY) -m pip install -q --disable-pip-version-check -e '.[test]'
	touch $@

run: $(VENV)/.installed
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py load_demo
	@echo ""
	@echo "Kontakt Læge kører på http://$(HOST):$(PORT)/  (Ctrl+C stopper)"
	$(PY) -m kontaktlaege.serve --scheduler --host $(HOST) --port $(PORT)

# Browser tests drive Debian's chromium; install it when it is missing.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

# The video tests relay calls through a real TURN server (Debian's coturn; they start their own).
coturn:
	@command -v turnserver >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq coturn >/dev/null; }

# SAML sign-in (docs/saml.md) checks signatures with xmlsec1: installed for the tests, and for
# `make run` when an identity provider is configured.
.PHONY: xmlsec1
xmlsec1:
	@command -v xmlsec1 >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq xmlsec1 >/dev/null; }
run: $(if $(SAML_EMPLOYEE_IDP_METADATA)$(SAML_CLINIC_IDP_METADATA)$(SAML_CITIZEN_IDP_METADATA),xmlsec1)

test: $(VENV)/.test-installed chromium coturn xmlsec1
	DJANGO_ALLOW_ASYNC_UNSAFE=true $(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.test-installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy kontaktlaege

bench: $(VENV)/.test-installed chromium coturn
	$(PY) bench/run.py
	$(PY) bench/video_admit.py --turn
	$(PY) bench/reconnect.py
	$(PY) bench/failover.py
	$(PY) bench/statistics.py

# Needs GNU gettext; the compiled catalogue is committed, so running the product does not.
messages: $(VENV)/.installed
	$(PY) manage.py makemessages -l en --ignore=.venv --ignore=tests --ignore=bench
	msgfmt --check -o kontaktlaege/locale/en/LC_MESSAGES/django.mo kontaktlaege/locale/en/LC_MESSAGES/django.po

clean:
	rm -rf var/ $(VENV)
