#!/usr/bin/env bash
# Finds the Chromium the browser tests and the smoke test drive, and prints its path: CHROMIUM,
# else chromium, chromium-browser or google-chrome on PATH (tools/local/chromium.js looks).
# Playwright cannot download a browser of its own here, so it drives the machine's. Only where
# none is found and apt-get exists (Debian, Ubuntu) does it install Debian's chromium (as root,
# or with password-less sudo); otherwise it fails saying what to install.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v node >/dev/null || { echo "setup-chromium.sh: node not found; install Node.js 20 or newer" >&2; exit 1; }
find_chromium() { node tools/local/chromium.js; }

if find_chromium 2>/dev/null; then
  exit 0
fi
# CHROMIUM names a browser that is not there: say so, do not install another one behind it.
[[ -z ${CHROMIUM:-} ]] || { find_chromium >/dev/null; exit 1; }

fail() {
  echo "setup-chromium.sh: no Chromium or Chrome on this machine and $1." >&2
  find_chromium >/dev/null || true
  exit 1
}

command -v apt-get >/dev/null || fail "no apt-get to install Debian's chromium with"

SUDO=()
if [[ "$(id -u)" -ne 0 ]]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
  else
    fail "this user is not root and has no password-less sudo for apt-get"
  fi
fi

echo "setup-chromium.sh: installing Debian's chromium (apt-get)..." >&2
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq >&2 || fail "apt-get update failed"
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends chromium >&2 ||
  fail "apt-get install chromium failed"

find_chromium || fail "apt-get installed chromium, yet none is on PATH"
