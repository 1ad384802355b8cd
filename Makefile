# The README's commands. Each target creates .venv and installs what it needs; nothing is manual.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Reinstall when either pyproject.toml changes (the backend's at the root, the sandbox's in sandbox/).
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml sandbox/pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: help venv browser demo sandbox test lint bench faults clean addon-types

help:
	@echo "make demo     the whole product round trip on this machine (emulators, Redis, web, workers)"
	@echo "make sandbox  the same stack, interactive, at one local URL (Ctrl-C stops it)"
	@echo "make test     lint + every test suite"
	@echo "make bench    performance figures (bench/results/latest.json, docs/performance.md)"
	@echo "make faults   the fault suite at full size + fuzz/security (bench/results/faults.json, docs/reliability.md)"
	@echo "make lint     ruff"

venv: $(STAMP)

# The sandbox is its own distribution (sandbox/pyproject.toml), installed beside the backend; the
# production image (Dockerfile) installs the root alone.
$(STAMP): pyproject.toml sandbox/pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,dev]' -e ./sandbox
	@rm -f $(VENV)/.installed-*
	@touch $@

# Debian's Chromium for the browser test (tests/e2e, Playwright drives it; never `playwright install`).
# A no-op once /usr/bin/chromium exists; installing needs root (or sudo).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser:
	@test -x /usr/bin/chromium || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium; }

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# The add-on type-checked against Apps Script's typings (package.json pins TypeScript and the @types).
addon-types:
	npm ci --no-audit --no-fund --loglevel=error
	node tests/addon/typecheck.js

# The fault suite's short form (tests/faults) and the security/fuzz suites (tests/security) run here too.
# Two pytest-xdist workers: most tests wait on real processes, so two share two cores well (tests/conftest.py
# keeps a module, or the security suite, on one worker and starts the longest first). PARALLEL= runs serially.
PARALLEL ?= -n 2 --dist loadfile
test: lint browser addon-types
	$(PY) -m pytest -q $(PARALLEL)
	node --test tests/addon/

demo: venv
	$(PY) -m sandbox.demo

sandbox: venv
	$(PY) -m sandbox.interactive

bench: venv
	$(PY) -m bench

# make faults ends with the randomized sync checker at full size (tests/model: 300 end-to-end sequences in
# three shards, each with its own product on its own pytest-xdist worker, the planner level beside them),
# which writes bench/results/integrity.json with the sum.
faults: venv
	$(PY) -m pytest -q tests/security tests/unit/sync/test_normalize_fuzz.py tests/unit/sheets/test_a1_fuzz.py \
		tests/unit/amocrm/test_webhook_payload.py tests/integration/security/test_signing_fuzz.py
	$(PY) -m bench.faults
	INTEGRITY_E2E_SEQUENCES=300 INTEGRITY_E2E_STEPS=8 INTEGRITY_E2E_SHARDS=3 $(PY) -m pytest -q -n 3 \
		tests/model/test_planner_check.py tests/model/test_end_to_end_check.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis test-artifacts
