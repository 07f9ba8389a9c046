#!/usr/bin/env bash
# What building and running the arm64 (Graviton) bootstrap on an x86_64 machine needs:
#   scripts/setup-arm64.sh target   Rust's standard library for aarch64-unknown-linux-gnu
#                                   (rustup target add; zig, from .venv/, is the linker)
#   scripts/setup-arm64.sh qemu     Debian's qemu-user and libc6-arm64-cross (the aarch64
#                                   loader and glibc), then prints the command that runs an
#                                   arm64 binary here: qemu-aarch64 -L /usr/aarch64-linux-gnu
# scripts/sam.sh runs `target` before an arm64 build; the end-to-end tests run `qemu`. Each
# installs only what is missing (apt-get as root or with password-less sudo) and, when it
# cannot, fails naming the command to run.
set -euo pipefail
cd "$(dirname "$0")/.."

readonly RUST_TARGET=aarch64-unknown-linux-gnu
readonly SYSROOT=/usr/aarch64-linux-gnu
readonly PACKAGES=(qemu-user libc6-arm64-cross)

fail() { echo "setup-arm64.sh: $*" >&2; exit 1; }

rust_target() {
  export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
  command -v rustup >/dev/null 2>&1 ||
    fail "rustup not found: the $RUST_TARGET standard library is installed with rustup (https://rustup.rs)"
  rustup target list --installed | grep -qx "$RUST_TARGET" && return 0
  echo "setup-arm64.sh: rustup target add $RUST_TARGET (about 150 MB)..." >&2
  rustup target add "$RUST_TARGET" >&2 ||
    fail "could not install Rust's $RUST_TARGET standard library (rustup's server unreachable?);" \
      "run \`rustup target add $RUST_TARGET\` where it is reachable, then build again"
}

emulator_ready() { command -v qemu-aarch64 >/dev/null 2>&1 && [[ -e $SYSROOT/lib/ld-linux-aarch64.so.1 ]]; }

emulator() {
  if ! emulator_ready; then
    local run="apt-get install -y --no-install-recommends ${PACKAGES[*]}"
    command -v apt-get >/dev/null 2>&1 ||
      fail "no qemu-aarch64 with an aarch64 glibc in $SYSROOT, and no apt-get to install them:" \
        "install QEMU's user-mode aarch64 emulator and an aarch64 glibc (Debian: $run)"
    local sudo=()
    if [[ "$(id -u)" -ne 0 ]]; then
      if ! { command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; }; then
        fail "qemu-aarch64 or $SYSROOT missing and this user is not root and has no password-less sudo: run \`sudo $run\`"
      fi
      sudo=(sudo -n)
    fi
    echo "setup-arm64.sh: installing Debian's ${PACKAGES[*]} (apt-get)..." >&2
    export DEBIAN_FRONTEND=noninteractive
    # Other apt users on a shared machine may hold the lock: wait for it rather than fail.
    local apt=("${sudo[@]}" apt-get -qq -o DPkg::Lock::Timeout=600)
    "${apt[@]}" update >&2 || fail "apt-get update failed; then run \`$run\`"
    "${apt[@]}" install -y --no-install-recommends "${PACKAGES[@]}" >&2 || fail "\`$run\` failed"
    emulator_ready || fail "apt-get installed ${PACKAGES[*]}, yet qemu-aarch64 or $SYSROOT/lib/ld-linux-aarch64.so.1 is missing"
  fi
  echo "$(command -v qemu-aarch64) -L $SYSROOT"
}

case ${1:-} in
  target) rust_target ;;
  qemu) emulator ;;
  *) fail "usage: scripts/setup-arm64.sh target | qemu" ;;
esac
