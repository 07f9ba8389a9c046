'use strict';
// `make invoke EVENT=...` as a user types it: every file in events/ through the built binary,
// standard input, the refusals of a missing or malformed event, and the count shared with a
// running `make dev`.

const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const {
  ROOT,
  EXPECTED,
  counted,
  assertResponse,
  bootstrapPath,
  startDev,
  eventFiles,
  freePort,
  request,
  isAlive,
  childPids,
} = require('./helpers');

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'counter-invoke-'));
after(() => {
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.rmSync(`${dataDir}.dev-pid`, { force: true }); // left behind only if a run was killed
});

const env = () => ({ ...process.env, BOOTSTRAP: bootstrapPath(), DEV_DATA_DIR: dataDir });

function makeInvoke(event, { input } = {}) {
  const args = ['-s', '--no-print-directory', 'invoke'];
  if (event !== undefined) args.push(`EVENT=${event}`);
  const run = spawnSync('make', args, { cwd: ROOT, env: env(), input, encoding: 'utf8', timeout: 60_000 });
  if (run.error) throw new Error(`cannot run make (${run.error.message}): install make`);
  return run;
}

// The function's own lines on stderr: JSON objects, unlike invoke's `invoke: ...` notes.
const functionLines = (stderr) => stderr.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line));

// In name order on an empty data folder, as events.test.js runs them on a fresh table.
for (const file of eventFiles()) {
  test(`make invoke EVENT=events/${file}`, () => {
    const run = makeInvoke(`events/${file}`);
    assert.equal(run.status, 0, run.stderr);
    assertResponse({ payload: JSON.parse(run.stdout) }, EXPECTED[file], file);
    const lines = functionLines(run.stderr);
    assert.equal(lines.length, 1, `one log line:\n${run.stderr}`);
    assert.equal(lines[0].status, EXPECTED[file].status, 'the log line records the status');
  });
}

test('EVENT=- reads the event from standard input, and the count went on in the same data', () => {
  const run = makeInvoke('-', { input: fs.readFileSync(path.join(ROOT, 'events/get-counter.json')) });
  assert.equal(run.status, 0, run.stderr);
  assertResponse({ payload: JSON.parse(run.stdout) }, counted(2), 'from stdin');
});

test('no event, a missing file or one that is not JSON: a clear message, non-zero, nothing run', () => {
  const notJson = `${dataDir}-bad.json`;
  fs.writeFileSync(notJson, '{"rawPath": "/counter",');
  after(() => fs.rmSync(notJson, { force: true }));
  for (const [event, input, message] of [
    [undefined, undefined, /usage: make invoke EVENT=events\/get-counter\.json/],
    ['events/nope.json', undefined, /cannot read the event from events\/nope\.json: no such file/],
    [notJson, undefined, /is not JSON \(.+\): an event is one JSON document/],
    ['-', '', /standard input is empty/],
    ['-', 'hello', /standard input is not JSON/],
  ]) {
    const run = makeInvoke(event, { input });
    assert.notEqual(run.status, 0, `${event}: ${run.stderr}`);
    assert.match(run.stderr, message);
    assert.equal(run.stdout, '', `${event}: nothing on stdout`);
    assert.deepEqual(functionLines(run.stderr), [], `${event}: the function never ran`);
  }
});

test('an event that is not from an HTTP API: the function error, non-zero', () => {
  const run = makeInvoke('-', { input: '{"hello": "world"}' });
  assert.notEqual(run.status, 0);
  assert.match(run.stderr, /invoke: the function failed: [\s\S]*NotAnHttpApiEvent/);
  assert.equal(run.stdout, '');
});

test('with `make dev` running on the same data, make invoke counts in its dynalite', async (t) => {
  const dev = startDev({ ...env(), PORT: String(await freePort()), SITE_PORT: String(await freePort()) });
  const base = await dev.ready;
  const children = childPids(dev.child.pid);
  t.after(async () => {
    dev.child.kill('SIGINT');
    await dev.exited;
    for (const pid of children) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  });

  const run = makeInvoke('events/get-counter.json'); // synchronous: dev.js waits meanwhile
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stderr, /the running `make dev`/);
  assertResponse({ payload: JSON.parse(run.stdout) }, counted(3), 'through make dev');
  const viaDev = await request(`${base}/counter?path=${encodeURIComponent('/index.html')}`);
  assert.deepEqual(JSON.parse(viaDev.body), { count: 4, counted: true }, 'make dev sees the hit');
});
