'use strict';
// `make smoke COUNTER_URL=…` (tools/smoke.js), the pipeline's check of a deployed counter, run
// here against `make dev`'s counter (started and stopped by the test): it passes, adds exactly
// one to its own path, and with SMOKE_READ_ONLY=1 writes nothing. And it fails where a
// deployment would be wrong: a counter that answers without CORS, and one that does not add one.

const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { startHttpFront } = require('../../tools/local/http-front');
const { ROOT, bootstrapPath, startDev, request, freePort, hits, useFunction } = require('./helpers');

const fn = useFunction();

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

  // Smoke's own check is exact: one hit adds one, as it must on a deployed counter. Against make
  // dev on a busy machine it can fail for nothing: a write outliving the function's 500 ms attempt
  // timeout is retried and applied twice (0 → 2). Smoke is not to be taught to accept that.
  const first = await makeSmoke(`${base}/counter`);
  assert.equal(first.code, 0, first.output);
  assert.match(first.output, /ok {3}one hit adds exactly one \(0 → 1\)/);
  assert.match(first.output, /ok {3}the example page in Chromium shows the count \(1\)/);
  assert.match(first.output, /ok {3}a customised badge shows the count in its own words/);
  assert.match(first.output, /smoke: all 7 checks passed/);
  // What smoke read after its hit is what make dev's table holds (its page shows only reads).
  const db = dev.db();
  const count = await hits(db, '/smoke/');
  assert.equal(count, 1, 'the table holds the one hit');
  assert.equal(await smokeCount(base), count, 'a read answers what the table holds');

  const readOnly = await makeSmoke(`${base}/counter`, { SMOKE_READ_ONLY: '1' });
  assert.equal(readOnly.code, 0, readOnly.output);
  assert.match(readOnly.output, /skipped: SMOKE_READ_ONLY=1 writes nothing/);
  assert.equal(await hits(db, '/smoke/'), count, 'the read-only run wrote nothing');
  assert.equal(await smokeCount(base), count);
});

test('make smoke fails against a counter that answers without CORS', async () => {
  const front = await startHttpFront({ invoke: fn.rt.invoke, cors: false });
  cleanup.push(front.close);

  const run = await makeSmoke(`${front.url}/counter`);
  assert.equal(run.code, 2, run.output); // make's status when the recipe fails
  assert.match(run.output, /FAIL CORS preflight from a foreign origin/);
  assert.match(run.output, /FAIL a read answers a whole number .*access-control-allow-origin is missing/);
  assert.match(run.output, /FAIL the example page in Chromium shows the count/);
});

// The real function, each hit turned into a read that says it counted: a counter that does not add.
async function doesNotAdd(event) {
  const hit = !event.rawQueryString.includes('increment=false');
  const asked = hit ? { ...event, rawQueryString: `${event.rawQueryString}&increment=false` } : event;
  const result = await fn.rt.invoke(asked);
  if (hit) result.payload.body = result.payload.body.replace('false', 'true');
  return result;
}

test('make smoke fails against a counter that does not add one', async () => {
  const counter = await startHttpFront({ invoke: doesNotAdd });
  cleanup.push(counter.close);
  const run = await makeSmoke(`${counter.url}/counter`);
  assert.equal(run.code, 2, run.output);
  assert.match(run.output, /ok {3}CORS preflight from a foreign origin/);
  assert.match(run.output, /FAIL one hit adds exactly one: the hit answered (\d+) after \1\b/);
  assert.match(run.output, /smoke: 1 of 7 checks failed/);
});
