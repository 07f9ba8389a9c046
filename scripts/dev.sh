#!/usr/bin/env bash
# `make dev`: build the function (debug) and serve it on http://127.0.0.1:${PORT:-3000}/counter
# with dynalite and the Runtime API emulator (tools/local/dev.js). No Docker, no AWS.
# The build is `make test`'s own (`cargo test --no-run` also builds target/debug/bootstrap, with
# the dev-dependencies' features), so running the tests afterwards compiles nothing again.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v cargo >/dev/null || { echo "dev.sh: cargo not found; install Rust (https://rustup.rs)" >&2; exit 1; }
command -v node >/dev/null || { echo "dev.sh: node not found; install Node.js 20 or newer" >&2; exit 1; }
[[ -d node_modules/dynalite ]] || npm ci --no-audit --no-fund

if [[ -z "${BOOTSTRAP:-}" ]]; then
  cargo test --locked --no-run
  export BOOTSTRAP=target/debug/bootstrap
fi
exec node tools/local/dev.js
