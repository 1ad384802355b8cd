# The README's commands. Each target creates .venv and installs what it needs; nothing is manual.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Reinstall when pyproject.toml changes.
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: help venv demo sandbox test lint bench clean

help:
	@echo "make demo     the whole product round trip on this machine (emulators, Redis, web, workers)"
	@echo "make sandbox  the same stack, interactive, at one local URL"
	@echo "make test     lint + every test suite"
	@echo "make bench    performance figures (bench/results/latest.json)"
	@echo "make lint     ruff"

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: lint
	$(PY) -m pytest -q
	node --test tests/addon/

demo: venv
	$(PY) -m sandbox.demo

sandbox: venv
	@echo "make sandbox: the interactive sandbox page arrives with issue #8."
	@echo "Available now: $(PY) -m sandbox redis"

bench: venv
	@echo "make bench: benchmarks arrive with issues #6 and #9 (import, edits, webhooks)."

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis test-artifacts
