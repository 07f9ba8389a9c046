#!/usr/bin/env bash
# The README's runtime switch, run as written: `LAMBDA_RUNTIME=provided.al2 make build` must
# ship the very bytes the default (provided.al2023) build shipped, so one artifact serves both:
# the glibc 2.26 target comes from Cargo.toml, not from the runtime SAM sees.
# Runs after `make build`, before the end-to-end tests start the artifact.
set -euo pipefail
cd "$(dirname "$0")/.."
readonly ARTIFACT=.aws-sam/build/CounterFunction/bootstrap

die() { echo "test-build.sh: FAIL: $*" >&2; exit 1; }

[[ -f $ARTIFACT ]] || die "$ARTIFACT missing: run make build first"
default=$(sha256sum "$ARTIFACT" | cut -d' ' -f1)
LAMBDA_RUNTIME=provided.al2 scripts/sam.sh build
al2=$(sha256sum "$ARTIFACT" | cut -d' ' -f1)
[[ $al2 == "$default" ]] \
  || die "the provided.al2 build differs from the default provided.al2023 one ($al2 != $default)"
echo "test-build.sh: OK: provided.al2023 and provided.al2 builds are the same bytes (sha256 ${default:0:12})"
