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
TOOLS     := .venv-tools
UV        := $(TOOLS)/bin/uv
REGION    ?= us-east-1
TEMPLATES := template.yaml provider/template.yaml
# sam build finds the runtime's interpreter on PATH (it builds without a container).
SAMPATH   := $(dir $(PY313)):$(PATH)
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export SAM_CLI_TELEMETRY := 0
export UV_NO_PROGRESS := 1
# uv never falls back to a Python it downloads: every venv is made from the python3.13 found above.
export UV_PYTHON_DOWNLOADS := never
# Python caches compiled modules (__pycache__, git-ignored), as it does by default: an environment that turns
# that off (PYTHONDONTWRITEBYTECODE) makes every process compile boto3, botocore and moto anew (pytest's
# collection alone: 9.4 s instead of 3.2 s, in each of its workers and each subprocess the tests start).
unexport PYTHONDONTWRITEBYTECODE
# Tests, demo and benchmarks never talk to AWS: no real credentials are needed or used.
export AWS_DEFAULT_REGION ?= $(REGION)

.PHONY: help demo test unit lint fmt typecheck validate build bench props clean sysdeps venv samvenv checkovvenv \
	tools lock upgrade acceptance acceptance-aws

help:
	@echo "make demo    offline end-to-end demo against the local AWS (the main job)"
	@echo "make acceptance   the acceptance story against the local AWS, with its verdict table"
	@echo "make acceptance-aws PROVIDER_PROFILE=P CONSUMER_PROFILE=C   the same on two real accounts (asks first)"
	@echo "make test    ruff, mypy, pytest, sam validate --lint, cfn-lint, checkov (what CI runs)"
	@echo "make build   sam build (no container): python3.13 / arm64 artifacts"
	@echo "make bench   benchmark report (table + bench/results.json)"
	@echo "make props   property suite with the bench profile (10,000 examples per property)"
	@echo "make lock    re-resolve every lock within the declared ranges (a reviewed commit)"
	@echo "make upgrade re-resolve every lock to the newest versions, then make test"
	@echo "make lint | fmt | clean"

$(PY313):
	@true

# Every environment installs from its hashed lock (requirements/*.txt, layers/linkpilot/requirements.txt) and
# nothing else; uv itself comes from requirements/tools.txt (pip, hash-checked). A lock moves only through
# `make lock` (re-resolve within the declared ranges) or `make upgrade` (newest versions, then `make test`).
$(TOOLS)/.stamp: requirements/tools.txt
	@test -n "$(PY313)" || { scripts/find-python313.sh; exit 1; }
	rm -rf $(TOOLS)
	$(PY313) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install -q --require-hashes --no-deps -r requirements/tools.txt
	@touch $@

# The two local distributions (the project, and devtools/ = linkpilot-local) are installed editable with no
# dependencies and no build isolation: their build backend (setuptools) is in the lock, so nothing is fetched.
$(VENV)/.stamp: requirements/dev.txt pyproject.toml devtools/pyproject.toml $(TOOLS)/.stamp
	rm -rf $(VENV)
	$(UV) venv -q --python $(PY313) $(VENV)
	$(UV) pip sync -q --python $(PY) --require-hashes requirements/dev.txt
	$(UV) pip install -q --python $(PY) --offline --no-deps --no-build-isolation -e . -e ./devtools
	@touch $@

$(SAMVENV)/.stamp: requirements/sam.txt $(TOOLS)/.stamp
	rm -rf $(SAMVENV)
	$(UV) venv -q --python $(PY313) $(SAMVENV)
	$(UV) pip sync -q --python $(SAMVENV)/bin/python --require-hashes requirements/sam.txt
	@touch $@

$(CHECKOVVENV)/.stamp: requirements/checkov.txt $(TOOLS)/.stamp
	rm -rf $(CHECKOVVENV)
	$(UV) venv -q --python $(PY313) $(CHECKOVVENV)
	$(UV) pip sync -q --python $(CHECKOVVENV)/bin/python --require-hashes requirements/checkov.txt
	@touch $@

tools: $(TOOLS)/.stamp
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

# pytest in parallel (PYTEST_WORKERS); IAM exactness is a pass of its own afterwards: the main run
# records every AWS call each function makes (tests/reliability/iam_recorder.py), the second reads the record.
IAMCALLS := .pytest-iam
# One worker more than the cores: part of the suite waits (socket timeouts of the probe and the demo, the run
# lease under injected faults), and the extra worker fills that time (2 cores: 194 s with 2 workers, 177 s
# with 3, 180 s with 4).
PYTEST_WORKERS ?= $(shell echo $$(( $$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1) + 1 )))
unit: venv sysdeps
	rm -rf $(IAMCALLS)
	LINKPILOT_IAM_RECORD_DIR=$(IAMCALLS) $(VENV)/bin/pytest -q -n $(PYTEST_WORKERS) -m "not after_all_calls_recorded"
	LINKPILOT_IAM_CALLS=$(IAMCALLS) $(VENV)/bin/pytest -q tests/reliability/test_iam_exactness.py

validate: samvenv checkovvenv
	@for t in $(TEMPLATES); do \
	  echo "sam validate --lint $$t"; \
	  $(SAM) validate --lint --template-file $$t --region $(REGION) || exit 1; \
	  $(CFNLINT) $$t || exit 1; \
	  $(CHECKOV) -f $$t --framework cloudformation --compact --quiet --skip-download || exit 1; \
	done

# The four checks run side by side (their output interleaved by line): pytest's workers spend part of the run
# waiting (sockets, injected hangs, retry back-off), and ruff, mypy and the template validators fill that time.
test:
	@$(MAKE) --no-print-directory -j4 --output-sync=line lint typecheck validate unit

build: samvenv
	PATH="$(SAMPATH)" $(SAM) build --template-file template.yaml --build-dir .aws-sam/build
	PATH="$(SAMPATH)" $(SAM) build --template-file provider/template.yaml --build-dir .aws-sam/build-provider
	$(PY313) scripts/check_build.py .aws-sam/build .aws-sam/build-provider

demo: venv sysdeps
	$(VENV)/bin/linkpilot demo

# The acceptance story (docs/aws-behaviour.md, "Settling the unverified rows"): against the local AWS by
# default; acceptance-aws deploys into two real accounts (it prints the plan and its cost, then asks), with
# the SAM CLI of samvenv and python3.13 on PATH for sam build, as `make build` has them.
acceptance: venv sysdeps
	$(VENV)/bin/linkpilot acceptance

acceptance-aws: venv samvenv
	@test -n "$(PROVIDER_PROFILE)" -a -n "$(CONSUMER_PROFILE)" || \
	  { echo "make acceptance-aws: set PROVIDER_PROFILE and CONSUMER_PROFILE"; exit 2; }
	PATH="$(SAMPATH)" LINKPILOT_SAM="$(CURDIR)/$(SAM)" $(VENV)/bin/linkpilot acceptance --aws \
	  --provider-profile $(PROVIDER_PROFILE) --consumer-profile $(CONSUMER_PROFILE) --region $(REGION)

bench: venv sysdeps
	$(VENV)/bin/python -m bench

# The property suite under the bench profile (also run by make bench, through bench/props_bench.py).
# Each property's pytest timeout is fitted to its example count (tests/reliability/conftest.py).
props: venv
	HYPOTHESIS_PROFILE=bench $(VENV)/bin/pytest -q -p no:cacheprovider --hypothesis-show-statistics \
	  tests/reliability/test_properties.py tests/reliability/test_association_properties.py

# The locks: one hashed file per environment. The dev lock is universal (any OS a developer uses); the
# layer's lock is for the Lambda runtime (python3.13 on arm64); the CLI's lock (requirements/cli.txt) is the
# operator CLI installed alone, at the layer's versions plus click, rich and pyyaml. The local distributions are not in them.
COMPILE = $(UV) pip compile -q --generate-hashes --python-version 3.13 --custom-compile-command "make lock"
lock: tools
	$(COMPILE) $(LOCKFLAGS) --python-platform aarch64-manylinux2014 layers/linkpilot/requirements.in \
	  -o layers/linkpilot/requirements.txt
	$(COMPILE) $(LOCKFLAGS) --universal --no-emit-package linkpilot --no-emit-package linkpilot-local \
	  requirements/dev.in -o requirements/dev.txt
	$(COMPILE) $(LOCKFLAGS) --universal --no-emit-package linkpilot requirements/cli.in -o requirements/cli.txt
	$(COMPILE) $(LOCKFLAGS) --universal requirements/sam.in -o requirements/sam.txt
	$(COMPILE) $(LOCKFLAGS) --universal requirements/checkov.in -o requirements/checkov.txt
	$(COMPILE) $(LOCKFLAGS) --universal requirements/tools.in -o requirements/tools.txt

upgrade:
	$(MAKE) lock LOCKFLAGS=--upgrade
	$(MAKE) test

clean:
	rm -rf $(VENV) $(SAMVENV) $(CHECKOVVENV) $(TOOLS) $(IAMCALLS) .aws-sam .mypy_cache .ruff_cache .pytest_cache .hypothesis bench/results.json
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

# Publish both stacks to the Serverless Application Repository (docs/sam-workflows.md#publish-to-the-serverless-application-repository-sam-publish):
#   make publish REPO_URL=https://github.com/acme/linkpilot
# takes the `sam package` outputs (PACKAGED, by default the two that page's commands write), renders a copy of
# each with HomePageUrl and SourceCodeUrl set to REPO_URL (scripts/sar_publish_template.py; the committed
# templates name no repository), and runs `sam publish` on the copy. PUBLISHFLAGS go to sam publish
# (e.g. --fail-on-same-version). Without REPO_URL: one line, exit status 2, nothing run.
PACKAGED ?= .aws-sam/packaged-consumer.yaml .aws-sam/packaged-provider.yaml
ifneq ($(filter publish,$(MAKECMDGOALS)),)
ifeq ($(strip $(REPO_URL)),)
$(error make publish needs REPO_URL, the repository's public address: make publish REPO_URL=https://github.com/<owner>/linkpilot)
endif
endif
.PHONY: publish
publish: samvenv
	@for packaged in $(PACKAGED); do \
	  copy="$${packaged%.*}.publish.yaml"; \
	  $(SAMVENV)/bin/python scripts/sar_publish_template.py "$$packaged" --repo-url '$(REPO_URL)' \
	    --output "$$copy" || exit 2; \
	  echo "sam publish --template $$copy --region $(REGION) $(PUBLISHFLAGS)"; \
	  $(SAM) publish --template "$$copy" --region $(REGION) $(PUBLISHFLAGS) || exit 1; \
	done
