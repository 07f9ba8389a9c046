'use strict';
// The real caller: examples/index.html served from one loopback origin, its counter.js
// fetching the API (front + emulator + bootstrap + dynalite) on another, in Debian's headless
// Chromium driven by playwright-core. The page counts a visitor once a day: a reload only
// reads, the next day (Playwright's clock) counts again. A page that fetches on every load
// still counts every load, and so does counter.js where storage is blocked. A negative
// control, with the front's CORS turned off, shows that the same assertion fails when the
// CORS header is missing. Each test has its own browser context (storage, clock) and counts
// its own page path, so the tests do not depend on one another.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
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
// A real visitor's browser: headless Chromium's own User-Agent says "HeadlessChrome", which
// the API takes for a crawler and answers without counting.
const DESKTOP_CHROME =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8' };

// Serves examples/ as a site owner would publish it, with data-counter-url set to `apiUrl`,
// in every folder (so /a/index.html is the example page, counted as "/a/"), plus `pages`
// ({ "/plain.html": html }).
async function startSite(apiUrl, pages = {}) {
  const dir = path.join(ROOT, 'examples');
  const server = http.createServer((req, res) => {
    const pathname = req.url.split('?')[0];
    if (Object.hasOwn(pages, pathname)) {
      res.writeHead(200, { 'content-type': TYPES['.html'] }).end(pages[pathname]);
      return;
    }
    const name = pathname.slice(pathname.lastIndexOf('/') + 1) || 'index.html';
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

// The assertion under test: the page shows a whole number of views. Waits for the page's
// script to settle (data-state leaves "loading") or throw, so a failure is immediate, not a
// timeout.
async function shownCount(page) {
  const el = page.locator('#visits');
  const settled = await page.waitForFunction(
    () => window.uncaughtError || document.querySelector('#visits').dataset.state !== 'loading',
  );
  const outcome = await settled.jsonValue();
  assert.equal(outcome, true, `the page's script threw: ${outcome}`);
  const state = await el.getAttribute('data-state');
  const text = (await el.textContent()).trim();
  assert.equal(state, 'ok', `counter.js failed and shows "${text}"`);
  assert.match(text, /^\d+$/, 'a whole number is shown');
  return Number(text);
}

// The values counter.js keeps in this origin's localStorage (whatever it names its keys).
function storedValues(page) {
  return page.evaluate(() => Object.keys(localStorage).map((key) => localStorage.getItem(key)));
}

const stack = [];
let browser;
let db;
let front;
let frontWithoutCors;
const frontLog = [];

// What the table holds for `counterPath`, read with a Scan: undefined when there is no item.
async function tableHits(counterPath) {
  const scan = await db.call('Scan', { TableName: TABLE });
  assert.equal(scan.status, 200, JSON.stringify(scan.body));
  const item = scan.body.Items.find((i) => i.path.S === counterPath);
  return item && Number(item.hits.N);
}

// The GETs the page on `site` sent to the API with its Origin, and the API's answers.
function sentFrom(site) {
  const hits = frontLog.filter((r) => r.cors && r.method === 'GET' && r.origin === site.url);
  return { urls: hits.map((r) => r.url), answers: hits.map((r) => JSON.parse(r.body)) };
}

// A page in a browser context of its own: its own localStorage, clock and init scripts.
async function openPage(t, { userAgent = DESKTOP_CHROME, timezoneId, initScript } = {}) {
  const context = await browser.newContext({ userAgent: userAgent || undefined, timezoneId });
  t.after(() => context.close());
  await context.addInitScript(() =>
    window.addEventListener('error', (e) => (window.uncaughtError = String(e.message))),
  );
  if (initScript) await context.addInitScript(initScript);
  return context.newPage();
}

before(async () => {
  const { chromium } = loadPlaywright();
  db = await startDynalite({ table: TABLE });
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
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  stack.push(() => browser.close());
});

after(async () => {
  for (const close of stack.reverse()) await close();
});

test('the page counts a visitor once a day: a reload only reads, the next day counts again', async (t) => {
  const site = await startSite(`${front.url}/counter`);
  t.after(site.close);
  assert.notEqual(new URL(site.url).origin, new URL(front.url).origin, 'page and API are cross-origin');
  // Tokyo keeps no summer time. 23:50 and 00:05 there are 14:50 and 15:05 UTC on one UTC
  // date: only the visitor's local calendar tells the two days apart.
  const page = await openPage(t, { timezoneId: 'Asia/Tokyo' });

  await page.clock.setFixedTime('2026-05-14T23:50:00+09:00');
  await page.goto(`${site.url}/index.html`);
  const first = await shownCount(page);
  assert.equal(first, 1);
  assert.deepEqual(await storedValues(page), ['2026-05-14'], 'the local date of the counted hit is kept');

  await page.clock.setFixedTime('2026-05-14T23:55:00+09:00');
  await page.reload();
  assert.equal(await shownCount(page), first, 'a reload the same day shows the count');
  assert.equal(await tableHits('/'), first, 'a reload the same day adds nothing to the table');

  await page.clock.setFixedTime('2026-05-15T00:05:00+09:00');
  await page.reload();
  assert.equal(await shownCount(page), first + 1, 'the next day counts again');
  assert.equal(await tableHits('/'), first + 1);
  assert.deepEqual(await storedValues(page), ['2026-05-15']);

  // Every request carried the page's Origin; /index.html is counted as /.
  assert.deepEqual(sentFrom(site), {
    urls: ['/counter?path=%2F', '/counter?path=%2F&increment=false', '/counter?path=%2F'],
    answers: [
      { count: 1, counted: true },
      { count: 1, counted: false },
      { count: 2, counted: true },
    ],
  });
});

test("headless Chromium's own User-Agent is answered as a crawler: shown, not counted, not remembered", async (t) => {
  const site = await startSite(`${front.url}/counter`);
  t.after(site.close);
  const page = await openPage(t, { userAgent: null });
  assert.match(await page.evaluate(() => navigator.userAgent), /HeadlessChrome/);

  await page.goto(`${site.url}/crawled/index.html`);
  assert.equal(await shownCount(page), 0);
  assert.deepEqual(await storedValues(page), [], 'a read that did not count is not remembered');
  assert.equal(await tableHits('/crawled/'), undefined, 'a read creates no item');
  assert.deepEqual(sentFrom(site), {
    urls: ['/counter?path=%2Fcrawled%2F'],
    answers: [{ count: 0, counted: false }],
  });
});

test('a page that fetches on every load and reads only json.count still counts every load', async (t) => {
  // Written as front ends were before once-a-day counting: no increment, no "counted".
  const plain = `<!doctype html>
<meta charset="utf-8">
<title>plain counter</title>
<p>Views: <span id="visits" data-state="loading">…</span></p>
<script>
  var el = document.getElementById('visits');
  fetch('${front.url}/counter?path=%2Fplain')
    .then(function (res) { return res.json(); })
    .then(function (json) { el.textContent = json.count; el.dataset.state = 'ok'; })
    .catch(function () { el.textContent = '–'; el.dataset.state = 'error'; });
</script>
`;
  const site = await startSite(`${front.url}/counter`, { '/plain.html': plain });
  t.after(site.close);
  const page = await openPage(t);

  await page.goto(`${site.url}/plain.html`);
  assert.equal(await shownCount(page), 1);
  await page.reload();
  assert.equal(await shownCount(page), 2);
  assert.equal(await tableHits('/plain'), 2);
  assert.deepEqual(sentFrom(site).urls, ['/counter?path=%2Fplain', '/counter?path=%2Fplain']);
});

// Where a browser refuses storage: reading window.localStorage throws (cookies blocked), or
// setItem does (Safari's old private mode).
const BLOCKED_STORAGE = {
  'localStorage throws': {
    script: () =>
      Object.defineProperty(window, 'localStorage', {
        configurable: true,
        get() {
          throw new DOMException('The operation is insecure.', 'SecurityError');
        },
      }),
    premise: () => {
      try {
        return typeof window.localStorage === 'undefined';
      } catch {
        return true;
      }
    },
  },
  'setItem throws': {
    script: () => {
      Storage.prototype.setItem = function () {
        throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      };
    },
    premise: () => {
      try {
        localStorage.setItem('probe', '1');
        return false;
      } catch {
        return true;
      }
    },
  },
};

for (const [name, blocked] of Object.entries(BLOCKED_STORAGE)) {
  test(`where storage is blocked (${name}), every load counts`, async (t) => {
    const site = await startSite(`${front.url}/counter`);
    t.after(site.close);
    const page = await openPage(t, { initScript: blocked.script });
    const counterPath = `/blocked-${name.split(' ')[0]}/`;

    await page.goto(`${site.url}${counterPath}index.html`);
    assert.ok(await page.evaluate(blocked.premise), 'the page really has no usable storage');
    assert.equal(await shownCount(page), 1);
    await page.reload();
    assert.equal(await shownCount(page), 2);
    assert.equal(await tableHits(counterPath), 2);
    const counted = `/counter?path=${encodeURIComponent(counterPath)}`;
    assert.deepEqual(sentFrom(site).urls, [counted, counted]);
  });
}

test('negative control: without the CORS header the same assertion fails', async (t) => {
  const site = await startSite(`${frontWithoutCors.url}/counter`);
  t.after(site.close);
  const page = await openPage(t);
  const messages = [];
  page.on('console', (msg) => messages.push(msg.text()));

  await page.goto(`${site.url}/no-cors/index.html`);
  await assert.rejects(shownCount(page), /counter\.js failed and shows "–"/);

  // The API did count and answer 200; only the browser refused to hand it to the page.
  const hits = frontLog.filter((r) => !r.cors && r.method === 'GET');
  assert.equal(hits.length, 1);
  assert.equal(hits[0].status, 200);
  assert.deepEqual(JSON.parse(hits[0].body), { count: 1, counted: true });
  assert.ok(messages.some((text) => /CORS|Access-Control-Allow-Origin/i.test(text)), messages.join('\n'));
  assert.deepEqual(await storedValues(page), [], 'an answer the page never saw is not remembered');
});
