#!/usr/bin/env bash
# Makes sure Debian's Chromium is at /usr/bin/chromium for the browser test.
# Playwright cannot download a browser of its own here, so the test drives Debian's package.
# Installs it with apt-get when absent (CI runs as root); fails with a clear message otherwise.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [[ -x "$CHROMIUM" ]]; then
  exit 0
fi

fail() {
  echo "setup-chromium.sh: $CHROMIUM is missing and $1." >&2
  echo "Install Debian's Chromium yourself: sudo apt-get update && sudo apt-get install -y chromium" >&2
  exit 1
}

command -v apt-get >/dev/null || fail "apt-get is not available (not Debian/Ubuntu)"

SUDO=()
if [[ "$(id -u)" -ne 0 ]]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
  else
    fail "this user is not root and has no password-less sudo"
  fi
fi

echo "setup-chromium.sh: installing Debian's chromium (apt-get)..." >&2
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq || fail "apt-get update failed"
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends chromium >/dev/null ||
  fail "apt-get install chromium failed"

[[ -x "$CHROMIUM" ]] || fail "apt-get installed chromium but $CHROMIUM is still absent"
"$CHROMIUM" --version >&2
