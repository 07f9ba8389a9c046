#!/usr/bin/env bash
# Installs the pinned cargo-mutants into the project-local, git-ignored .tools/ (built from
# crates.io with its own Cargo.lock). Run by `make mutants`; nothing goes outside .tools/.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_MUTANTS_VERSION=27.1.0

die() { echo "setup-mutants.sh: $*" >&2; exit 1; }

command -v cargo >/dev/null 2>&1 \
  || die "cargo not found: install Rust with rustup (the version in rust-toolchain / Cargo.toml)"

# Run as cargo runs it: `cargo-mutants mutants --version`.
if [[ "$(.tools/bin/cargo-mutants mutants --version 2>/dev/null)" == "cargo-mutants $CARGO_MUTANTS_VERSION" ]]; then
  exit 0
fi
cargo install --locked --root .tools --version "$CARGO_MUTANTS_VERSION" cargo-mutants \
  || die "cargo install cargo-mutants $CARGO_MUTANTS_VERSION failed (crates.io must be reachable)"
