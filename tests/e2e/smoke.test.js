'use strict';
// `make smoke COUNTER_URL=…` (tools/smoke.js), the pipeline's check of a deployed counter, run
// here against `make dev`'s counter (started and stopped by the test): it passes, adds exactly
// one to its own path, and with SMOKE_READ_ONLY=1 writes nothing. And it fails where a
// deployment would be wrong: a counter that answers without CORS, and one that does not add one.

const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { startDynalite } = require('../../tools/local/dynalite');
const { startHttpFront } = require('../../tools/local/http-front');
const { ROOT, TABLE, bootstrapPath, startDev, startFunction, request, freePort } = require('./helpers');

const cleanup = [];
after(async () => {
  for (const step of cleanup.reverse()) await step();
});

// `make smoke` as a person or the pipeline runs it: { code, output }.
function makeSmoke(counterUrl, env = {}) {
  return new Promise((resolve) => {
    const args = ['--no-print-directory', 'smoke', `COUNTER_URL=${counterUrl}`];
    const child = spawn('make', args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    for (const stream of [child.stdout, child.stderr]) stream.on('data', (c) => (output += c));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

async function smokeCount(base) {
  const res = await request(`${base}/counter?path=%2Fsmoke%2F&increment=false`);
  assert.equal(res.status, 200, res.body);
  return JSON.parse(res.body).count;
}

test("make smoke passes on make dev's counter, adds one, and read-only adds nothing", async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'counter-smoke-'));
  const dev = startDev({ PORT: String(await freePort()), SITE_PORT: String(await freePort()), DEV_DATA_DIR: dataDir, BOOTSTRAP: bootstrapPath() });
  cleanup.push(async () => {
    await dev.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
  const base = await dev.ready;

  const first = await makeSmoke(`${base}/counter`);
  assert.equal(first.code, 0, first.output);
  assert.match(first.output, /ok {3}one hit adds exactly one \(0 → 1\)/);
  assert.match(first.output, /ok {3}the example page in Chromium shows the count \(1\)/);
  assert.match(first.output, /smoke: all 6 checks passed/);
  assert.equal(await smokeCount(base), 1);

  const readOnly = await makeSmoke(`${base}/counter`, { SMOKE_READ_ONLY: '1' });
  assert.equal(readOnly.code, 0, readOnly.output);
  assert.match(readOnly.output, /skipped: SMOKE_READ_ONLY=1 writes nothing/);
  assert.equal(await smokeCount(base), 1, 'the read-only run wrote nothing');
});

test('make smoke fails against a counter that answers without CORS', async () => {
  const db = await startDynalite({ table: TABLE });
  cleanup.push(db.close);
  const rt = await startFunction(db.endpoint);
  cleanup.push(rt.close);
  await rt.ready();
  const front = await startHttpFront({ invoke: rt.invoke, cors: false });
  cleanup.push(front.close);

  const run = await makeSmoke(`${front.url}/counter`);
  assert.equal(run.code, 2, run.output); // make's status when the recipe fails
  assert.match(run.output, /FAIL CORS preflight from a foreign origin/);
  assert.match(run.output, /FAIL a read answers a whole number .*access-control-allow-origin is missing/);
  assert.match(run.output, /FAIL the example page in Chromium shows the count/);
});

// Answers like the counter (CORS, JSON, SVG) but never adds: every hit says counted, same count.
async function startCounterThatDoesNotAdd() {
  const server = http.createServer((req, res) => {
    const cors = { 'access-control-allow-origin': '*', 'access-control-allow-methods': 'GET,OPTIONS' };
    if (req.method === 'OPTIONS') return res.writeHead(204, cors).end();
    const query = new URL(req.url, 'http://x').searchParams;
    if (!query.get('path')) return res.writeHead(400, { ...cors, 'content-type': 'application/json' }).end('{"error":"missing_path"}');
    if (query.get('format') === 'svg') {
      const svg = { ...cors, 'content-type': 'image/svg+xml', 'cache-control': 'no-store' };
      return res.writeHead(200, svg).end('<svg xmlns="http://www.w3.org/2000/svg"><text>7</text></svg>');
    }
    const counted = query.get('increment') !== 'false';
    res.writeHead(200, { ...cors, 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify({ count: 7, counted }));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) };
}

test('make smoke fails against a counter that does not add one', async () => {
  const counter = await startCounterThatDoesNotAdd();
  cleanup.push(counter.close);
  const run = await makeSmoke(`${counter.url}/counter`);
  assert.equal(run.code, 2, run.output);
  assert.match(run.output, /ok {3}CORS preflight from a foreign origin/);
  assert.match(run.output, /FAIL one hit adds exactly one: the hit answered 7 after 7/);
  assert.match(run.output, /smoke: 1 of 6 checks failed/);
});
