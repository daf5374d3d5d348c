# Two entry points for a fresh machine:
#   make run    set up, migrate, load demo data, then run the web server and the background worker
#   make test   set up (Chromium included), then run the whole test suite
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

LAB_HOSTS ?= 4
LAB_RACKS ?= 2

.PHONY: help setup run test lint benchmark browser lab-install lab-image lab lab-up lab-down lab-status

help:
	@echo "make run   - set up and run the portal (web server and worker) with demo data"
	@echo "make test  - set up and run the whole test suite (DATABASE_URL picks the database)"
	@echo "make lab-up / make lab-down - start / stop real libvirt hosts on this machine (root; docs/fabric-lab.md)"

# A 3.12+ interpreter: the first candidate that actually runs and is new enough.
$(VENV)/.installed: requirements.txt
	@python=""; \
	for candidate in "$${PYTHON:-}" python3.14 python3.13 python3.12 python3 \
	    $$(ls -d "$${PYENV_ROOT:-$$HOME/.pyenv}"/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV); do \
	  [ -n "$$candidate" ] || continue; \
	  if "$$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then \
	    python="$$candidate"; break; \
	  fi; \
	done; \
	if [ -z "$$python" ]; then \
	  echo "No Python 3.12 or newer was found. Install one, for example 'apt-get install python3.12 python3.12-venv'" >&2; \
	  echo "(Debian 13 / Ubuntu 24.04) or 'pyenv install 3.13', or point PYTHON=/path/to/python3.12 at one." >&2; \
	  exit 1; \
	fi; \
	echo "Using $$python ($$("$$python" --version))"; \
	rm -rf "$(VENV)" && "$$python" -m venv "$(VENV)" && \
	"$(PY)" -m pip install --quiet --upgrade pip && \
	"$(PY)" -m pip install --quiet -r requirements.txt && \
	touch "$@"

setup: $(VENV)/.installed

# Browser tests drive the system's Chromium; install it from the distribution when it is missing.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Chromium for the browser tests"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null; fi; }

# The lab's Debian packages and libvirt-python. As root (CI) a failure stops here; otherwise install.sh says what is
# missing and the real-guest tests skip, saying why.
lab-install: setup
	@if [ "$$(id -u)" = 0 ]; then fabric/lab/install.sh "$(PY)"; \
	else fabric/lab/install.sh "$(PY)" || echo "The real-guest tests will skip" >&2; fi

lab-image: lab-install
	@fabric/lab/build_guest_image.sh var/lab/images

lab: lab-up

lab-up: lab-image
	@$(PY) manage.py migrate --no-input -v0
	@$(PY) manage.py lab up --hosts $(LAB_HOSTS) --racks $(LAB_RACKS)

lab-down:
	@$(PY) manage.py lab down

lab-status:
	@$(PY) manage.py lab status

run: setup
	@$(PY) manage.py migrate --no-input -v0
	@$(PY) manage.py load_demo --staff
	@$(PY) manage.py prune_wizard_uploads
	@echo "Portal: http://$(HOST):$(PORT)/  (staff pages at /admin/)"
	@trap 'kill 0' EXIT INT TERM; \
	while :; do $(PY) manage.py worker --interval 0.5 --no-reload; echo "The worker stopped; restarting it" >&2; sleep 1; done & \
	$(PY) manage.py runserver --noreload "$(HOST):$(PORT)"

test: setup browser lab-install
	@$(PY) -m pytest $(PYTEST_ARGS); status=$$?; [ $$status -eq 5 ] && { echo "No tests were collected" >&2; exit 1; }; exit $$status

lint: setup
	@$(PY) -m ruff check . && $(PY) -m ruff format --check . && $(VENV)/bin/lint-imports --no-cache

benchmark: setup
	@$(PY) benchmarks/run.py
