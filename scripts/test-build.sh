#!/usr/bin/env bash
# The README's runtime switch, run as written: `LAMBDA_RUNTIME=provided.al2023 make build` must
# ship the very bytes the default (provided.al2) build shipped, so one artifact serves both.
# Runs after `make build`, before the end-to-end tests start the artifact.
set -euo pipefail
cd "$(dirname "$0")/.."
readonly ARTIFACT=.aws-sam/build/CounterFunction/bootstrap

die() { echo "test-build.sh: FAIL: $*" >&2; exit 1; }

[[ -f $ARTIFACT ]] || die "$ARTIFACT missing: run make build first"
default=$(sha256sum "$ARTIFACT" | cut -d' ' -f1)
LAMBDA_RUNTIME=provided.al2023 make --no-print-directory build
al2023=$(sha256sum "$ARTIFACT" | cut -d' ' -f1)
[[ $al2023 == "$default" ]] \
  || die "the provided.al2023 build differs from the default one ($al2023 != $default)"
echo "test-build.sh: OK: provided.al2 and provided.al2023 builds are the same bytes (sha256 ${default:0:12})"
