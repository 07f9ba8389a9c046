'use strict';
// The real caller: examples/index.html on one loopback origin (tools/local/site.js), its
// counter.js asking the API (front + emulator + bootstrap + dynalite) on another, in headless
// Chromium driven by playwright-core. Each test has its own browser contexts and page path.
//
// Every context is a visitor of its own to the function, which folds one client's repeats: all
// browsers here connect from 127.0.0.1, so each context gets a User-Agent of its own (another
// Chrome build number), as people behind one NAT differ by browser and version. One address
// adds at most 10 hits to a page per window, so no test sends more to one page from it, but
// the crowd's, which runs a function of its own with a higher ceiling.
//
// A count the API answers is what dynalite applied, which an SDK retry on a busy machine can
// raise by one more than the hits asked: each test checks the hits asked (countOf) and then
// that the page shows, and the API answered, the count the table holds.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { chromium } = require('playwright-core'); // `npm ci` installs it
const { startHttpFront } = require('../../tools/local/http-front');
const { startSite } = require('../../tools/local/site');
const { chromiumPath } = require('../../tools/local/chromium');
const { ROOT, freePort, hits, countOf, startFunction, useFunction } = require('./helpers');

// As rust.md says: without the background-networking flags Chromium keeps dialling out to a
// closed network; --no-sandbox because CI runs as root.
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
// A real visitor's browser: headless Chromium's own User-Agent says "HeadlessChrome", which
// the API takes for a crawler and answers without counting.
const DESKTOP_CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';
let visitors = 0;
const visitorAgent = () => DESKTOP_CHROME.replace('156.0.0.0', `156.0.${++visitors}.0`);

const fn = useFunction();
let browser;
let front;
const frontLog = [];

before(async () => {
  await fn.ready();
  front = await startHttpFront({ invoke: fn.rt.invoke, onRequest: (r) => frontLog.push(r) });
  // Playwright turns the back/forward cache off by default; a visitor's browser has it.
  const noBfcache = ['--disable-back-forward-cache'];
  browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: CHROMIUM_ARGS, ignoreDefaultArgs: noBfcache });
});

after(async () => {
  await browser?.close();
  await front?.close();
});

// examples/ as a site owner would publish it, asking the API at `apiUrl` (the front by
// default), for test `t`; every folder serves the example page (so /a/index.html counts "/a/"),
// plus `pages` ({ "/elsewhere.html": html }); `retryMs`: how long counter.js keeps asking again.
async function site(t, { apiUrl = `${front.url}/counter`, pages = {}, retryMs } = {}) {
  const started = await startSite({ apiUrl, pages, retryMs });
  t.after(started.close);
  return started;
}

// A page in a browser context of its own: its own localStorage, clock and init scripts. Under
// Playwright (DevTools) Chromium reports navigator.webdriver = true; a visitor's browser does
// not, so unless `automated` the page sees what a visitor's would.
async function openPage(t, { userAgent = visitorAgent(), timezoneId, initScripts = [], automated = false, javaScriptEnabled = true } = {}) {
  const context = await browser.newContext({ userAgent: userAgent || undefined, timezoneId, javaScriptEnabled });
  t.after(() => context.close());
  const asVisitor = () => Object.defineProperty(Navigator.prototype, 'webdriver', { configurable: true, get: () => false });
  const onError = () => window.addEventListener('error', (e) => (window.uncaughtError = String(e.message)));
  for (const script of [onError, ...(automated ? [] : [asVisitor]), ...initScripts]) await context.addInitScript(script);
  return context.newPage();
}

async function visit(t, url, options) {
  const page = await openPage(t, options);
  await page.goto(url);
  return page;
}

// Loads `url` with JavaScript off (or on `page`): the response to its image request (format=svg).
async function loadImage(t, url, { page, ...options } = {}) {
  page ??= await openPage(t, { javaScriptEnabled: false, ...options });
  const image = page.waitForResponse((res) => res.url().includes('format=svg'));
  await page.goto(url);
  return image;
}

// The assertion under test: the page shows a whole number of views. Waits for counter.js to
// settle (data-state leaves "loading") or throw, so a failure is immediate, not a timeout.
async function shownCount(page) {
  const el = page.locator('#visits');
  const settled = await page.waitForFunction(() => window.uncaughtError || document.querySelector('#visits').dataset.state !== 'loading');
  const outcome = await settled.jsonValue();
  assert.equal(outcome, true, `the page's script threw: ${outcome}`);
  const state = await el.getAttribute('data-state');
  const text = (await el.textContent()).trim();
  assert.equal(state, 'ok', `counter.js failed and shows "${text}"`);
  assert.match(text, /^\d+$/, 'a whole number is shown');
  return Number(text);
}

// The values counter.js keeps in this origin's localStorage (whatever it names its keys).
const storedValues = (page) => page.evaluate(() => Object.keys(localStorage).map((key) => localStorage.getItem(key)));

// The GETs the page on `from` sent to the API with its Origin, and the API's answers.
function sentFrom(from) {
  const sent = frontLog.filter((r) => r.method === 'GET' && r.origin === from.url);
  return { urls: sent.map((r) => r.url), answers: sent.map((r) => JSON.parse(r.body)) };
}

// The image requests (format=svg) the API has answered so far. An <img> sends no Origin.
const svgRequests = () => frontLog.filter((r) => r.url.includes('format=svg'));

const asked = (counterPath, read = false) => `/counter?path=${encodeURIComponent(counterPath)}${read ? '&increment=false' : ''}`;
const answer = (count, counted) => ({ count, counted });

test('the page counts a visitor once a day: a reload only reads, the next day counts again', async (t) => {
  const ours = await site(t);
  assert.notEqual(new URL(ours.url).origin, new URL(front.url).origin, 'page and API are cross-origin');
  // Tokyo keeps no summer time. 23:50 and 00:05 there are 14:50 and 15:05 UTC on one UTC
  // date: only the visitor's local calendar tells the two days apart.
  const page = await openPage(t, { timezoneId: 'Asia/Tokyo' });

  await page.clock.setFixedTime('2026-05-14T23:50:00+09:00');
  await page.goto(`${ours.url}/daily/index.html`);
  const shown = await shownCount(page);
  const first = await countOf(fn.db, '/daily/', 1);
  assert.equal(shown, first);
  assert.deepEqual(await storedValues(page), ['2026-05-14'], 'the local date of the counted hit is kept');

  await page.clock.setFixedTime('2026-05-14T23:55:00+09:00');
  await page.reload();
  assert.equal(await shownCount(page), first, 'a reload the same day shows the count');
  assert.equal(await countOf(fn.db, '/daily/', 1), first, 'a reload the same day adds nothing to the table');

  await page.clock.setFixedTime('2026-05-15T00:05:00+09:00');
  await page.reload();
  const shownNextDay = await shownCount(page);
  const second = await countOf(fn.db, '/daily/', 2, 'the next day counts again');
  assert.equal(shownNextDay, second);
  assert.deepEqual(await storedValues(page), ['2026-05-15']);

  // Every request carried the page's Origin; /daily/index.html is counted as /daily/.
  assert.deepEqual(sentFrom(ours), {
    urls: [asked('/daily/'), asked('/daily/', true), asked('/daily/')],
    answers: [answer(first, true), answer(first, false), answer(second, true)],
  });
});

// What only reads shows the count and leaves no trace: no item, nothing remembered.
for (const [who, options, url] of [
  ["headless Chromium's own User-Agent (a crawler)", { userAgent: null }, asked('/crawled/')],
  ['a browser driven by automation (navigator.webdriver)', { automated: true }, asked('/automated/', true)],
]) {
  test(`${who} is shown the count and only reads`, async (t) => {
    const ours = await site(t);
    const counterPath = options.automated ? '/automated/' : '/crawled/';
    const page = await visit(t, `${ours.url}${counterPath}index.html`, options);
    if (options.automated) assert.equal(await page.evaluate(() => navigator.webdriver), true, 'Chromium under Playwright says so itself');
    else assert.match(await page.evaluate(() => navigator.userAgent), /HeadlessChrome/);
    assert.equal(await shownCount(page), 0);
    assert.deepEqual(await storedValues(page), [], 'a read that did not count is not remembered');
    assert.equal(await hits(fn.db, counterPath), undefined, 'a read creates no item');
    assert.deepEqual(sentFrom(ours), { urls: [url], answers: [answer(0, false)] });
  });
}

// Where a browser refuses storage: reading window.localStorage throws (cookies blocked), or
// setItem does (Safari's old private mode). `premise`: true where the page has no usable storage.
const BLOCKED_STORAGE = {
  'localStorage throws': {
    script: () => Object.defineProperty(window, 'localStorage', { configurable: true, get() { throw new DOMException('insecure', 'SecurityError'); } }),
    premise: () => { try { return typeof window.localStorage === 'undefined'; } catch { return true; } },
  },
  'setItem throws': {
    script: () => { Storage.prototype.setItem = () => { throw new DOMException('quota', 'QuotaExceededError'); }; },
    premise: () => { try { localStorage.setItem('probe', '1'); return false; } catch { return true; } },
  },
};
// Where storage is blocked the owner's switch cannot be kept either, so the browser goes on
// counting; a page restored from the back/forward cache, where a second run of counter.js would
// count, is not counted again.
for (const [why, blocked] of Object.entries(BLOCKED_STORAGE)) {
  test(`where storage is blocked (${why}) every load counts, even after #counter=ignore, but not a restore`, async (t) => {
    const ours = await site(t, { pages: { '/elsewhere.html': '<!doctype html><title>elsewhere</title>' } });
    const counterPath = `/blocked-${why.split(' ')[0]}/`;
    const recordShows = () => addEventListener('pageshow', (e) => (window.shows = (window.shows || []).concat(e.persisted)));
    const page = await visit(t, `${ours.url}${counterPath}index.html#counter=ignore`, { initScripts: [blocked.script, recordShows] });
    assert.ok(await page.evaluate(blocked.premise), 'the page really has no usable storage');
    assert.equal(await shownCount(page), await countOf(fn.db, counterPath, 1));
    await page.reload();
    const shown = await shownCount(page);
    const count = await countOf(fn.db, counterPath, 2, 'the reload');
    assert.equal(shown, count);

    await page.goto(`${ours.url}/elsewhere.html`);
    await page.goBack({ waitUntil: 'commit' }); // a restored page fires no load event
    // Restored: a second pageshow, persisted. Reloaded instead: a new document's first pageshow.
    await page.waitForFunction(() => document.readyState === 'complete' && window.shows &&
      (window.shows.length === 2 || performance.getEntriesByType('navigation')[0].type === 'back_forward'));
    assert.deepEqual(await page.evaluate(() => window.shows), [false, true], 'restored from the back/forward cache');
    assert.equal(await shownCount(page), count, 'it still shows its count');
    assert.equal(await countOf(fn.db, counterPath, 2, 'the restore'), count, 'and did not count again');
    assert.deepEqual(sentFrom(ours).urls, [asked(counterPath), asked(counterPath)]);
  });
}

test('negative control: without the CORS header the same assertion fails', async (t) => {
  const log = [];
  const withoutCors = await startHttpFront({ invoke: fn.rt.invoke, cors: false, onRequest: (r) => log.push(r) });
  t.after(withoutCors.close);
  // No retry: each would count again, the answer being lost only to the page.
  const ours = await site(t, { apiUrl: `${withoutCors.url}/counter`, retryMs: 0 });
  const page = await openPage(t);
  const messages = [];
  page.on('console', (msg) => messages.push(msg.text()));
  await page.goto(`${ours.url}/no-cors/index.html`);
  await assert.rejects(shownCount(page), /counter\.js failed and shows "–"/);

  // The API did count and answer 200; only the browser refused to hand it to the page.
  const sent = log.filter((r) => r.method === 'GET');
  const count = await countOf(fn.db, '/no-cors/', 1);
  assert.deepEqual(sent.map((r) => [r.status, JSON.parse(r.body)]), [[200, answer(count, true)]]);
  assert.ok(messages.some((text) => /CORS|Access-Control-Allow-Origin/i.test(text)), messages.join('\n'));
  assert.deepEqual(await storedValues(page), [], 'an answer the page never saw is not remembered');
});

test("the owner's switch: #counter=ignore only reads from then on, #counter=count undoes it", async (t) => {
  const ours = await site(t);
  const url = `${ours.url}/owner/index.html`;
  const page = await visit(t, `${url}#counter=ignore`);
  assert.equal(await shownCount(page), 0, 'the page still shows the count');
  assert.equal(await page.evaluate(() => location.hash), '', 'the switch leaves the address, so no link carries it');
  assert.equal((await storedValues(page)).length, 1, 'the switch is kept in localStorage');
  await page.reload();
  assert.equal(await shownCount(page), 0, 'and still applies on the next load');

  // Typed into the address bar of the open page: a same-document navigation, no new load.
  await page.goto(`${url}#counter=count`);
  await page.waitForFunction(() => location.hash === '');
  assert.deepEqual(await storedValues(page), [], 'the undo forgets the switch');
  await page.reload();
  const shown = await shownCount(page);
  const count = await countOf(fn.db, '/owner/', 1, 'this browser counts again');
  assert.equal(shown, count);
  assert.deepEqual(sentFrom(ours), {
    urls: [asked('/owner/', true), asked('/owner/', true), asked('/owner/')],
    answers: [answer(0, false), answer(0, false), answer(count, true)],
  });
});

// Chromium prerenders nothing while a DevTools client is attached (its Preload domain reports
// "PrerenderingDisabledByDevTools", for Playwright and for a bare CDP session alike), so this
// test runs Chromium on its own, as a visitor would, and the pages report to the site what
// happened. The start page prerenders /prerender/shown.html by speculation rules and opens it
// once the prerendered page has run its scripts.
test('a prerendered page asks nothing until it is shown, then counts', async (t) => {
  const api = `${front.url}/counter`;
  const requests = () => frontLog.filter((r) => r.url.includes('path=%2Fprerendered'));
  let ranWhilePrerendering, shown;
  const prerendered = new Promise((resolve, reject) => (ranWhilePrerendering = { resolve, reject }));
  const wasShown = new Promise((resolve) => (shown = resolve));
  const shownPage = `<!doctype html><meta charset="utf-8"><title>shown</title>
<p><span id="visits" data-counter-url="${api}" data-counter-path="/prerendered" data-state="loading">…</span></p>
<script src="/counter.js" defer></script>
<script>
  var el = document.getElementById('visits');
  // Fires after the deferred counter.js has run.
  document.addEventListener('DOMContentLoaded', function () {
    fetch('/prerender/ran?prerendering=' + document.prerendering);
  });
  new MutationObserver(function () {
    var activated = performance.getEntriesByType('navigation')[0].activationStart > 0;
    fetch('/prerender/shown?' + new URLSearchParams({ state: el.dataset.state, text: el.textContent, activated: activated }));
  }).observe(el, { attributeFilter: ['data-state'] });
</script>`;
  const pages = {
    '/prerender/start.html': `<!doctype html><meta charset="utf-8"><title>start</title>
<script type="speculationrules">{"prerender": [{"source": "list", "urls": ["/prerender/shown.html"]}]}</script>
<script>fetch('/prerender/go').then(function () { location.href = '/prerender/shown.html'; });</script>`,
    '/prerender/shown.html': (req, res) => {
      const purpose = req.headers['sec-purpose'] || '';
      if (!purpose.includes('prerender')) {
        ranWhilePrerendering.reject(new Error(`Chromium loaded the page without prerendering it (Sec-Purpose "${purpose}")`));
      }
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(shownPage);
    },
    '/prerender/go': (req, res) => prerendered.finally(() => res.end()).catch(() => {}),
    '/prerender/ran': (req, res) => {
      const prerendering = new URL(req.url, ours.url).searchParams.get('prerendering');
      ranWhilePrerendering.resolve({ prerendering, purpose: req.headers['sec-purpose'], askedSoFar: requests().length });
      res.end();
    },
    '/prerender/shown': (req, res) => (shown(new URL(req.url, ours.url).searchParams), res.end()),
  };
  const ours = await site(t, { apiUrl: api, pages });
  // Headless, with no DevTools client, a visitor's User-Agent and a profile of its own; stopped
  // at the end with the helper processes of its process group.
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'counter-chromium-'));
  const start = `${ours.url}/prerender/start.html`;
  const args = ['--headless', ...CHROMIUM_ARGS, `--user-data-dir=${profile}`, `--user-agent=${DESKTOP_CHROME}`, start];
  const chromium = spawn(chromiumPath(), args, { stdio: 'ignore', detached: true });
  const exited = new Promise((resolve) => chromium.once('exit', resolve));
  t.after(async () => {
    process.kill(-chromium.pid, 'SIGTERM');
    await exited;
    // A helper may still be writing its last file into the profile as the group winds down.
    fs.rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  });

  const report = await prerendered;
  assert.equal(report.prerendering, 'true', 'the page ran its scripts while prerendering');
  assert.match(report.purpose, /prerender/);
  assert.equal(report.askedSoFar, 0, 'counter.js asked nothing while prerendering');
  const after = await wasShown;
  const count = await countOf(fn.db, '/prerendered', 1);
  assert.deepEqual(Object.fromEntries(after), { state: 'ok', text: String(count), activated: 'true' });
  const sent = requests().map((r) => ({ url: r.url, purpose: r.purpose, answer: JSON.parse(r.body) }));
  assert.deepEqual(sent, [{ url: asked('/prerendered'), purpose: undefined, answer: answer(count, true) }], 'one request, once shown');
});

// examples/index.html's <noscript> image asks for "/" whatever the folder: these tests start
// from the hits "/" was already asked for.
test('with JavaScript off the page counts once through its <noscript> image', async (t) => {
  const ours = await site(t);
  const before = fn.db.writesTo('/').asked;
  const seen = svgRequests().length;

  const page = await openPage(t, { javaScriptEnabled: false });
  const res = await loadImage(t, `${ours.url}/`, { page });
  assert.equal(res.status(), 200);
  await page.waitForLoadState('load');
  const shown = await page.evaluate(() => ({
    drawn: document.querySelector('noscript img, img').naturalWidth > 0,
    sentence: getComputedStyle(document.getElementById('views-sentence')).display,
  }));
  assert.deepEqual(shown, { drawn: true, sentence: 'none' }, 'the image is drawn; the sentence without a number hidden');
  const count = await countOf(fn.db, '/', before + 1, 'counted once');
  const sent = svgRequests().slice(seen);
  assert.deepEqual(sent.map((r) => r.url), ['/counter?path=%2F&format=svg&label=page%20views&color=brightgreen']);
  assert.match(sent[0].body, new RegExp(`>${count}<`), 'the image carries the new count');
  assert.match(sent[0].body, new RegExp(`aria-label="page views: ${count}"`), "in the page's words");

  // With JavaScript on, the same page counts through counter.js alone.
  const scripted = await visit(t, `${ours.url}/`);
  const scriptShows = await shownCount(scripted);
  assert.equal(scriptShows, await countOf(fn.db, '/', before + 2, 'counted by the script'));
  await scripted.waitForLoadState('load');
  assert.equal(svgRequests().length, seen + 1, 'no image request when the script runs');
  assert.equal(await countOf(fn.db, '/', before + 2, 'once loaded'), scriptShows);
});

// The badge as Chromium draws it, opened on its own: each text's box (its glyphs' advances, in
// whatever font this machine has for them) lies within its rectangle, for long labels, wide
// scripts, right-to-left text, markup and every style.
test('a customised badge draws its label inside its box', async (t) => {
  // 28 requests in a row, faster than the stage's throttle admits on an idle machine: a front
  // of its own without it, since drawing, not throttling, is what this checks.
  const unthrottled = await startHttpFront({ invoke: fn.rt.invoke, throttle: false });
  t.after(unthrottled.close);
  const page = await openPage(t);
  const labels = ['Besuche', '<b>"views" & more</b>', 'צפיות בדף', '訪問者数', '👀 views', 'W'.repeat(64), '界'.repeat(64), 'Ünïcödé ÄÖÜ ÅØ ŁŻ Ωμέγα жжж'];
  for (const style of ['flat', 'flat-square', 'for-the-badge']) {
    for (const label of labels) {
      const query = new URLSearchParams({ path: '/badge/', increment: 'false', format: 'svg', label, color: '4c1', labelColor: 'ABCDEF', style });
      const res = await page.goto(`${unthrottled.url}/counter?${query}`);
      assert.equal(res.status(), 200, `${style} ${label}: ${await res.text()}`);
      const drawn = await page.evaluate(() => {
        const box = (el) => { const b = el.getBBox(); return { left: b.x, right: b.x + b.width }; };
        const texts = [...document.querySelectorAll('text')];
        return {
          rects: [...document.querySelectorAll('rect')].map(box),
          texts: texts.map(box),
          shown: texts.map((el) => el.textContent),
          name: document.documentElement.getAttribute('aria-label'),
          fills: [...document.querySelectorAll('rect')].map((el) => el.getAttribute('fill')),
        };
      });
      const what = `${style} ${JSON.stringify(label)}: ${JSON.stringify(drawn)}`;
      const shown = style === 'for-the-badge' ? label.toUpperCase() : label;
      assert.deepEqual(drawn.shown, [shown, '0'], what);
      assert.equal(drawn.name, `${label}: 0`, what);
      assert.deepEqual(drawn.fills, ['#abcdef', '#4c1'], what);
      drawn.texts.forEach((text, i) => {
        assert.ok(text.right > text.left, `${what}: text ${i} is drawn`);
        assert.ok(text.left >= drawn.rects[i].left && text.right <= drawn.rects[i].right, `${what}: text ${i} inside its box`);
      });
    }
  }
  // A value outside its grammar is refused in JSON, naming its parameter; these would count.
  for (const [name, value, error] of [['label', '\u202Eviews', 'invalid_label'], ['color', '12', 'invalid_color'],
    ['labelColor', '#555', 'invalid_label_color'], ['style', 'plastic', 'invalid_style']]) {
    const res = await page.goto(`${unthrottled.url}/counter?${new URLSearchParams({ path: '/badge/', format: 'svg', [name]: value })}`);
    assert.equal(res.status(), 400, name);
    assert.match(res.headers()['content-type'], /^application\/json/, name);
    assert.equal(JSON.parse(await res.text()).error, error, name);
  }
  assert.equal(await hits(fn.db, '/badge/'), undefined, 'the badges only read, and the refusals wrote nothing');
});

// The example page on two sites, the API (front and function) allowing only the first, as the
// template's AllowedOrigins does for the gateway's CORS and the function alike.
test('with AllowedOrigins the page counts from a listed site, and from another only reads', async (t) => {
  const frontPort = await freePort();
  const api = `http://127.0.0.1:${frontPort}/counter`;
  const hiddenPage = `<!doctype html><meta charset="utf-8"><meta name="referrer" content="no-referrer">
<title>hidden</title><img src="${api}?path=%2Fsites%2F&amp;format=svg" alt="views">`;
  const ours = await site(t, { apiUrl: api });
  // Their page cannot read our answers, which to counter.js looks like a gateway's error: it asks
  // again, for one second here rather than the fifteen a visitor would wait.
  const theirs = await site(t, { apiUrl: api, pages: { '/hidden.html': hiddenPage }, retryMs: 1000 });
  const listed = await startFunction(fn.db.endpoint, { COUNTER_ALLOWED_ORIGINS: ours.url }, { t });
  await listed.ready();
  const listedFront = await startHttpFront({
    invoke: listed.invoke,
    port: frontPort,
    allowedOrigins: ours.url,
    onRequest: (r) => frontLog.push(r),
  });
  t.after(() => listedFront.close());
  const seen = frontLog.length;
  const answers = () => frontLog.slice(seen).map((r) => ({ url: r.url, origin: r.origin, answer: r.body }));

  // By script: counted from our site; from theirs the request is sent and only reads, and
  // the gateway's CORS gives their page no answer to show.
  const shown = await shownCount(await visit(t, `${ours.url}/sites/index.html`));
  const count = await countOf(fn.db, '/sites/', 1, 'our page');
  assert.equal(shown, count);
  await assert.rejects(shownCount(await visit(t, `${theirs.url}/sites/index.html`)), /counter\.js failed/);
  assert.equal(await countOf(fn.db, '/sites/', 1, 'their page did not count'), count);
  const theirAnswers = sentFrom(theirs).answers;
  assert.ok(theirAnswers.length >= 1, 'their page sent its request');
  for (const each of theirAnswers) assert.deepEqual(each, answer(count, false), 'and each one only read');

  // By image, where no CORS applies: both pages show the count; only ours adds to it.
  const before = fn.db.writesTo('/').asked;
  for (const [from, asked] of [[theirs, before], [ours, before + 1]]) {
    assert.equal((await loadImage(t, `${from.url}/`)).status(), 200);
    await countOf(fn.db, '/', asked, `the image from ${from === ours ? 'our' : 'their'} page`);
  }

  // Their page with no referrer: no Origin, no Referer, but Sec-Fetch-Site says another page asked.
  assert.equal((await loadImage(t, `${theirs.url}/hidden.html`)).status(), 200);
  assert.equal(await countOf(fn.db, '/sites/', 1, 'a page that hides its address does not count'), count);
  assert.equal(answers().length, 4 + theirAnswers.length, JSON.stringify(answers(), null, 1));
});

// A page of `counters` (each a data-counter-path, or null for the page's own path) asking the API
// at `api`, with counter.js included `scripts` times.
function countersPage(api, counters, scripts = 1) {
  const spans = counters.map((p) => `<p><span data-counter-url="${api}"${p ? ` data-counter-path="${p}"` : ''} data-state="loading">…</span></p>`);
  return `<!doctype html><meta charset="utf-8"><title>counters</title>\n${spans.join('\n')}\n${'<script src="/counter.js" defer></script>\n'.repeat(scripts)}`;
}

// What every counter of the page shows once none is loading: [state, text] each.
async function shownCounters(page) {
  const settled = await page.waitForFunction(() => window.uncaughtError ||
    [...document.querySelectorAll('[data-counter-url]')].every((el) => el.dataset.state !== 'loading'));
  assert.equal(await settled.jsonValue(), true, 'the page\'s script did not throw');
  return page.$$eval('[data-counter-url]', (els) => els.map((el) => [el.dataset.state, el.textContent.trim()]));
}

for (const [what, dir, counters, paths] of [
  ['two counters of the page', 'two-same', [null, null], ['/two-same/']],
  ['two counters of two paths', 'two-paths', [null, '/two-paths/other'], ['/two-paths/', '/two-paths/other']],
]) {
  test(`a page with ${what} fills both, with one request per path`, async (t) => {
    const ours = await site(t, { pages: { [`/${dir}/index.html`]: countersPage(`${front.url}/counter`, counters) } });
    const page = await visit(t, `${ours.url}/${dir}/index.html`);
    const shown = await shownCounters(page);
    const counts = {};
    for (const p of paths) counts[p] = await countOf(fn.db, p, 1);
    assert.deepEqual(shown, counters.map((p) => ['ok', String(counts[p ?? `/${dir}/`])]));
    assert.deepEqual(sentFrom(ours).urls.sort(), paths.map((p) => asked(p)));
  });
}

test('counter.js included twice asks once, and counts once', async (t) => {
  const ours = await site(t, { pages: { '/twice/index.html': countersPage(`${front.url}/counter`, [null], 2) } });
  const page = await visit(t, `${ours.url}/twice/index.html`);
  const shown = await shownCounters(page);
  const count = await countOf(fn.db, '/twice/', 1);
  assert.deepEqual(shown, [['ok', String(count)]]);
  assert.deepEqual(sentFrom(ours), { urls: [asked('/twice/')], answers: [answer(count, true)] });
});

test('an answer whose count is not a whole number from 0 up shows "–"', async (t) => {
  const bodies = [{ count: -1, counted: true }, { count: 1.5 }, { count: '3' }, { count: null }, {}, null, { count: 2 ** 53 }];
  let next = 0;
  const ours = await site(t, {
    pages: {
      '/odd/index.html': countersPage('/api/counter', [null]),
      // The page's own origin, so that the page reads every answer.
      '/api/counter': (req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(bodies[next++])),
    },
  });
  for (const body of bodies) {
    const page = await visit(t, `${ours.url}/odd/index.html`);
    assert.deepEqual(await shownCounters(page), [['error', '–']], JSON.stringify(body));
  }
  assert.equal(next, bodies.length, 'one request a page');
});

const VISITORS = 40;

test(`${VISITORS} visitors opening the page at once through the stage's throttle are all shown and counted`, async (t) => {
  const log = [];
  // The crowd comes from one address, 127.0.0.1, which may add them all.
  const crowdFn = await fn.start(t, { COUNTER_HITS_PER_ADDRESS: String(VISITORS) });
  const throttled = await startHttpFront({ invoke: crowdFn.invoke, onRequest: (r) => log.push(r) });
  t.after(throttled.close);
  // counter.js is held back until every page has asked for it, so that all the pages ask the
  // API in the same moment, as a link shared in a busy place would have them do.
  const script = fs.readFileSync(path.join(ROOT, 'examples/counter.js'));
  const waiting = [];
  const crowd = await site(t, {
    apiUrl: `${throttled.url}/counter`,
    pages: {
      '/crowd/counter.js': (req, res) => {
        waiting.push(() => res.writeHead(200, { 'content-type': 'text/javascript' }).end(script));
        if (waiting.length === VISITORS) for (const send of waiting) send();
      },
    },
  });

  // Opened one after another (40 page loads at once would starve the function of CPU on a
  // small machine); each then waits for its script, which comes to all at once.
  const pages = [];
  for (let i = 0; i < VISITORS; i++) {
    const page = await openPage(t);
    await page.goto(`${crowd.url}/crowd/index.html`, { waitUntil: 'commit' });
    pages.push(page);
  }
  const shown = await Promise.all(pages.map(shownCount));
  const statuses = {};
  for (const r of log) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
  const throttledAnswers = log.filter((r) => r.status === 429);
  assert.ok(throttledAnswers.length > 0, 'the throttle turned some requests away');
  for (const r of throttledAnswers) {
    // Without CORS headers, as the gateway may answer.
    assert.deepEqual([JSON.parse(r.body), r.headers['access-control-allow-origin']], [{ message: 'Too Many Requests' }, undefined]);
  }
  // Each page asked until one answer came, and took no second one: counter.js counted every
  // visitor once.
  assert.equal(statuses[200], VISITORS, `one answer a visitor (the front answered ${JSON.stringify(statuses)})`);
  const sorted = [...shown].sort((a, b) => a - b);
  assert.equal(new Set(sorted).size, VISITORS, `every visitor shown a count of its own: ${sorted}`);
  // The function was asked to count each visitor once, and at most once more for each request it
  // failed: on a busy machine a write can outlast the SDK's whole budget, be applied, and be
  // answered 503, which the page asks again after (README, "A hit may count twice"). The table
  // holds every write; the last count shown is the total unless a write whose answer was lost
  // came last, a count no page shows.
  const failed = log.filter((r) => r.status >= 500).length;
  const { asked } = fn.db.writesTo('/crowd/');
  assert.ok(asked >= VISITORS && asked <= VISITORS + failed, `${asked} hits asked, ${VISITORS} visitors, ${failed} failed answers`);
  const total = await countOf(fn.db, '/crowd/', asked);
  assert.ok(failed ? sorted.at(-1) <= total : sorted.at(-1) === total, `the last visitor shown ${sorted.at(-1)} of ${total}`);
});

test('a page that only ever gets 429 shows "–" once its retries are spent; a read retries too', async (t) => {
  const log = [];
  const closed = await startHttpFront({ invoke: fn.rt.invoke, throttle: { rate: 0, burst: 0 }, onRequest: (r) => log.push(r) });
  t.after(closed.close);
  const ours = await site(t, { apiUrl: `${closed.url}/counter`, retryMs: 1000 });

  for (const automated of [false, true]) {
    const seen = log.length;
    const page = await visit(t, `${ours.url}/throttled/index.html`, { automated });
    await assert.rejects(shownCount(page), /counter\.js failed and shows "–"/);
    const sent = log.slice(seen);
    assert.ok(sent.length >= 2, `asked again after a 429 (${sent.length} requests)`);
    assert.deepEqual([...new Set(sent.map((r) => `${r.status} ${r.url}`))], [`429 ${asked('/throttled/', automated)}`]);
  }
  assert.equal(await hits(fn.db, '/throttled/'), undefined, 'nothing reached the function');
});

test('a 5xx the page can read is asked again, and the count shows as soon as an answer comes', async (t) => {
  const answers = [
    [503, { error: 'storage_unavailable', message: 'try again' }],
    [500, { message: 'Internal Server Error' }],
    [429, { message: 'Too Many Requests' }],
    [200, answer(7, true)],
    [200, answer(8, true)],
  ];
  const sent = [];
  const ours = await site(t, {
    apiUrl: '/api/counter', // the page's own origin, so that the page reads every status
    pages: {
      '/api/counter': (req, res) => {
        sent.push(req.url);
        const [status, body] = answers[sent.length - 1];
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      },
    },
    retryMs: 5000,
  });
  const page = await visit(t, `${ours.url}/flaky/index.html`);
  assert.equal(await shownCount(page), 7);
  assert.deepEqual(sent, Array(4).fill('/api/counter?path=%2Fflaky%2F'), 'four asks, none after the answer');
});
