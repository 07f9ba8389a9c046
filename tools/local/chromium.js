'use strict';
// The Chromium (or Chrome) a test drives: the one named by CHROMIUM, else the first of
// `chromium`, `chromium-browser`, `google-chrome` on PATH. Debian's package is
// /usr/bin/chromium; CodeBuild's Amazon Linux 2023 image links a Chromium snapshot at
// /usr/local/bin/chromium (and chromium-browser) and has Google Chrome as google-chrome.
// Used by the browser tests, the smoke test and scripts/setup-chromium.sh (which runs this
// file: it prints the path, or fails with what to install).

const fs = require('node:fs');
const path = require('node:path');

const NAMES = ['chromium', 'chromium-browser', 'google-chrome'];
const INSTALL =
  'set CHROMIUM=/path/to/chromium, or install Chromium or Chrome: on Debian or Ubuntu ' +
  '`apt-get install chromium` (scripts/setup-chromium.sh does it when run as root), on ' +
  'Fedora or Amazon Linux `dnf install chromium`, or Google Chrome from google.com/chrome';

function executable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

// The browser's path, or an Error saying what was looked for and what to install.
function findChromium(env = process.env) {
  if (env.CHROMIUM) {
    if (executable(env.CHROMIUM)) return env.CHROMIUM;
    return new Error(`CHROMIUM=${env.CHROMIUM} is not an executable file: ${INSTALL}`);
  }
  const dirs = (env.PATH || '').split(path.delimiter).filter(Boolean);
  for (const name of NAMES) {
    for (const dir of dirs) {
      const candidate = path.join(dir, name);
      if (executable(candidate)) return candidate;
    }
  }
  return new Error(`no Chromium or Chrome found (CHROMIUM unset; none of ${NAMES.join(', ')} on PATH): ${INSTALL}`);
}

// For the tests: the path, or a thrown Error with the message above.
function chromiumPath(env = process.env) {
  const found = findChromium(env);
  if (found instanceof Error) throw found;
  return found;
}

module.exports = { findChromium, chromiumPath, CHROMIUM_NAMES: NAMES };

if (require.main === module) {
  const found = findChromium();
  if (found instanceof Error) {
    console.error(`chromium.js: ${found.message}`);
    process.exit(1);
  }
  console.log(found);
}
