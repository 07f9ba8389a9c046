#!/usr/bin/env bash
# Mutation testing: cargo-mutants changes src/ one place at a time and runs `cargo test`; a
# change no test notices is "missed". Prints the score at the end. Takes about 75 minutes on
# two cores, so CI does not run it: run it before a release, and on the files a change
# touches while working:  scripts/mutants.sh -f src/store.rs
# What is left out, and why, is in .cargo/mutants.toml. Extra arguments go to cargo-mutants.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup-mutants.sh

# cargo-mutants tests a copy of the tree without node_modules/, where tools/local/dynalite.js
# would not find dynalite; NODE_PATH points it at ours. Its own target dir keeps the builds of
# mutated code away from the one `cargo test` uses, and the dependencies are built only once.
export NODE_PATH="$PWD/node_modules"
export CARGO_TARGET_DIR="$PWD/target/mutants"

status=0
.tools/bin/cargo-mutants mutants --jobs 1 "$@" || status=$?
# Exit 2: some mutants were missed; 3: some timed out. Anything else is cargo-mutants' own failure.
[[ $status == 0 || $status == 2 || $status == 3 ]] || exit "$status"

# shellcheck disable=SC2016 # JavaScript, not shell: its ${} are the template literal's.
node -e '
  const o = require(process.argv[1]);
  const tested = o.caught + o.missed + o.timeout;
  const score = tested ? ((100 * o.caught) / tested).toFixed(1) : "n/a";
  console.log(`mutants: ${o.total_mutants} in all: ${o.caught} caught, ${o.missed} missed, ` +
    `${o.timeout} timed out, ${o.unviable} unviable; score ${score}% (caught / tested)`);
' "$PWD/mutants.out/outcomes.json"
exit "$status"
