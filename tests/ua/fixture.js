'use strict';
// Reads the YAML subset of isbot's fixtures (tests/ua/isbot-*.yml): `group:` lines, then
// `  - value` lines, some quoted. Shared by scripts/refresh-crawlers.js and tests/e2e.

const fs = require('node:fs');

function fixture(file) {
  const out = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const item = line.match(/^\s+-\s(.*)$/);
    if (!item) continue;
    const v = item[1];
    out.push(v.startsWith('"') ? JSON.parse(v) : v.startsWith("'") ? v.slice(1, -1).replace(/''/g, "'") : v);
  }
  return out;
}

module.exports = { fixture };
