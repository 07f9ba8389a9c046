'use strict';
// `make invoke EVENT=...` as a user types it: an event file and standard input through the
// built binary, the refusals of a missing or malformed event, and the count shared with a
// running `make dev`. Each test has a data folder of its own. (Every file in events/ through
// the binary: events.test.js.)

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { startDynalite } = require('../../tools/local/dynalite');
const { ROOT, EXPECTED, counted, assertResponse, bootstrapPath, startDev, freePort, request, assertCounted } = require('./helpers');

// A fresh data folder for `t`, removed when it ends (with the lock a killed run leaves), after
// `first` (a `make dev` on it) is stopped.
function dataFolder(t, first = () => {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'counter-invoke-'));
  t.after(async () => {
    await first();
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(`${dir}.dev-pid`, { force: true });
  });
  return dir;
}

const envOn = (dataDir) => ({ ...process.env, BOOTSTRAP: bootstrapPath(), DEV_DATA_DIR: dataDir });

function makeInvoke(dataDir, event, { input } = {}) {
  const args = ['-s', '--no-print-directory', 'invoke'];
  if (event !== undefined) args.push(`EVENT=${event}`);
  const run = spawnSync('make', args, { cwd: ROOT, env: envOn(dataDir), input, encoding: 'utf8', timeout: 60_000 });
  if (run.error) throw new Error(`cannot run make (${run.error.message}): install make`);
  return run;
}

// The function's own lines on stderr: JSON objects, unlike invoke's `invoke: ...` notes.
const functionLines = (stderr) => stderr.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line));

function assertAnswered(run, expected, label) {
  assert.equal(run.status, 0, `${label}: ${run.stderr}`);
  assertResponse({ payload: JSON.parse(run.stdout) }, expected, label);
  const lines = functionLines(run.stderr);
  assert.equal(lines.length, 1, `${label}: one log line:\n${run.stderr}`);
  assert.equal(lines[0].status, expected.status, `${label}: the log line records the status`);
}

// The page events/get-counter.json counts.
const PAGE = '/index.html';

// A hit from `run` on PAGE: counted, above `previous` and what the table (`db`) holds after it,
// answered as counted() with that count. Not 1, then 2: through the function's 500 ms attempt
// timeout, a busy machine may apply a write twice, and dynalite's record of writes lives and
// dies in another process.
async function assertHit(run, db, previous, label) {
  assert.equal(run.status, 0, `${label}: ${run.stderr}`);
  const count = await assertCounted(db, PAGE, JSON.parse(JSON.parse(run.stdout).body), previous);
  assertAnswered(run, counted(count), label);
  return count;
}

// The table make invoke counted in, read through a dynalite of our own on `dataDir` for each call
// (make invoke stops its own after each run).
const tableIn = (dataDir) => ({
  call: async (target, body) => {
    const db = await startDynalite({ path: dataDir });
    try {
      return await db.call(target, body);
    } finally {
      await db.close();
    }
  },
});

test('EVENT=a file, then EVENT=- from standard input, go on counting in the same data; a refusal exits 0', async (t) => {
  const data = dataFolder(t);
  const first = await assertHit(makeInvoke(data, 'events/get-counter.json'), tableIn(data), 0, 'the file');
  const stdin = fs.readFileSync(path.join(ROOT, 'events/get-counter.json'));
  await assertHit(makeInvoke(data, '-', { input: stdin }), tableIn(data), first, 'standard input');
  assertAnswered(makeInvoke(data, 'events/post-counter.json'), EXPECTED['post-counter.json'], 'a 405');
});

// `ran`: the event reached the function, which logged its error; else the function never ran.
test('no event, a missing file, one that is not JSON or not from an HTTP API: a clear message, non-zero', (t) => {
  const data = dataFolder(t);
  const notJson = path.join(data, 'bad.json');
  fs.writeFileSync(notJson, '{"rawPath": "/counter",');
  for (const [event, input, message, ran = false] of [
    [undefined, undefined, /usage: make invoke EVENT=events\/get-counter\.json/],
    ['events/nope.json', undefined, /cannot read the event from events\/nope\.json: no such file/],
    [notJson, undefined, /is not JSON \(.+\): an event is one JSON document/],
    ['-', '', /standard input is empty/],
    ['-', 'hello', /standard input is not JSON/],
    ['-', '{"hello": "world"}', /invoke: the function failed: [\s\S]*NotAnHttpApiEvent/, true],
  ]) {
    const run = makeInvoke(data, event, { input });
    assert.notEqual(run.status, 0, `${event}: ${run.stderr}`);
    assert.match(run.stderr, message);
    assert.equal(run.stdout, '', `${event}: nothing on stdout`);
    assert.equal(functionLines(run.stderr).length > 0, ran, `${event}: the function ran: ${ran}`);
  }
});

test('with `make dev` running on the same data, make invoke counts in its dynalite', async (t) => {
  let dev;
  const data = dataFolder(t, () => dev?.stop());
  dev = startDev({ ...envOn(data), PORT: String(await freePort()), SITE_PORT: String(await freePort()) });
  const base = await dev.ready;

  const run = makeInvoke(data, 'events/get-counter.json'); // synchronous: dev.js waits meanwhile
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stderr, /the running `make dev`/);
  const db = dev.db();
  const count = await assertHit(run, db, 0, 'through make dev');
  const viaDev = JSON.parse((await request(`${base}/counter?path=${encodeURIComponent(PAGE)}`)).body);
  // Above the invoke's count: make dev sees the hit.
  assert.deepEqual(viaDev, { count: await assertCounted(db, PAGE, viaDev, count), counted: true }, 'make dev sees the hit');
});
