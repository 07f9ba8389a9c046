'use strict';
// `make smoke COUNTER_URL=https://…/counter`: a deployed counter checked the way a visitor's
// browser uses it, over the network, with no AWS credentials. One line per check ("ok" or
// "FAIL"); exits 1 if any failed.
//   1. CORS: a preflight from a foreign origin is answered, and so is the GET, with an
//      access-control-allow-origin that lets that origin read it.
//   2. A read (increment=false) answers {"count": <integer>, "counted": false}.
//   3. One browser-like hit on SMOKE_PATH adds exactly one: read before, hit, read after
//      (SMOKE_READ_ONLY=1 leaves it out: production, where the smoke test writes nothing).
//   4. format=svg is an SVG that shows that count, not to be cached.
//   5. A customised badge (label, colours, style) shows that count in its words, named by them.
//   6. A bad request (an empty path) is a 4xx JSON error.
//   7. The example page, served from another origin with COUNTER_URL in it and loaded in the
//      machine's Chromium, shows that count (under automation counter.js only reads).
// The hit is one per run, from a User-Agent carrying a run id of its own, on a path of its
// own: the per-client repeat limit or a visitor's page sees nothing of it. An address adds at
// most 10 hits to a page per window (COUNTER_HITS_PER_ADDRESS): more runs than that from one
// machine within ten minutes may read instead (those that reach one sandbox), and step 3 fails.
//   SMOKE_PATH (default /smoke/), SMOKE_ORIGIN (default https://smoke-test.example: the
//   foreign origin), SMOKE_READ_ONLY=1, CHROMIUM (tools/local/chromium.js)

const crypto = require('node:crypto');
const { startSite } = require('./local/site');
const { chromiumPath } = require('./local/chromium');

const RUN_ID = crypto.randomBytes(6).toString('hex');
const BROWSER_UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 ' +
  `Safari/537.36 cloudresumecounter-smoke/${RUN_ID}`;
const TIMEOUT_MS = 10_000;

class Failed extends Error {}
const check = (ok, message) => {
  if (!ok) throw new Failed(message);
};

function settings(env) {
  const url = env.COUNTER_URL || '';
  if (!/^https?:\/\/[^/]+\/\S*$/.test(url)) {
    throw new Error(`COUNTER_URL must be the stack's CounterUrl (https://…/counter), not "${url}"`);
  }
  const smokePath = env.SMOKE_PATH || '/smoke/';
  if (!smokePath.startsWith('/')) throw new Error(`SMOKE_PATH must start with "/", not "${smokePath}"`);
  return {
    url: url.split('?')[0],
    smokePath,
    origin: env.SMOKE_ORIGIN || 'https://smoke-test.example',
    readOnly: env.SMOKE_READ_ONLY === '1',
  };
}

async function call(s, query, { method = 'GET', headers = {} } = {}) {
  const res = await fetch(`${s.url}?${new URLSearchParams(query)}`, {
    method,
    headers: { origin: s.origin, 'user-agent': BROWSER_UA, accept: '*/*', ...headers },
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  return { status: res.status, headers: res.headers, body: await res.text() };
}

function json(res) {
  check(/^application\/json/.test(res.headers.get('content-type') || ''), `content-type ${res.headers.get('content-type')}, not JSON`);
  try {
    return JSON.parse(res.body);
  } catch {
    throw new Failed(`not JSON: ${res.body.slice(0, 200)}`);
  }
}

function readableBy(s, res) {
  const allowed = res.headers.get('access-control-allow-origin');
  check(allowed === '*' || allowed === s.origin, `access-control-allow-origin is ${allowed ?? 'missing'}: a page on ${s.origin} could not read the answer`);
}

async function count(s, increment) {
  const query = increment ? { path: s.smokePath } : { path: s.smokePath, increment: 'false' };
  const res = await call(s, query, { headers: { 'sec-fetch-mode': 'cors', 'sec-fetch-site': 'cross-site' } });
  check(res.status === 200, `status ${res.status}: ${res.body.slice(0, 200)}`);
  readableBy(s, res);
  const body = json(res);
  check(Number.isInteger(body.count) && body.count >= 0, `count is ${JSON.stringify(body.count)}, not a whole number`);
  check(body.counted === increment, `counted is ${body.counted}, expected ${increment}`);
  return body.count;
}

const CHECKS = [
  ['CORS preflight from a foreign origin', async (s) => {
    const res = await call(s, { path: s.smokePath }, {
      method: 'OPTIONS',
      headers: { 'access-control-request-method': 'GET' },
    });
    check(res.status >= 200 && res.status < 300, `status ${res.status}`);
    readableBy(s, res);
    const methods = (res.headers.get('access-control-allow-methods') || '').toUpperCase();
    check(methods.includes('GET') || methods === '*', `access-control-allow-methods is "${methods}", without GET`);
  }],
  ['a read answers a whole number and counts nothing', async (s, state) => {
    state.before = await count(s, false);
    state.expected = state.before;
    return `${s.smokePath}: ${state.before}`;
  }],
  ['one hit adds exactly one', async (s, state) => {
    if (s.readOnly) return 'skipped: SMOKE_READ_ONLY=1 writes nothing';
    check(state.before !== undefined, 'no count read before the hit');
    const hit = await count(s, true);
    const after = await count(s, false);
    check(hit === state.before + 1, `the hit answered ${hit} after ${state.before}`);
    check(after === state.before + 1, `read ${after} after the hit, ${state.before} before`);
    state.expected = after;
    return `${state.before} → ${after}`;
  }],
  ['format=svg shows the count and is not cached', async (s, state) => {
    const res = await call(s, { path: s.smokePath, increment: 'false', format: 'svg' });
    check(res.status === 200, `status ${res.status}`);
    check(/^image\/svg\+xml/.test(res.headers.get('content-type') || ''), `content-type ${res.headers.get('content-type')}`);
    check(/^\s*<svg[\s>]/.test(res.body) && /<\/svg>\s*$/.test(res.body), 'not an SVG document');
    check(new RegExp(`>\\s*${state.expected}\\s*<`).test(res.body), `the SVG does not show ${state.expected}`);
    check(/no-store/.test(res.headers.get('cache-control') || ''), `cache-control is "${res.headers.get('cache-control')}", without no-store`);
  }],
  ['a customised badge shows the count in its own words', async (s, state) => {
    const label = 'Besuche & <visites>';
    const res = await call(s, { path: s.smokePath, increment: 'false', format: 'svg', label, color: 'green', labelColor: '333', style: 'for-the-badge' });
    check(res.status === 200, `status ${res.status}: ${res.body.slice(0, 200)}`);
    check(/^image\/svg\+xml/.test(res.headers.get('content-type') || ''), `content-type ${res.headers.get('content-type')}`);
    // Escaped for XML; for-the-badge draws it in capitals, and names the image as written.
    check(res.body.includes(`aria-label="Besuche &amp; &lt;visites&gt;: ${state.expected}"`), `not named "${label}: ${state.expected}": ${res.body.slice(0, 300)}`);
    check(res.body.includes('>BESUCHE &amp; &lt;VISITES&gt;</text>'), `the label is not drawn, escaped, in capitals: ${res.body.slice(0, 300)}`);
    check(new RegExp(`>${state.expected}</text>`).test(res.body), `the badge does not show ${state.expected}`);
    check(res.body.includes('fill="#97ca00"') && res.body.includes('fill="#333"'), 'not in the colours asked for');
  }],
  ['a bad request is a 4xx JSON error', async (s) => {
    const res = await call(s, { path: '' });
    check(res.status >= 400 && res.status < 500, `status ${res.status}`);
    const body = json(res);
    check(typeof body.error === 'string' && body.error.length > 0, `no "error" in ${res.body.slice(0, 200)}`);
    return `${res.status} ${body.error}`;
  }],
  ['the example page in Chromium shows the count', async (s, state) => {
    const { chromium } = require('playwright-core');
    const site = await startSite({ apiUrl: s.url });
    const browser = await chromium.launch({
      executablePath: chromiumPath(),
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    });
    try {
      const page = await browser.newPage();
      // A folder's page counts (here: reads) the folder's path, so the page shows SMOKE_PATH.
      const folder = s.smokePath.endsWith('/') ? s.smokePath : '/';
      await page.goto(`${site.url}${folder}`, { timeout: TIMEOUT_MS });
      const visits = page.locator('#visits');
      await page.waitForFunction(() => document.querySelector('#visits').dataset.state !== 'loading', null, { timeout: TIMEOUT_MS });
      const [shown, shownState] = [(await visits.textContent()).trim(), await visits.getAttribute('data-state')];
      check(shownState === 'ok', `counter.js failed and shows "${shown}"`);
      check(/^\d+$/.test(shown), `the page shows "${shown}", not a number`);
      if (folder === s.smokePath) check(Number(shown) === state.expected, `the page shows ${shown}, the API ${state.expected}`);
      return shown;
    } finally {
      await browser.close();
      await site.close();
    }
  }],
];

async function main() {
  const s = settings(process.env);
  console.log(`smoke: ${s.url} (path ${s.smokePath}, origin ${s.origin}${s.readOnly ? ', read-only' : ''})`);
  const state = {};
  let failed = 0;
  for (const [name, run] of CHECKS) {
    try {
      const note = await run(s, state);
      console.log(`ok   ${name}${note ? ` (${note})` : ''}`);
    } catch (err) {
      failed += 1;
      console.log(`FAIL ${name}: ${err instanceof Failed ? err.message : err.stack || err}`);
    }
  }
  console.log(failed ? `smoke: ${failed} of ${CHECKS.length} checks failed` : `smoke: all ${CHECKS.length} checks passed`);
  process.exitCode = failed ? 1 : 0;
}

main().catch((err) => {
  console.error(`smoke: ${err.message}`);
  process.exitCode = 2;
});
