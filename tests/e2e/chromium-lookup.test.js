'use strict';
// Which browser the browser tests and the smoke test drive (tools/local/chromium.js,
// scripts/setup-chromium.sh): CHROMIUM, else chromium, chromium-browser, google-chrome on PATH.
// Then the lookup where CodeBuild's Amazon Linux image leaves it, in a mount namespace with no
// apt-get and no /usr/bin/chromium, Chromium linked at /usr/local/bin/chromium
// (fixtures/as-on-codebuild.sh): found, not installed, and it runs a page; and with no browser
// at all, a failure that says what to install.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { findChromium } = require('../../tools/local/chromium');

const ROOT = path.resolve(__dirname, '../..');
const AS_ON_CODEBUILD = path.join(__dirname, 'fixtures/as-on-codebuild.sh');

function fakeBrowsers(t, names) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chromium-lookup-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  for (const name of names) fs.writeFileSync(path.join(dir, name), '#!/bin/sh\n', { mode: 0o755 });
  return dir;
}

// What to install when there is none: the last test, through scripts/setup-chromium.sh.
test('CHROMIUM wins, or fails naming it; else chromium, chromium-browser, google-chrome in that order on PATH', (t) => {
  const a = fakeBrowsers(t, ['google-chrome', 'chromium-browser']);
  const b = fakeBrowsers(t, ['chromium']);
  const PATH = [a, b].join(path.delimiter);
  assert.equal(findChromium({ PATH }), path.join(b, 'chromium'), 'the name order before the PATH order');
  assert.equal(findChromium({ PATH: a }), path.join(a, 'chromium-browser'));
  assert.equal(findChromium({ PATH, CHROMIUM: path.join(a, 'google-chrome') }), path.join(a, 'google-chrome'));
  assert.match(findChromium({ PATH, CHROMIUM: '/nowhere/chromium' }).message, /CHROMIUM=\/nowhere\/chromium/);
  fs.chmodSync(path.join(a, 'google-chrome'), 0o644);
  assert.equal(findChromium({ PATH: a }), path.join(a, 'chromium-browser'), 'not executable: passed over');
});

const asOnCodeBuild = (env, ...command) =>
  spawnSync(AS_ON_CODEBUILD, command, { cwd: ROOT, env: { ...process.env, CHROMIUM: '', ...env }, encoding: 'utf8', timeout: 60_000 });

// Loads a page in the browser the lookup found: the lookup's answer is a browser that runs.
const LAUNCH_FOUND = `
  const { chromium } = require('playwright-core');
  const { chromiumPath } = require('./tools/local/chromium');
  (async () => {
    const browser = await chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox'] });
    const page = await browser.newPage();
    await page.goto('data:text/html,<p id=n>42</p>');
    console.log('shown ' + (await page.textContent('#n')));
    await browser.close();
  })().catch((err) => { console.error(err); process.exit(1); });
`;

test('without apt-get or /usr/bin/chromium, the browser at /usr/local/bin is found and runs', () => {
  const run = asOnCodeBuild(
    {},
    'bash', '-c',
    'command -v apt-get && exit 9; [[ -e /usr/bin/chromium ]] && exit 8; ' +
      `scripts/setup-chromium.sh && node -e "$0"`,
    LAUNCH_FOUND,
  );
  assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
  assert.equal(run.stdout, '/usr/local/bin/chromium\nshown 42\n');
  assert.doesNotMatch(run.stderr, /installing/, 'found, not installed');
});

test('with no browser and no apt-get, set-up fails saying what to install', () => {
  const run = asOnCodeBuild({ NO_BROWSER: '1' }, 'scripts/setup-chromium.sh');
  assert.equal(run.status, 1, run.stderr);
  assert.equal(run.stdout, '');
  assert.match(run.stderr, /no apt-get/);
  assert.match(run.stderr, /apt-get install chromium/);
  assert.match(run.stderr, /dnf install chromium/);
});
