#!/usr/bin/env bash
# `make smoke COUNTER_URL=https://…/counter`: tools/smoke.js against a live counter, in the
# machine's Chromium (scripts/setup-chromium.sh finds it, or installs Debian's where it can).
# Needs only the URL: no AWS credentials. SMOKE_READ_ONLY=1 writes nothing (production);
# SMOKE_PATH, SMOKE_ORIGIN: see tools/smoke.js.
set -euo pipefail
cd "$(dirname "$0")/.."

[[ -n ${COUNTER_URL:-} ]] ||
  { echo "usage: make smoke COUNTER_URL=https://<api>.execute-api.<region>.amazonaws.com/counter [SMOKE_READ_ONLY=1]" >&2; exit 2; }
[[ -d node_modules/playwright-core ]] || { echo "smoke.sh: node_modules/ missing: run make setup (make smoke does)" >&2; exit 1; }
CHROMIUM=$(scripts/setup-chromium.sh)
export CHROMIUM COUNTER_URL
exec node tools/smoke.js
