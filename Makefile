# One entry point for people and CI. Every tool a target needs is installed by the target
# itself into project-local, git-ignored places (node_modules/, .venv/).
SHELL := /bin/bash
.DEFAULT_GOAL := help

.PHONY: help setup lint test test-rust test-infra test-e2e dev bench sam-build

help:
	@echo "make dev    run the counter locally on http://127.0.0.1:3000/counter?path=/"
	@echo "make test   install what the tests need, then run every test and check"
	@echo "make lint   cargo fmt --check and clippy -D warnings"
	@echo "make bench  benchmark the shipped bootstrap (not part of the tests)"

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

.venv/.installed: requirements-dev.txt scripts/setup-python.sh
	scripts/setup-python.sh
	@touch $@

setup: node_modules/.installed .venv/.installed

lint:
	cargo fmt --check
	cargo clippy --all-targets -- -D warnings

# Unit, handler and dynalite integration tests (tests/*.rs start dynalite themselves).
# unit-tests-buildspec.yml swaps in cargo-nextest to publish JUnit.
CARGO_TEST ?= cargo test --locked
test-rust: node_modules/.installed
	$(CARGO_TEST)

# cfn-lint, sam validate, sam build (+ glibc check) and the template's property tests.
sam-build: .venv/.installed
	scripts/sam-build.sh

# tests/ops runs the README's operator recipes against dynalite, hence node_modules.
test-infra: node_modules/.installed .venv/.installed
	scripts/check-template.sh

# The shipped bootstrap under a Runtime API emulator, `make dev`, and the browser client.
test-e2e: node_modules/.installed sam-build
	scripts/test-e2e.sh

test: test-rust test-infra test-e2e

dev: node_modules/.installed
	scripts/dev.sh

bench: node_modules/.installed sam-build
	scripts/bench.sh
