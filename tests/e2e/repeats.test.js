'use strict';
// Repeats from one client, on the built binary: the gateway's source address with the
// User-Agent is a client, and within the window (COUNTER_REPEAT_WINDOW_SECONDS, ten minutes by
// default) it adds at most 3 hits to a page; its further hits read the count. The rule's cases
// (addresses, User-Agents and pages apart, the window) are src/repeat.rs's, the address the
// gateway's and never X-Forwarded-For src/gateway.rs's. Here: the wiring, an event without an
// address, and the process's memory after many clients.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const { asVisitor } = require('../../tools/local/visitors');
const { hitEvent, hits, startFunction, useFunction } = require('./helpers');

const ALLOWANCE = 3;
const fn = useFunction();

async function answers(rt, event, times) {
  const bodies = [];
  for (let i = 0; i < times; i++) {
    const result = await rt.invoke(event);
    assert.equal(result.payload?.statusCode, 200, JSON.stringify(result));
    bodies.push({ ...JSON.parse(result.payload.body), requestId: result.requestId });
  }
  return bodies;
}

// The UpdateItem calls that reached dynalite while `run` ran: one per counted hit, or one more
// for an attempt that outlived the function's timeout on a busy machine and was retried.
async function updatesDuring(run) {
  const before = fn.db.updates();
  const result = await run();
  return { result, updates: fn.db.updates() - before };
}

test('by default one client adds 3 to a page; its further hits read, logged as repeats', async () => {
  const { result: got, updates } = await updatesDuring(() => answers(fn.rt, hitEvent('/repeats/default'), ALLOWANCE + 2));
  assert.deepEqual(got.map(({ counted }) => counted), [true, true, true, false, false]);
  assert.equal(await hits(fn.db, '/repeats/default'), updates, 'the table holds every applied hit');
  assert.ok(updates >= ALLOWANCE, `${updates} UpdateItem calls`);
  assert.deepEqual(got.slice(ALLOWANCE).map(({ count }) => count), [updates, updates], 'repeats read the count');
  if (updates === ALLOWANCE) assert.deepEqual(got.map(({ count }) => count), [1, 2, 3, 3, 3]);
  const line = await fn.rt.lineOf(got.at(-1).requestId);
  assert.deepEqual([line.message, line.reason, line.counted], ['count read', 'repeat', false]);
  const output = fn.rt.logs.map((l) => l.line).join('\n');
  assert.ok(!output.includes('203.0.113.7'), 'no address in any log line');
});

test('an event without an address is never folded', async () => {
  const { result: got, updates } = await updatesDuring(() => answers(fn.rt, hitEvent('/repeats/no-address', { sourceIp: null }), 2 * ALLOWANCE));
  assert.ok(got.every(({ counted }) => counted), 'every hit counted');
  assert.equal(await hits(fn.db, '/repeats/no-address'), updates);
  assert.ok(updates >= 2 * ALLOWANCE, `${updates} UpdateItem calls`);
});

test('COUNTER_REPEAT_WINDOW_SECONDS=0 turns it off', async (t) => {
  const off = await fn.start(t, { COUNTER_REPEAT_WINDOW_SECONDS: '0' });
  const { result: got, updates } = await updatesDuring(() => answers(off, hitEvent('/repeats/off'), 2 * ALLOWANCE));
  assert.ok(got.every(({ counted }) => counted), 'every hit counted');
  assert.equal(await hits(fn.db, '/repeats/off'), updates);
  assert.ok(updates >= 2 * ALLOWANCE, `${updates} UpdateItem calls`);
});

// The record's bound (src/repeat.rs: 8,192 entries, about 0.35 MiB): what the process may grow
// by, however many clients come. Without a bound, 100,000 entries take over 3 MiB.
const RECORD_BOUND_KIB = 1024;
const CLIENTS = 100_000;

// A DynamoDB that answers every UpdateItem with 1 at once: this is about the function's memory,
// and dynalite would spend minutes on 100,000 writes.
async function instantDynamoDb(t) {
  const server = http.createServer((req, res) => {
    req.resume().on('end', () => {
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end('{"Attributes":{"hits":{"N":"1"}}}');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => (server.closeAllConnections(), server.close(resolve))));
  return `http://127.0.0.1:${server.address().port}`;
}

const rssKiB = (pid) => Number(fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m)[1]);

test(`memory stays within ${RECORD_BOUND_KIB} KiB of growth after ${CLIENTS} distinct clients`, async (t) => {
  // One trace id for every invocation: lambda_runtime's setenv of a new one each time grows a
  // process by itself (README, "Memory"), which is not what this measures.
  const traceId = () => 'Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=0';
  const rt = await startFunction(await instantDynamoDb(t), {}, { t, traceId, logLines: 10 });
  const event = hitEvent('/repeats/memory');
  const run = async (from, to) => {
    // A few invocations queued at a time: the emulator hands them over one by one.
    const inFlight = 16;
    for (let i = from; i < to; i += inFlight) {
      const batch = Array.from({ length: Math.min(inFlight, to - i) }, (_, j) => rt.invoke(asVisitor(event, i + j)));
      for (const result of await Promise.all(batch)) {
        assert.equal(result.payload?.statusCode, 200, JSON.stringify(result));
        assert.equal(JSON.parse(result.payload.body).counted, true);
      }
    }
  };
  await run(0, 100); // warm: the allocator's arenas and the SDK's connection pool in use
  const before = rssKiB(rt.pid);
  await run(100, CLIENTS);
  const after = rssKiB(rt.pid);
  t.diagnostic(`RSS ${before} KiB after 100 clients, ${after} KiB after ${CLIENTS}`);
  assert.ok(after - before <= RECORD_BOUND_KIB, `grew by ${after - before} KiB`);
  // Every client was new, so every hit counted: the oldest were forgotten, none refused.
  assert.equal(rt.sandboxes.length, 1, 'one process throughout');
});
