#!/usr/bin/env bash
# `make dev`: build the function (debug) and serve it on http://127.0.0.1:${PORT:-3000}/counter
# with dynalite and the Runtime API emulator (tools/local/dev.js). No Docker, no AWS.
# `scripts/dev.sh invoke FILE` (`make invoke`): the same build, then that one event through
# the function (tools/local/invoke.js).
# It builds the function alone (`cargo build --bin bootstrap`), not the tests: the first count
# comes as soon as that is built. `cargo test` later builds its own copy of the dependencies,
# since the dev-dependencies turn on features in them (aws-smithy-mocks adds the SDK HTTP
# client's test-util, which changes serde_json, and everything built on them).
set -euo pipefail
cd "$(dirname "$0")/.."

tool=dev
if [[ ${1:-} == invoke ]]; then
  tool=invoke
  shift
  # Said before a build that may take minutes; invoke.js reads and checks the event itself.
  if [[ -z ${1:-} || ($1 != - && ! -f $1) ]]; then
    [[ -n ${1:-} ]] && echo "invoke: cannot read the event from $1: no such file" >&2
    echo "usage: make invoke EVENT=events/get-counter.json (EVENT=- reads the event from standard input)" >&2
    exit 2
  fi
fi

command -v cargo >/dev/null || { echo "dev.sh: cargo not found; install Rust (https://rustup.rs)" >&2; exit 1; }
command -v node >/dev/null || { echo "dev.sh: node not found; install Node.js 20 or newer" >&2; exit 1; }
[[ -d node_modules/dynalite ]] || { echo "dev.sh: node_modules/ missing: run make setup (make dev does)" >&2; exit 1; }

if [[ -z "${BOOTSTRAP:-}" ]]; then
  # Cargo's progress goes to stderr, so `make invoke`'s stdout stays the function's answer.
  cargo build --locked --bin bootstrap
  export BOOTSTRAP=target/debug/bootstrap
fi
exec node "tools/local/$tool.js" "$@"
