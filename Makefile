# One entry point for people and CI. Every tool a target needs is installed by the target
# itself into project-local, git-ignored places (node_modules/, .venv/).
SHELL := /bin/bash
.DEFAULT_GOAL := help

.PHONY: FORCE help setup lint test test-rust test-infra test-build test-e2e dev invoke build build-arm64 test-arm64 deploy pipeline github-oidc smoke bench mutants

help:
	@echo "make setup   install the project's tools: node_modules/ (npm ci) and .venv/ (Python)"
	@echo "make dev     run the counter locally on http://127.0.0.1:3000/counter?path=/"
	@echo "make invoke EVENT=events/get-counter.json   one event through the function (EVENT=- reads stdin)"
	@echo "make test    install what the tests need, then run every test and check; in parts:"
	@echo "  make test-rust   cargo test (CARGO_TEST=... runs another command)"
	@echo "  make test-infra  cfn-lint, sam validate, pytest tests/infra and tests/ops"
	@echo "  make test-build  make build, then the same bytes for provided.al2"
	@echo "  make test-e2e    make build, then node --test tests/e2e (the built binary, make dev, Chromium)"
	@echo "  make test-arm64  make build-arm64, then the arm64 binary under qemu-aarch64 (tests/arm64)"
	@echo "make lint    cargo fmt --all --check, clippy -D warnings, cargo-deny (offline), checkov, cfn-lint I3510 and"
	@echo "             parliament on the templates, check-jsonschema, zizmor and shellcheck on the workflows"
	@echo "make build   sam build: the Lambda artifact, checked to need glibc <= 2.26 (LAMBDA_ARCHITECTURE=arm64: Graviton)"
	@echo "make build-arm64  the arm64 artifact into .aws-sam/arm64/, for make test-arm64"
	@echo "make deploy  build, then sam deploy (needs AWS and a region; DEPLOY_ARGS=--guided the first time)"
	@echo "make pipeline  create or update the CodePipeline stack (needs AWS and a region; PIPELINE_ARGS=...)"
	@echo "make github-oidc  create or update GitHub Actions' OIDC roles and bucket (needs AWS; GITHUB_OIDC_ARGS=...),"
	@echo "             then write github-variables.env for: gh variable set -f github-variables.env"
	@echo "make smoke COUNTER_URL=https://.../counter   check a deployed counter (SMOKE_READ_ONLY=1 writes nothing)"
	@echo "make bench   benchmark the shipped bootstrap (not part of the tests)"
	@echo "make mutants mutation testing of src/ with cargo-mutants, and its score (~75 min)"
	@echo "LAMBDA_RUNTIME=provided.al2 make build deploy   the same binary on the deprecated Amazon Linux 2"
	@echo "LAMBDA_ARCHITECTURE=arm64 make build deploy     the arm64 (Graviton) binary and function"

# Each installed tree's stamp holds the sha256 of what it was installed from: it is installed
# again when that content changes (file times say nothing after a checkout or a copy). Make owns
# these two; the scripts it runs assume them and say `make setup` when they are missing.
FORCE:
digest = $(shell cat $(1) | sha256sum | cut -d' ' -f1)
stale = $(if $(filter $(2),$(file < $(1))),,FORCE)
NODE_INPUTS := $(call digest,package.json package-lock.json)
VENV_INPUTS := $(call digest,requirements-dev.txt requirements-checkov.txt requirements-lint.txt scripts/setup-python.sh)

node_modules/.installed: $(call stale,node_modules/.installed,$(NODE_INPUTS))
	npm ci --no-audit --no-fund
	@echo $(NODE_INPUTS) > $@

.venv/.installed: $(call stale,.venv/.installed,$(VENV_INPUTS))
	scripts/setup-python.sh
	@echo $(VENV_INPUTS) > $@

setup: node_modules/.installed .venv/.installed

# cargo-deny's licences, bans and sources (scripts/check-deps.sh, deny.toml), checkov on the
# templates (scripts/scan-templates.sh), their IAM (scripts/lint-iam.sh: cfn-lint I3510,
# parliament), the workflows (scripts/lint-workflows.sh: schema, zizmor, shellcheck) and
# shellcheck on scripts/, all offline: a new finding fails here.
lint: .venv/.installed
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	scripts/check-deps.sh
	scripts/scan-templates.sh
	scripts/lint-iam.sh
	scripts/lint-workflows.sh
	.venv/bin/shellcheck scripts/*.sh

# Unit, handler and dynalite integration tests (tests/*.rs start dynalite themselves).
# unit-tests-buildspec.yml swaps in cargo-nextest to publish JUnit.
CARGO_TEST ?= cargo test --locked
test-rust: node_modules/.installed
	$(CARGO_TEST)

# cfn-lint, sam validate and the template's property tests; tests/ops runs the README's
# operator recipes against dynalite, hence node_modules.
test-infra: .venv/.installed node_modules/.installed
	scripts/check-template.sh

# sam build (release, glibc 2.26) and its glibc check; LAMBDA_RUNTIME picks the runtime,
# LAMBDA_ARCHITECTURE (x86_64 or arm64) the architecture.
build: .venv/.installed
	scripts/sam.sh build

# The arm64 bootstrap for the tests, in .aws-sam/arm64/ beside the x86_64 one: built once per
# run, through the template as `LAMBDA_ARCHITECTURE=arm64 make build` builds it.
build-arm64: .venv/.installed
	LAMBDA_ARCHITECTURE=arm64 SAM_BUILD_DIR=.aws-sam/arm64 scripts/sam.sh build

# Needs AWS credentials and a region (AWS_DEFAULT_REGION or a profile's; AWS_REGION alone is not
# read). The first time: make deploy DEPLOY_ARGS=--guided
deploy: build
	scripts/sam.sh deploy $(DEPLOY_ARGS)

# Needs AWS credentials and a region, as deploy: creates or updates the pipeline stack (pipeline.yaml);
# parameters keep their values between runs unless PIPELINE_ARGS overrides them.
PIPELINE_STACK ?= cloudresumecounter-pipeline
pipeline: .venv/.installed
	scripts/sam.sh region
	.venv/bin/aws cloudformation deploy --template-file pipeline.yaml --stack-name $(PIPELINE_STACK) \
	  --capabilities CAPABILITY_IAM --no-fail-on-empty-changeset $(PIPELINE_ARGS)

# Needs AWS credentials and a region: GitHub Actions' road (github-oidc.yaml), once. Writes the
# stack's RepositoryVariables output, one NAME=value a line, to github-variables.env (git-ignored).
GITHUB_OIDC_STACK ?= cloudresumecounter-github
github-oidc: .venv/.installed
	.venv/bin/aws cloudformation deploy --template-file github-oidc.yaml --stack-name $(GITHUB_OIDC_STACK) \
	  --capabilities CAPABILITY_IAM --no-fail-on-empty-changeset $(GITHUB_OIDC_ARGS)
	.venv/bin/aws cloudformation describe-stacks --stack-name $(GITHUB_OIDC_STACK) --output text \
	  --query "Stacks[0].Outputs[?OutputKey=='RepositoryVariables'].OutputValue" | tr ' ' '\n' > github-variables.env
	@echo "github-variables.env written; set them with: gh variable set -f github-variables.env"

# A deployed counter checked as a browser uses it (tools/smoke.js): only its URL, no AWS
# credentials. The pipeline runs it after each deploy; SMOKE_READ_ONLY=1 writes nothing.
smoke: node_modules/.installed
	COUNTER_URL="$(COUNTER_URL)" scripts/smoke.sh

# The runtime switch: provided.al2 gets the very bytes of the default (provided.al2023) build.
test-build: build
	scripts/test-build.sh

# The shipped bootstrap under a Runtime API emulator, `make dev`, the browser client, and the
test-e2e: node_modules/.installed build
	scripts/test-e2e.sh

# The arm64 bootstrap under qemu-aarch64, which scripts/setup-arm64.sh installs with apt-get.
# CodeBuild's Amazon Linux image has no QEMU to install, so the pipeline's Test stage runs
# `make test ARM64_TESTS=`; an arm64 pipeline then meets Graviton itself in SmokeTest.
test-arm64: node_modules/.installed build-arm64
	scripts/setup-arm64.sh qemu >/dev/null
	node --test --test-timeout=300000 tests/arm64/

ARM64_TESTS ?= test-arm64
test: test-rust test-infra test-build test-e2e $(ARM64_TESTS)

dev: node_modules/.installed
	scripts/dev.sh

# `sam local invoke -e FILE` without Docker: against make dev's dynalite and data.
invoke: node_modules/.installed
	@scripts/dev.sh invoke "$(EVENT)"

bench: node_modules/.installed build build-arm64
	scripts/bench.sh

# Does every change to src/ fail a test? cargo-mutants (installed into .tools/ by the script);
# too slow for CI. MUTANTS_ARGS="-f src/store.rs" runs only the mutants of that file.
mutants: node_modules/.installed
	scripts/mutants.sh $(MUTANTS_ARGS)
