#!/usr/bin/env bash
# End-to-end tests (tests/e2e/, Node's built-in test runner): the shipped bootstrap under the
# Runtime API emulator against dynalite, `make dev`'s entry point, and the browser client in
# the machine's headless Chromium (scripts/setup-chromium.sh finds it).
#   BOOTSTRAP=path  test another binary (default .aws-sam/build/CounterFunction/bootstrap,
#                   from `make build`; while developing: BOOTSTRAP=target/debug/bootstrap)
#   extra arguments go to `node --test` (e.g. --test-name-pattern=browser)
set -euo pipefail
cd "$(dirname "$0")/.."

[[ -d node_modules/playwright-core && -d node_modules/dynalite ]] ||
  { echo "test-e2e.sh: node_modules/ missing: run make setup (make test-e2e does)" >&2; exit 1; }

# The browser test fails with its own message if Chromium is still missing; the rest still run.
if found=$(scripts/setup-chromium.sh); then
  export CHROMIUM="$found"
else
  echo "test-e2e.sh: Chromium is not available; the browser test will fail" >&2
fi

export BOOTSTRAP="${BOOTSTRAP:-.aws-sam/build/CounterFunction/bootstrap}"
[[ -x "$BOOTSTRAP" ]] ||
  echo "test-e2e.sh: $BOOTSTRAP does not exist: run \`make build\` first; the tests that need it will fail" >&2

# A hung test fails after five minutes instead of blocking CI. The limit holds each file too:
# repeats.test.js's 100,000 clients take about a minute on two idle cores, over two when the
# machine is busy, and a slow machine is not a hang. One file at a time (Node's default on two
# cores): run beside repeats.test.js's 100,000 clients, the 40 browsers of the crowd test made
# a write outlast the SDK's whole budget (a 503, and the page's retry counted again).
exec node --test --test-timeout=300000 "$@" tests/e2e/
