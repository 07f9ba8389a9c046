# One entry point for people and CI. Every tool a target needs is installed by the target
# itself into project-local, git-ignored places (node_modules/, .venv/).
SHELL := /bin/bash
.DEFAULT_GOAL := help

.PHONY: help setup lint test test-rust test-infra test-build test-e2e dev build deploy bench mutants

help:
	@echo "make dev     run the counter locally on http://127.0.0.1:3000/counter?path=/"
	@echo "make test    install what the tests need, then run every test and check"
	@echo "make lint    cargo fmt --check and clippy -D warnings"
	@echo "make build   sam build: the Lambda artifact, checked to need glibc <= 2.26"
	@echo "make deploy  build, then sam deploy (needs AWS; DEPLOY_ARGS=--guided the first time)"
	@echo "make bench   benchmark the shipped bootstrap (not part of the tests)"
	@echo "make mutants mutation testing of src/ with cargo-mutants, and its score (~45 min)"
	@echo "LAMBDA_RUNTIME=provided.al2023 make build deploy   the same binary on Amazon Linux 2023"

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

# cfn-lint, sam validate and the template's property tests; tests/ops runs the README's
# operator recipes against dynalite, hence node_modules.
test-infra: .venv/.installed node_modules/.installed
	scripts/check-template.sh

# sam build (release, glibc 2.26) and its glibc check; LAMBDA_RUNTIME picks the runtime.
build: .venv/.installed
	scripts/sam.sh build

# Needs AWS credentials and a region. The first time: make deploy DEPLOY_ARGS=--guided
deploy: build
	scripts/sam.sh deploy $(DEPLOY_ARGS)

# The runtime switch: provided.al2023 gets the very bytes of the default build.
test-build: build
	scripts/test-build.sh

# The shipped bootstrap under a Runtime API emulator, `make dev`, and the browser client.
test-e2e: node_modules/.installed build
	scripts/test-e2e.sh

test: test-rust test-infra test-build test-e2e

dev: node_modules/.installed
	scripts/dev.sh

bench: node_modules/.installed build
	scripts/bench.sh

# Does every change to src/ fail a test? cargo-mutants (installed into .tools/ by the script);
# too slow for CI. MUTANTS_ARGS="-f src/store.rs" runs only the mutants of that file.
mutants: node_modules/.installed
	scripts/mutants.sh $(MUTANTS_ARGS)
