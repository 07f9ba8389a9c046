'use strict';
// The real caller: examples/index.html served from one loopback origin, its counter.js
// fetching the API (front + emulator + bootstrap + dynalite) on another, in Debian's headless
// Chromium driven by playwright-core. A negative control, with the front's CORS turned off,
// shows that the same assertion fails when the CORS header is missing.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { startDynalite } = require('../../tools/local/dynalite');
const { startRuntimeApi } = require('../../tools/local/runtime-api');
const { startHttpFront } = require('../../tools/local/http-front');
const { ROOT, TABLE, bootstrapPath } = require('./helpers');

const CHROMIUM = '/usr/bin/chromium';
// As rust.md says: without the background-networking flags Chromium keeps dialling out to a
// closed network; --no-sandbox because CI runs as root.
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8' };

// Serves examples/ as a site owner would publish it, with data-counter-url set to `apiUrl`.
async function startSite(apiUrl) {
  const dir = path.join(ROOT, 'examples');
  const server = http.createServer((req, res) => {
    const name = req.url.split('?')[0] === '/' ? 'index.html' : req.url.split('?')[0].slice(1);
    const file = path.join(dir, name);
    if (!file.startsWith(dir + path.sep) || !fs.existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    let body = fs.readFileSync(file, 'utf8');
    if (name === 'index.html') {
      const configured = body.replace(/data-counter-url="[^"]*"/, `data-counter-url="${apiUrl}"`);
      assert.notEqual(configured, body, 'index.html has a data-counter-url attribute to configure');
      body = configured;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] || 'application/octet-stream' });
    res.end(body);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

function loadPlaywright() {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: run scripts/setup-chromium.sh (apt-get install chromium)`);
  }
  try {
    return require('playwright-core');
  } catch (err) {
    throw new Error(`playwright-core is not installed (${err.code}): run \`npm ci\``);
  }
}

// The assertion under test: the page shows a whole number of views. Waits for counter.js to
// settle (data-state leaves "loading"), so a failure is immediate, not a timeout.
async function shownCount(page) {
  const el = page.locator('#visits');
  await page.waitForFunction(() => document.querySelector('#visits').dataset.state !== 'loading');
  const state = await el.getAttribute('data-state');
  const text = (await el.textContent()).trim();
  assert.equal(state, 'ok', `counter.js failed and shows "${text}"`);
  assert.match(text, /^\d+$/, 'a whole number is shown');
  return Number(text);
}

const stack = [];
let browser;
let front;
let frontWithoutCors;
const frontLog = [];

before(async () => {
  const { chromium } = loadPlaywright();
  const db = await startDynalite({ table: TABLE });
  stack.push(db.close);
  const rt = await startRuntimeApi({
    bootstrap: bootstrapPath(),
    env: { DYNAMODB_TABLE: TABLE, DYNAMODB_ENDPOINT: db.endpoint },
  });
  stack.push(rt.close);
  await rt.ready();
  front = await startHttpFront({ invoke: rt.invoke, onRequest: (r) => frontLog.push({ cors: true, ...r }) });
  stack.push(front.close);
  frontWithoutCors = await startHttpFront({
    invoke: rt.invoke,
    cors: false,
    onRequest: (r) => frontLog.push({ cors: false, ...r }),
  });
  stack.push(frontWithoutCors.close);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'counter-chromium-'));
  stack.push(async () => fs.rmSync(profile, { recursive: true, force: true }));
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
  });
  stack.push(() => browser.close());
});

after(async () => {
  for (const close of stack.reverse()) await close();
});

test('the page shows the count from another origin, and it goes up on reload', async (t) => {
  const site = await startSite(`${front.url}/counter`);
  t.after(site.close);
  assert.notEqual(new URL(site.url).origin, new URL(front.url).origin, 'page and API are cross-origin');

  const page = await browser.newPage();
  t.after(() => page.close());
  await page.goto(`${site.url}/index.html`);
  const first = await shownCount(page);
  assert.equal(first, 1);
  await page.reload();
  assert.equal(await shownCount(page), first + 1);

  const hits = frontLog.filter((r) => r.cors && r.method === 'GET');
  assert.equal(hits.length, 2);
  for (const hit of hits) {
    assert.equal(hit.origin, site.url, 'the browser sent its Origin');
    assert.equal(hit.url, '/counter?path=%2F', '/index.html is counted as /');
  }
});

test('negative control: without the CORS header the same assertion fails', async (t) => {
  const site = await startSite(`${frontWithoutCors.url}/counter`);
  t.after(site.close);
  const page = await browser.newPage();
  t.after(() => page.close());
  const messages = [];
  page.on('console', (msg) => messages.push(msg.text()));

  await page.goto(`${site.url}/index.html`);
  await assert.rejects(shownCount(page), /counter\.js failed and shows "–"/);

  // The API did answer 200 with a count; only the browser refused to hand it to the page.
  const hits = frontLog.filter((r) => !r.cors && r.method === 'GET');
  assert.equal(hits.length, 1);
  assert.equal(hits[0].status, 200);
  assert.match(hits[0].body, /^\{"count":\d+\}$/);
  assert.ok(messages.some((text) => /CORS|Access-Control-Allow-Origin/i.test(text)), messages.join('\n'));
});
