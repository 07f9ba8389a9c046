'use strict';
// Shared by the end-to-end tests: where the binary is, the event fixtures, the built function
// under the Runtime API emulator, plain HTTP requests and process bookkeeping (Linux /proc).

const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const path = require('node:path');
const assert = require('node:assert/strict');
const { EventEmitter, once } = require('node:events');
const { spawn } = require('node:child_process');
const { startDynalite, dynamoCall } = require('../../tools/local/dynalite');
const { startRuntimeApi } = require('../../tools/local/runtime-api');

const ROOT = path.resolve(__dirname, '../..');
const TABLE = 'CloudResumeCounterHits';

const HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store' };
const counted = (count) => ({ status: 200, headers: HEADERS, body: { count, counted: true } });
const read = (count) => ({ status: 200, headers: HEADERS, body: { count, counted: false } });
const SVG_HEADERS = { 'content-type': 'image/svg+xml', 'cache-control': 'no-cache, no-store, must-revalidate', pragma: 'no-cache',
  expires: '0', 'content-security-policy': "default-src 'none'" };
// format=svg: the count drawn, `counted` known from the table and the log line only.
const image = (count, isCounted) => ({ status: 200, headers: SVG_HEADERS, svg: count, counted: isCounted });
const rejected = (status, error, extraHeaders = {}) => ({ status, headers: { ...HEADERS, ...extraHeaders }, error });

// What each fixture gets back when its page has no hits yet, from events/outcomes.tsv
// (events.test.js adds what the table already held; invoke.test.js gives each file a data
// folder of its own).
function expectedOutcomes() {
  const text = fs.readFileSync(path.join(ROOT, 'events/outcomes.tsv'), 'utf8');
  const rows = text.split('\n').filter((line) => line && !line.startsWith('#')).map((line) => line.split('\t'));
  return Object.fromEntries(rows.map(([file, status, outcome, format]) => {
    const isCounted = outcome === 'counted';
    if (status !== '200') return [file, rejected(Number(status), outcome, status === '405' ? { allow: 'GET' } : {})];
    if (format === 'svg') return [file, image(Number(isCounted), isCounted)];
    return [file, isCounted ? counted(1) : read(0)];
  }));
}
const EXPECTED = expectedOutcomes();

// Checks a proxy result against an EXPECTED entry: exact status, exact header set, exact body.
function assertResponse(result, expected, label) {
  assert.equal(result.error, undefined, `${label}: the function failed: ${JSON.stringify(result.error)}`);
  const { statusCode, headers, body, isBase64Encoded } = result.payload;
  assert.equal(statusCode, expected.status, `${label}: status (body ${body})`);
  assert.deepEqual(headers, expected.headers, `${label}: headers`);
  assert.equal(isBase64Encoded ?? false, false, `${label}: isBase64Encoded`);
  if (expected.svg !== undefined) {
    assert.match(body, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" [^<]*>/, `${label}: an SVG document`);
    assert.ok(body.endsWith('</svg>'), `${label}: a whole SVG document`);
    assert.ok(body.includes(`>${expected.svg}</text>`), `${label}: the count ${expected.svg} in ${body}`);
    return;
  }
  const json = JSON.parse(body);
  if (expected.body) {
    assert.deepEqual(json, expected.body, `${label}: body`);
  } else {
    assert.deepEqual(Object.keys(json).sort(), ['error', 'message'], `${label}: error body keys`);
    assert.equal(json.error, expected.error, `${label}: error code`);
    assert.ok(typeof json.message === 'string' && json.message.length > 0, `${label}: error message`);
  }
}

// The shipped binary (what `make build` produces) unless BOOTSTRAP names another one.
function bootstrapPath() {
  const bin = path.resolve(ROOT, process.env.BOOTSTRAP || '.aws-sam/build/CounterFunction/bootstrap');
  if (fs.existsSync(bin)) return bin;
  throw new Error(`${bin} does not exist: run \`make build\` first (or, while developing, \`cargo build\` and BOOTSTRAP=target/debug/bootstrap)`);
}

const readEvent = (name) => JSON.parse(fs.readFileSync(path.join(ROOT, 'events', name), 'utf8'));
const eventFiles = () => fs.readdirSync(path.join(ROOT, 'events')).filter((f) => f.endsWith('.json')).sort();

// events/`fixture` asking for `page` (in rawQueryString, which the function reads; the parsed
// copy dropped); `headers` merged in (undefined removes one); the gateway's userAgent (and the
// header) and sourceIp (null: none) when given.
function hitEvent(page, { fixture = 'get-counter.json', headers = {}, userAgent, sourceIp } = {}) {
  const event = readEvent(fixture);
  event.rawQueryString = `path=${encodeURIComponent(page)}`;
  delete event.queryStringParameters;
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) delete event.headers[name];
    else event.headers[name] = value;
  }
  if (userAgent !== undefined) event.headers['user-agent'] = event.requestContext.http.userAgent = userAgent;
  if (sourceIp === null) delete event.requestContext.http.sourceIp;
  else if (sourceIp !== undefined) event.requestContext.http.sourceIp = sourceIp;
  return event;
}

// The hits the table holds for `page`; undefined when it has no item.
async function hits(db, page) {
  const res = await db.call('GetItem', { TableName: TABLE, Key: { path: { S: page } }, ConsistentRead: true });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.Item && Number(res.body.Item.hits.N);
}

// Through the built function, on a busy machine, an UpdateItem can outlive its 500 ms attempt
// timeout and be retried, both attempts applied: a page then gains 2 for one hit, and no count
// the function answers is known in advance. What stays exact is what dynalite records
// (tools/local/dynalite.js, writesTo): the hits the function was asked to count on `page`, and
// the writes applied, which the table holds (`page` being empty when `db` started) and which the
// last counted answer said. Asserts that `asked` hits were asked for and the table holds every
// write; returns that count, for the test to compare with what was answered or shown.
async function countOf(db, page, asked, label = page) {
  const writes = db.writesTo(page);
  assert.equal(writes.asked, asked, `${label}: the hits the function was asked to count (${JSON.stringify(writes)})`);
  assert.equal((await hits(db, page)) ?? 0, writes.applied, `${label}: the table holds every write applied`);
  return writes.applied;
}

// Where dynalite runs in another process (make dev's, make invoke's) its record of writes is out
// of reach. A counted answer is then exact as: more than the page's answer before it, and what
// the table (`db`) holds right after.
async function assertCounted(db, page, body, previous) {
  assert.equal(body.counted, true, `${page}: counted (${JSON.stringify(body)})`);
  const { count } = body;
  assert.ok(count > previous, `${page}: ${count} after ${previous}`);
  assert.equal(count, await hits(db, page), `${page}: the answer is the count the table holds`);
  return count;
}

// The built function (or `bootstrap`, run through `launcher` if given) under the Runtime API
// emulator against `endpoint`, with `env` added; closed when `t` ends, if given. rt.lineOf(requestId) resolves to that request's JSON log line
// as soon as the function writes it: the emulator reports each line (onLog), so nothing polls.
async function startFunction(endpoint, env = {}, { t, bootstrap = bootstrapPath(), ...options } = {}) {
  const lines = new EventEmitter();
  const rt = await startRuntimeApi({
    bootstrap,
    env: { DYNAMODB_TABLE: TABLE, DYNAMODB_ENDPOINT: endpoint, ...env },
    onLog: (entry) => lines.emit('line', entry),
    ...options,
  });
  t?.after(() => rt.close());
  rt.lineOf = async (requestId) => {
    const ours = (entry) => entry.stream === 'stdout' && entry.line.includes(requestId);
    let found;
    while (!(found = rt.logs.find(ours))) await once(lines, 'line');
    return JSON.parse(found.line);
  };
  return rt;
}

// For a whole test file: dynalite and the built function (startFunction's `options` apply to
// every function it starts), started before its tests and stopped after them:
// { db, rt, start(t, env, options), ready() }. start() runs another function on the
// table for one test; ready() resolves once both are up (for the file's own before hook, which
// may run alongside this one).
function useFunction(env = {}, options = {}) {
  const { before, after } = require('node:test');
  let up;
  const started = {
    start: async (t, more, startOptions) => {
      const rt = await startFunction(started.db.endpoint, more, { t, ...options, ...startOptions });
      await rt.ready();
      return rt;
    },
    ready: () => (up ??= (async () => {
      started.db = await startDynalite({ table: TABLE });
      started.rt = await startFunction(started.db.endpoint, env, options);
      await started.rt.ready();
    })()),
  };
  before(started.ready);
  after(async () => {
    await started.rt?.close();
    await started.db?.close();
  });
  return started;
}

// Starts tools/local/dev.js (`make dev` without its build) with `env` added to this process's;
// `ready` resolves to its URL once printed, and rejects with its output if it exits first.
// stop() sends Ctrl-C and resolves to its exit once dev.js and every child of it are gone.
function startDev(env) {
  const child = spawn(process.execPath, [path.join(ROOT, 'tools/local/dev.js')], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, output })));
  const ready = new Promise((resolve, reject) => {
    const onData = (chunk) => {
      output += chunk;
      const m = output.match(/counter ready: (http:\/\/\S+)\/counter/);
      if (m) resolve(m[1]);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    exited.then(({ code, signal }) => reject(new Error(`dev.js exited (${code ?? signal}) before it was ready:\n${output}`)));
  });
  async function stop() {
    const children = childPids(child.pid);
    child.kill('SIGINT');
    const exit = await exited;
    const left = children.filter(isAlive);
    for (const pid of left) process.kill(pid, 'SIGKILL');
    return { ...exit, left };
  }
  // Its dynalite, for `hits` (the port as printed).
  const db = () => {
    const port = Number(output.match(/dynalite on http:\/\/127\.0\.0\.1:(\d+)/)[1]);
    return { port, call: (target, body) => dynamoCall(port, target, body) };
  };
  return { child, ready, exited, stop, output: () => output, db };
}

// A plain HTTP request, the way curl would send it: { status, headers, body }.
function request(url, { method = 'GET', headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// Alive means running: a zombie (exited, not yet reaped) does not count.
function isAlive(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

function childPids(pid) {
  const children = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid && isAlive(Number(entry))) children.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return children;
}

module.exports = { ROOT, TABLE, EXPECTED, counted, read, image, assertResponse, bootstrapPath, readEvent, eventFiles,
  hitEvent, hits, countOf, assertCounted, startFunction, useFunction, startDev, request, freePort, isAlive, childPids };
