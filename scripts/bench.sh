#!/usr/bin/env bash
# The benchmark: the shipped bootstrap and two measuring sticks, the obvious Rust (bench/obvious/)
# and Python + boto3, under the Lambda Runtime API emulator, against dynalite on 127.0.0.1; then
# both Rust builds' instructions under callgrind, and the cold visits over HTTP and HTTPS
# (bench/cold-visit.js). Prints tables, writes bench/results/*.json.
# Not a test: it reports, it does not fail on a missed budget unless given --check.
#
#   make bench                           # sam build first, then this script
#   scripts/bench.sh [bench.js options]  # e.g. --n 1000 --runs 5 --impl rust --check
#   BENCH_ARGS="--runs 5" make bench
#
# Needs node_modules/ (npm ci; `make bench` does it) and python3 >= 3.9 with venv; installs the
# measuring stick's pinned wheels (bench/requirements.txt) into bench/.venv (git-ignored).
# Needs cargo to build the obvious Rust into bench/.build/obvious/ (git-ignored) the first time,
# and valgrind for the instruction counts (BENCH_ARGS=--no-instructions goes without).
# The Rust binary measured is .aws-sam/build/CounterFunction/bootstrap, the one `sam build`
# ships; BENCH_RUST_BOOTSTRAP=path measures another. The arm64 bootstrap (make build-arm64) is
# reported by size only: under QEMU its instructions and times are the emulator's, not Graviton's.
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "bench.sh: $*" >&2; exit 1; }

readonly RUST_BOOTSTRAP=${BENCH_RUST_BOOTSTRAP:-.aws-sam/build/CounterFunction/bootstrap}
readonly ARM64_BOOTSTRAP=.aws-sam/arm64/CounterFunction/bootstrap
readonly VENV=bench/.venv
readonly STAMP=$VENV/.installed

command -v node >/dev/null 2>&1 || die "node not found: install Node.js >= 20"
[[ -f node_modules/dynalite/package.json ]] || die "dynalite is not installed: run npm ci (make setup)"
[[ -x $RUST_BOOTSTRAP ]] || die "$RUST_BOOTSTRAP missing: run make build (or make bench, which does)"
[[ -x $ARM64_BOOTSTRAP ]] || die "$ARM64_BOOTSTRAP missing: run make build-arm64 (or make bench, which does)"

# The Python measuring stick's interpreter and wheels, reinstalled when the pins change.
want=$(sha256sum bench/requirements.txt | cut -d' ' -f1)
if [[ ! -x $VENV/bin/python || ! -f $STAMP || $(cat "$STAMP") != "$want" ]]; then
  python=${BENCH_PYTHON:-python3}
  command -v "$python" >/dev/null 2>&1 || die "$python not found: the Python measuring stick needs CPython >= 3.9"
  echo "bench.sh: installing the Python measuring stick into $VENV" >&2
  rm -rf "$VENV"
  "$python" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --only-binary=:all: \
    -r bench/requirements.txt
  echo "$want" >"$STAMP"
fi
# The obvious Rust: a plain `cargo build --release` for this machine, not cargo-lambda's zig
# cross-link to glibc 2.26: it runs here only, and the link step changes none of the code measured.
# Rebuilt when its sources, lock file or the toolchain change; else the last build is reused.
readonly OBVIOUS=bench/.build/obvious
command -v cargo >/dev/null 2>&1 || die "cargo not found: install Rust with rustup (https://rustup.rs)"
obvious_inputs=$(cd bench/obvious && {
  sha256sum Cargo.toml Cargo.lock
  find src -type f -name '*.rs' -print0 | sort -z | xargs -0 sha256sum
  rustc -V
} | sha256sum | cut -d' ' -f1)
if [[ ! -x $OBVIOUS/bootstrap || ! -f $OBVIOUS/.inputs || $(cat "$OBVIOUS/.inputs") != "$obvious_inputs" ]]; then
  echo "bench.sh: building the obvious Rust (bench/obvious/, release: minutes the first time)" >&2
  cargo build --release --locked --manifest-path bench/obvious/Cargo.toml
  mkdir -p "$OBVIOUS"
  cp bench/obvious/target/release/bootstrap "$OBVIOUS/bootstrap"
  echo "$obvious_inputs" >"$OBVIOUS/.inputs"
fi

if [[ " ${BENCH_ARGS:-} $* " != *" --no-instructions "* ]]; then
  for tool in valgrind callgrind_control; do
    command -v "$tool" >/dev/null 2>&1 \
      || die "$tool not found: install valgrind (Debian: apt-get install valgrind), or pass --no-instructions"
  done
fi

# Byte-compile the handler once, as a deployment would ship it, so no run pays for it.
"$VENV/bin/python" -m compileall -q bench/python >/dev/null

# The harness's own floors (bench/floor/): init of a program that only asks for its first event,
# and the CPU per invocation of one that makes the counter's exchanges and nothing else.
cargo build --release --locked --package floor >&2
stub=(--stub target/release/next_only --floor target/release/invoke_floor)

# The cold visits' rehearsal of AWS's HTTPS path (bench/rehearse/), built the way sam build
# builds the bootstrap (cargo-lambda, release, the target Cargo.toml's
# [package.metadata.lambda.build] names, read from there), so the two compare and share every
# compiled dependency: only the crate itself and the link are new.
[[ -x .venv/bin/cargo-lambda ]] || die ".venv/bin/cargo-lambda missing: run make setup"
lambda_target=$(cargo metadata --locked --no-deps --format-version 1 | node -e '
  const meta = JSON.parse(require("node:fs").readFileSync(0, "utf8"));
  const root = meta.packages.find((p) => p.name === "cloudresumecounter");
  process.stdout.write(root.metadata.lambda.build.target[0]);')
PATH="$PWD/.venv/bin:$PATH" cargo lambda build --release --target "$lambda_target" \
  --package rehearse_aws_path >&2
readonly REHEARSAL=target/lambda/rehearse_aws_path/bootstrap

echo "arm64 bootstrap: $ARM64_BOOTSTRAP, $(stat -c %s "$ARM64_BOOTSTRAP") bytes (x86_64:" \
  "$(stat -c %s "$RUST_BOOTSTRAP")); its instructions and times are not measured: under QEMU" \
  "they would be the emulator's, not Graviton's"

# shellcheck disable=SC2086 # BENCH_ARGS is a list of options
BENCH_ZIP_PYTHON=$VENV/bin/python exec node bench/bench.js --rust "$RUST_BOOTSTRAP" --obvious "$OBVIOUS/bootstrap" \
  --rehearsal "$REHEARSAL" "${stub[@]}" ${BENCH_ARGS:-} "$@"
