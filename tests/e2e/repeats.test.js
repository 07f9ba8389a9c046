'use strict';
// Repeats from one client, on the built binary: a client is the gateway's source address
// (requestContext.http.sourceIp) with the User-Agent; within the window (COUNTER_REPEAT_WINDOW_SECONDS,
// ten minutes by default) it adds at most 3 hits to a page, and its further hits read the count.
// Headers a caller writes (X-Forwarded-For) change nothing, an event without an address is never
// folded, and the record's memory stays within its bound however many clients come.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const { startRuntimeApi } = require('../../tools/local/runtime-api');
const { addressOf, asVisitor } = require('../../tools/local/visitors');
const { TABLE, bootstrapPath, readEvent, useFunction, waitFor } = require('./helpers');

const ALLOWANCE = 3;
const fn = useFunction();
let nextPage = 0;

// get-counter.json on a page of its own, from `address` (or, with null, from no address).
function hitOn(page, { address = '203.0.113.7', userAgent, forwardedFor } = {}) {
  const event = readEvent('get-counter.json');
  event.rawQueryString = `path=${encodeURIComponent(page)}`;
  delete event.queryStringParameters;
  if (address === null) delete event.requestContext.http.sourceIp;
  else event.requestContext.http.sourceIp = address;
  if (userAgent) {
    event.headers['user-agent'] = userAgent;
    event.requestContext.http.userAgent = userAgent;
  }
  if (forwardedFor) event.headers['x-forwarded-for'] = forwardedFor;
  return event;
}

const freshPage = () => `/repeats/${nextPage++}`;

async function answers(rt, events) {
  const bodies = [];
  for (const event of events) {
    const result = await rt.invoke(event);
    assert.equal(result.payload?.statusCode, 200, JSON.stringify(result));
    bodies.push({ ...JSON.parse(result.payload.body), requestId: result.requestId });
  }
  return bodies;
}

async function hits(db, page) {
  const item = await db.call('GetItem', { TableName: TABLE, Key: { path: { S: page } }, ConsistentRead: true });
  return Number(item.body.Item?.hits.N ?? 0);
}

const times = (n, make) => Array.from({ length: n }, (_, i) => make(i));

test('a loop of 200 identical requests adds 3; the rest read the count, logged as repeats', async () => {
  const page = freshPage();
  const got = await answers(fn.rt, times(200, () => hitOn(page)));
  assert.deepEqual(
    got.map(({ count, counted }) => ({ count, counted })),
    times(200, (i) => (i < ALLOWANCE ? { count: i + 1, counted: true } : { count: ALLOWANCE, counted: false })),
  );
  assert.equal(await hits(fn.db, page), ALLOWANCE);

  const line = await waitFor('the last repeat\'s log line', () => {
    const found = fn.rt.logs.find((l) => l.stream === 'stdout' && l.line.includes(got[199].requestId));
    return found && JSON.parse(found.line);
  });
  assert.equal(line.message, 'count read');
  assert.equal(line.reason, 'repeat');
  assert.equal(line.counted, false);
  const output = fn.rt.logs.map((l) => l.line).join('\n');
  assert.ok(!output.includes('203.0.113.7'), 'no address in any log line');
});

test('200 different addresses add 200', async () => {
  const page = freshPage();
  const got = await answers(fn.rt, times(200, (i) => hitOn(page, { address: addressOf(i) })));
  assert.ok(got.every((b) => b.counted), JSON.stringify(got.find((b) => !b.counted)));
  assert.equal(await hits(fn.db, page), 200);
});

test('a different X-Forwarded-For on every request changes nothing', async () => {
  const page = freshPage();
  await answers(fn.rt, times(200, (i) => hitOn(page, { forwardedFor: `${addressOf(i)}, 203.0.113.7` })));
  assert.equal(await hits(fn.db, page), ALLOWANCE);
});

test('two User-Agents from one address count apart', async () => {
  const page = freshPage();
  const firefox = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';
  await answers(fn.rt, [...times(10, () => hitOn(page)), ...times(10, () => hitOn(page, { userAgent: firefox }))]);
  assert.equal(await hits(fn.db, page), 2 * ALLOWANCE);
});

test('a client folded on one page still counts on another', async () => {
  const [first, second] = [freshPage(), freshPage()];
  await answers(fn.rt, times(10, () => hitOn(first)));
  const [onSecond] = await answers(fn.rt, [hitOn(second)]);
  assert.equal(onSecond.counted, true);
  assert.equal(await hits(fn.db, second), 1);
});

test('an event without an address is never folded', async () => {
  const page = freshPage();
  await answers(fn.rt, times(20, () => hitOn(page, { address: null })));
  assert.equal(await hits(fn.db, page), 20);
});

test('COUNTER_REPEAT_WINDOW_SECONDS=0 turns it off', async (t) => {
  const off = await startRuntimeApi({
    bootstrap: bootstrapPath(),
    env: { DYNAMODB_TABLE: TABLE, DYNAMODB_ENDPOINT: fn.db.endpoint, COUNTER_REPEAT_WINDOW_SECONDS: '0' },
  });
  t.after(() => off.close());
  const page = freshPage();
  await answers(off, times(200, () => hitOn(page)));
  assert.equal(await hits(fn.db, page), 200);
});

for (const value of ['-1', '10m', '86401']) {
  test(`COUNTER_REPEAT_WINDOW_SECONDS=${value} stops init, naming the variable`, async (t) => {
    const env = { DYNAMODB_TABLE: TABLE, DYNAMODB_ENDPOINT: fn.db.endpoint, COUNTER_REPEAT_WINDOW_SECONDS: value };
    const broken = await startRuntimeApi({ bootstrap: bootstrapPath(), env });
    t.after(() => broken.close());
    await assert.rejects(broken.ready(), (err) => {
      assert.match(err.message, new RegExp(`cannot start: COUNTER_REPEAT_WINDOW_SECONDS is "${value}"`));
      assert.notEqual(err.sandbox.exitCode, 0, 'exits non-zero');
      return true;
    });
  });
}

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
  const endpoint = await instantDynamoDb(t);
  // One trace id for every invocation: lambda_runtime's setenv of a new one each time grows a
  // process by itself (README, "Memory"), which is not what this measures.
  const rt = await startRuntimeApi({
    bootstrap: bootstrapPath(),
    env: { DYNAMODB_TABLE: TABLE, DYNAMODB_ENDPOINT: endpoint },
    traceId: () => 'Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=0',
    logLines: 10,
  });
  t.after(() => rt.close());
  const event = hitOn(freshPage());
  const run = async (from, to) => {
    // A few invocations queued at a time: the emulator hands them over one by one.
    const inFlight = 16;
    for (let i = from; i < to; i += inFlight) {
      const batch = times(Math.min(inFlight, to - i), (j) => rt.invoke(asVisitor(event, i + j)));
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
