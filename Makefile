# Linkpilot — every target bootstraps what it needs, so a fresh clone needs nothing else.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PY313     := $(shell scripts/find-python313.sh)
VENV      := .venv
SAMVENV   := .venv-sam
PY        := $(VENV)/bin/python
SAM       := $(SAMVENV)/bin/sam
CFNLINT   := $(SAMVENV)/bin/cfn-lint
CHECKOVVENV := .venv-checkov
CHECKOV   := $(CHECKOVVENV)/bin/checkov
REGION    ?= us-east-1
TEMPLATES := template.yaml provider/template.yaml
# sam build finds the runtime's interpreter on PATH (no container on these machines).
SAMPATH   := $(dir $(PY313)):$(PATH)
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export SAM_CLI_TELEMETRY := 0
# Tests, demo and benchmarks never talk to AWS: no real credentials are needed or used.
export AWS_DEFAULT_REGION ?= $(REGION)

.PHONY: help demo test unit lint fmt typecheck validate build bench props clean sysdeps venv samvenv checkovvenv

help:
	@echo "make demo    offline end-to-end demo against the local AWS (the main job)"
	@echo "make test    ruff, mypy, pytest, sam validate --lint, cfn-lint, checkov (what CI runs)"
	@echo "make build   sam build (no container): python3.13 / arm64 artifacts"
	@echo "make bench   benchmark report (table + bench/results.json)"
	@echo "make props   property suite with the bench profile (10,000 examples per property)"
	@echo "make lint | fmt | clean"

$(PY313):
	@true

$(VENV)/.stamp: pyproject.toml layers/linkpilot/requirements.txt
	@test -n "$(PY313)" || { scripts/find-python313.sh; exit 1; }
	$(PY313) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r layers/linkpilot/requirements.txt -e '.[dev]'
	@touch $@

$(SAMVENV)/.stamp: requirements-sam.txt
	@test -n "$(PY313)" || { scripts/find-python313.sh; exit 1; }
	$(PY313) -m venv $(SAMVENV)
	$(SAMVENV)/bin/python -m pip install -q --upgrade pip
	$(SAMVENV)/bin/python -m pip install -q -r requirements-sam.txt
	@touch $@

$(CHECKOVVENV)/.stamp: requirements-checkov.txt
	@test -n "$(PY313)" || { scripts/find-python313.sh; exit 1; }
	$(PY313) -m venv $(CHECKOVVENV)
	$(CHECKOVVENV)/bin/python -m pip install -q --upgrade pip
	$(CHECKOVVENV)/bin/python -m pip install -q -r requirements-checkov.txt
	@touch $@

venv: $(VENV)/.stamp
samvenv: $(SAMVENV)/.stamp
checkovvenv: $(CHECKOVVENV)/.stamp

# netcat runs the reference target (the shell loop of the provider's sample instance) in tests and the demo.
sysdeps:
	@command -v nc >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing netcat-openbsd"; \
	    (apt-get install -y -qq netcat-openbsd >/dev/null 2>&1 || \
	     (apt-get update -qq >/dev/null && apt-get install -y -qq netcat-openbsd >/dev/null)); \
	  else echo "note: netcat (nc) not found; netcat-target tests will be skipped (apt-get install netcat-openbsd)"; fi; }

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

fmt: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

typecheck: venv
	$(VENV)/bin/mypy

unit: venv sysdeps
	$(VENV)/bin/pytest -q

validate: samvenv checkovvenv
	@for t in $(TEMPLATES); do \
	  echo "sam validate --lint $$t"; \
	  $(SAM) validate --lint --template-file $$t --region $(REGION) || exit 1; \
	  $(CFNLINT) $$t || exit 1; \
	  $(CHECKOV) -f $$t --framework cloudformation --compact --quiet --skip-download || exit 1; \
	done

test: lint typecheck validate unit

build: samvenv
	PATH="$(SAMPATH)" $(SAM) build --template-file template.yaml --build-dir .aws-sam/build
	PATH="$(SAMPATH)" $(SAM) build --template-file provider/template.yaml --build-dir .aws-sam/build-provider
	$(PY313) scripts/check_build.py .aws-sam/build .aws-sam/build-provider

demo: venv sysdeps
	$(VENV)/bin/linkpilot demo

bench: venv sysdeps
	$(VENV)/bin/python -m bench

# The property suite under the bench profile (also run by make bench, through bench/props_bench.py).
# Each property's pytest timeout is fitted to its example count (tests/reliability/conftest.py).
props: venv
	HYPOTHESIS_PROFILE=bench $(VENV)/bin/pytest -q -p no:cacheprovider --hypothesis-show-statistics \
	  tests/reliability/test_properties.py tests/reliability/test_association_properties.py

clean:
	rm -rf $(VENV) $(SAMVENV) $(CHECKOVVENV) .aws-sam .mypy_cache .ruff_cache .pytest_cache .hypothesis bench/results.json
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
