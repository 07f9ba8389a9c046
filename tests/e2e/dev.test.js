'use strict';
// `make dev`'s entry point (tools/local/dev.js; scripts/dev.sh only builds first) as a user
// runs it: started, used with curl-like requests, stopped with Ctrl-C, started again.

const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const net = require('node:net');
const { bootstrapPath, startDev: startDevOn, request, freePort, childPids, hits, assertCounted } = require('./helpers');

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'counter-dev-'));
const started = []; // every dev.js, stopped at the end whatever happened

after(async () => {
  for (const dev of started) await dev.stop();
  for (const dir of fs.readdirSync(os.tmpdir()).filter((d) => d.startsWith(path.basename(dataDir)))) {
    fs.rmSync(path.join(os.tmpdir(), dir), { recursive: true, force: true }); // and the locks a killed run leaves
  }
});

// dev.js on `port` (the example site on `sitePort`) with this file's data folder.
function startDev(port, sitePort, settings = {}) {
  const env = { PORT: String(port), SITE_PORT: String(sitePort), DEV_DATA_DIR: dataDir, BOOTSTRAP: bootstrapPath(), ...settings };
  const dev = startDevOn(env);
  started.push(dev);
  return dev;
}

// This machine's non-loopback IPv4 addresses: the front and dynalite must not answer on them.
const externalAddresses = () =>
  Object.values(os.networkInterfaces()).flat().filter((a) => a.family === 'IPv4' && !a.internal).map((a) => a.address);

const reachable = (host, port) =>
  new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.once('connect', () => (socket.destroy(), resolve(true))).once('error', () => resolve(false));
  });

// A hit on `p`: counted, above `previous` and what dev's table (`db`) then holds. Not 1, 2, 3:
// through the function's 500 ms attempt timeout a busy machine may apply a write twice.
async function hit(base, db, p, previous) {
  const res = await request(`${base}/counter?path=${encodeURIComponent(p)}`);
  assert.equal(res.status, 200, res.body);
  return assertCounted(db, p, JSON.parse(res.body), previous);
}

async function stop(dev) {
  const { code, signal, output, left } = await dev.stop();
  assert.equal(code, 0, `dev.js stops cleanly on Ctrl-C (${signal}):\n${output}`);
  assert.deepEqual(left, [], 'every child of dev.js is gone');
}

test('make dev serves rising counts on 127.0.0.1, keeps them across a restart, and Ctrl-C stops it all', async (t) => {
  const [port, sitePort] = [await freePort(), await freePort()];
  const first = startDev(port, sitePort);
  const base = await first.ready;
  assert.equal(base, `http://127.0.0.1:${port}`, 'the printed URL');
  assert.deepEqual(childPids(first.child.pid).length, 1, 'one child: the bootstrap');
  const db = first.db();
  for (const address of externalAddresses()) {
    for (const p of [port, db.port, sitePort]) {
      assert.equal(await reachable(address, p), false, `${address}:${p} refused`);
    }
  }

  // The example page has an origin of its own, at "/", pointed at this front (tools/local/site.js,
  // which serves counter.js too: browser.test.js runs it).
  assert.match(first.output(), new RegExp(`example page: http://127\\.0\\.0\\.1:${sitePort}/ `));
  const example = await request(`http://127.0.0.1:${sitePort}/`);
  assert.equal(example.status, 200);
  assert.match(example.headers['content-type'], /^text\/html/);
  assert.ok(example.body.includes(`data-counter-url="${base}/counter"`), 'the page asks this front');
  assert.ok(example.body.includes(`src="${base}/counter?path=%2F&amp;format=svg&amp;`), 'and so does its image');

  const once = await hit(base, db, '/', 0);
  const twice = await hit(base, db, '/', once);
  await hit(base, db, '/cv', 0);
  await stop(first);

  // Started again listing the example site and one other.
  const site = `http://127.0.0.1:${sitePort}`;
  const second = startDev(port, sitePort, { COUNTER_ALLOWED_ORIGINS: `https://resume.example.com,${site}` });
  assert.equal(await second.ready, base);
  const restarted = second.db();
  assert.equal(await hits(restarted, '/'), twice, 'counts survive a restart');
  await hit(base, restarted, '/', twice);
  await t.test("with COUNTER_ALLOWED_ORIGINS the local front's CORS and the function allow only those sites", async () => {
    const asked = async (origin, method = 'GET') => {
      const headers = { Origin: origin, ...(method === 'OPTIONS' && { 'Access-Control-Request-Method': 'GET' }) };
      const res = await request(`${base}/counter?path=/origins`, { method, headers });
      return { status: res.status, allowed: res.headers['access-control-allow-origin'], body: res.body && JSON.parse(res.body) };
    };
    for (const origin of [site, 'https://resume.example.com']) assert.equal((await asked(origin, 'OPTIONS')).allowed, origin, origin);
    const listed = await asked(site);
    const count = await assertCounted(restarted, '/origins', listed.body, 0);
    assert.deepEqual(listed, { status: 200, allowed: site, body: { count, counted: true } });
    // Another site: no CORS headers for its page, and the request it still sends reads.
    const other = 'http://127.0.0.1:1';
    assert.deepEqual(await asked(other, 'OPTIONS'), { status: 204, allowed: undefined, body: '' });
    assert.deepEqual(await asked(other), { status: 200, allowed: undefined, body: { count, counted: false } });
    assert.equal(await hits(restarted, '/origins'), count, 'the read added nothing');
  });
  await stop(second);
});

test("the local front: the stage's throttle (DEV_THROTTLE=off: none), the HTTP API's CORS and routes", async (t) => {
  const origin = { Origin: 'https://resume.example.com' };
  const { stageThrottle, tokenBucket } = require('../../tools/local/http-front');
  const { rate, burst } = stageThrottle();
  // The bucket on a clock of our own: the burst at once, then the rate each second.
  let now = 0;
  const take = tokenBucket({ rate, burst }, () => now);
  assert.equal(Array.from({ length: burst + 5 }, take).filter(Boolean).length, burst);
  now += 1000;
  assert.equal(Array.from({ length: rate + 5 }, take).filter(Boolean).length, rate);
  // Each on data of its own: two dev.js may not share a folder.
  const at = async (env) => {
    const dev = startDev(await freePort(), await freePort(), { DEV_DATA_DIR: fs.mkdtempSync(`${dataDir}-`), ...env });
    t.after(() => stop(dev));
    return dev.ready;
  };
  const burstOf = (base, n) =>
    Promise.all(Array.from({ length: n }, (_, i) => request(`${base}/counter?path=/throttle-${i}`, { headers: origin })));

  // What a 429 carries: browser.test.js, through the same front.
  const throttled = await burstOf(await at({}), 3 * burst);
  assert.ok(throttled.some((r) => r.status === 429), `none of ${3 * burst} at once refused`);
  const base = await at({ DEV_THROTTLE: 'off' });
  const open = await burstOf(base, 3 * burst);
  assert.deepEqual([...new Set(open.map((r) => r.status))], [200]);

  // A preflight and a GET from a foreign origin answered readably, and the function's headers
  // passed on: smoke.test.js's `make smoke` against `make dev`. Here: the preflight's exact
  // answer (template.yaml's CorsConfiguration), and without an Origin, no CORS.
  const asking = { ...origin, 'Access-Control-Request-Method': 'GET' };
  const { status, headers: h } = await request(`${base}/counter?path=/`, { method: 'OPTIONS', headers: asking });
  assert.deepEqual([status, h['access-control-allow-methods'], h['access-control-max-age']], [204, 'GET,OPTIONS', '600']);
  const withoutOrigin = await request(`${base}/counter?path=/cors`);
  assert.equal(withoutOrigin.headers['access-control-allow-origin'], undefined, 'no Origin, no CORS headers');
  const refused = await request(`${base}/counter`, { headers: origin });
  assert.deepEqual([refused.status, JSON.parse(refused.body).error], [400, 'missing_path']);
  assert.equal(refused.headers['access-control-allow-origin'], '*', 'errors are readable cross-origin too');
  // The query string reaches the function raw: bytes that are not UTF-8 are its to refuse.
  const notUtf8 = await request(`${base}/counter?path=%FF`);
  assert.deepEqual([notUtf8.status, JSON.parse(notUtf8.body).error], [400, 'invalid_path']);

  for (const [method, url] of [['POST', '/counter?path=/'], ['GET', '/other?path=/']]) {
    const res = await request(`${base}${url}`, { method });
    assert.equal(res.status, 404, `${method} ${url} has no route`);
    assert.deepEqual(JSON.parse(res.body), { message: 'Not Found' });
  }
});
