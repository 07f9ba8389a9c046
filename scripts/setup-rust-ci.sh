#!/usr/bin/env bash
# The pipeline's Rust: the version this project is tested with, with rustfmt and clippy, for the
# CodeBuild images (which have no Rust). Both buildspecs run it; nothing else names the version.
# Not a rust-toolchain.toml: a laptop keeps whatever toolchain it has (Cargo.toml's rust-version
# is the oldest that builds), while CI pins the one whose clippy `make lint` was last clean with,
# so a new stable's lints cannot fail a push that changed nothing. Raise it here on purpose.
# The toolchain is not in the buildspecs' S3 cache: unpacked it is about 600 MB, which CodeBuild
# would zip, upload and download again each run; rustup fetches it compressed (about 80 MB) from
# its CDN in well under a minute. The cargo registry and target/ are cached: they pay.
#   scripts/setup-rust-ci.sh           install rustup if missing, then this toolchain as default
#   scripts/setup-rust-ci.sh --version print the version and exit
set -euo pipefail

RUST_TOOLCHAIN=1.95.0

if [[ ${1:-} == --version ]]; then
  echo "$RUST_TOOLCHAIN"
  exit 0
fi

export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
if ! command -v rustup >/dev/null 2>&1; then
  echo "setup-rust-ci.sh: installing rustup (no default toolchain yet)" >&2
  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs |
    sh -s -- -y --profile minimal --default-toolchain none --no-modify-path
fi
rustup toolchain install "$RUST_TOOLCHAIN" --profile minimal --component rustfmt,clippy
rustup default "$RUST_TOOLCHAIN"
rustc --version
