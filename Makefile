# The one way in. Every target makes what it needs when it is missing.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
COLL_LINK := .collections/ansible_collections/sorrypage/aws
# Integration tests mostly wait on ansible-playbook subprocesses and the
# sandbox; three workers keep two cores busy (four were slower: measured).
TEST_WORKERS ?= 3
export PATH := $(abspath $(BIN)):$(PATH)
export ANSIBLE_CONFIG := $(abspath ansible.cfg)

.PHONY: help venv test sanity units integration lint demo sandbox bench chromium clean ee

help:
	@echo "make demo   - start the local sandbox and run maintenance on/off against it"
	@echo "make test   - sanity, lint, unit and integration tests (starts the sandbox itself)"
	@echo "make lint   - ansible-lint (production profile)"
	@echo "make bench  - API-call counts and timings against the sandbox"
	@echo "make sandbox - start the sandbox and keep it up until Ctrl-C"
	@echo "make ee     - build the execution environment image for AWX (needs podman or docker; docs/awx.md)"

venv: $(STAMP) $(COLL_LINK)

$(STAMP): requirements.txt requirements-test.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-test.txt
	touch $@

$(COLL_LINK):
	mkdir -p $(dir $(COLL_LINK))
	ln -sfn ../../.. $(COLL_LINK)

chromium:
	@bash hack/ensure-chromium.sh

test: venv chromium
	MAKE='$(MAKE)' bash hack/test.sh

sanity: venv
	bash hack/ansible-test.sh sanity

units: venv
	bash hack/ansible-test.sh units

integration: venv chromium
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup --no-loadscope-reorder --durations=25 \
	  --junitxml=tests/output/integration-junit.xml tests/integration

lint: venv
	$(BIN)/ansible-lint --profile production

demo: venv
	$(BIN)/python -m tests.sandbox demo

sandbox: venv
	$(BIN)/python -m tests.sandbox up

bench: venv
	$(BIN)/python -m tests.bench

clean:
	rm -rf tests/output .collections .pytest_cache

ee: venv
	bash execution-environment/build.sh
