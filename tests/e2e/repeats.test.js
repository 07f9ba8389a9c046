'use strict';
// Repeats on the built binary. Within the window (COUNTER_REPEAT_WINDOW_SECONDS, ten minutes by
// default) a client (the gateway's source address with the User-Agent) adds at most 3 hits to
// a page, and an address (IPv4 as it is, IPv6 by its /64) at most COUNTER_HITS_PER_ADDRESS (10),
// whatever User-Agents it sends; further hits read the count. Only a hit DynamoDB wrote counts
// against either. The rules' cases (the window, the /64, the bound) are src/repeat.rs's, the
// address the gateway's and never X-Forwarded-For src/gateway.rs's. Here: the wiring, the
// attacks as a caller would send them, an outage, and the process's memory after many clients.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const { asVisitor } = require('../../tools/local/visitors');
const { hitEvent, hits, countOf, startFunction, useFunction } = require('./helpers');

const ALLOWANCE = 3;
// COUNTER_HITS_PER_ADDRESS's default.
const CEILING = 10;
const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
// Six people behind one address, each with a browser of their own.
const BROWSERS = [
  CHROME,
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
];
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

// Counts are checked with countOf: the hits the function was asked to count, exact, and the
// count the table holds, which an SDK retry on a busy machine may have raised by one more.
test('by default one client adds 3 to a page; its further hits read, logged as repeats', async () => {
  const got = await answers(fn.rt, hitEvent('/repeats/default'), ALLOWANCE + 2);
  assert.deepEqual(got.map(({ counted }) => counted), [true, true, true, false, false]);
  const total = await countOf(fn.db, '/repeats/default', ALLOWANCE);
  assert.deepEqual(got.slice(ALLOWANCE - 1).map(({ count }) => count), [total, total, total], 'repeats read the count');
  if (total === ALLOWANCE) assert.deepEqual(got.map(({ count }) => count), [1, 2, 3, 3, 3]);
  const line = await fn.rt.lineOf(got.at(-1).requestId);
  assert.deepEqual([line.message, line.reason, line.counted], ['count read', 'repeat', false]);
  const output = fn.rt.logs.map((l) => l.line).join('\n');
  assert.ok(!output.includes('203.0.113.7'), 'no address in any log line');
});

test('an event without an address is never folded', async () => {
  const got = await answers(fn.rt, hitEvent('/repeats/no-address', { sourceIp: null }), 2 * ALLOWANCE);
  assert.ok(got.every(({ counted }) => counted), 'every hit counted');
  assert.equal(got.at(-1).count, await countOf(fn.db, '/repeats/no-address', 2 * ALLOWANCE));
});

// The hits `events`, sent one after another, asked the function to count on `page`; every answer
// a 200, and the table holding every write.
async function added(rt, page, events) {
  const before = fn.db.writesTo(page).asked;
  for (const event of events) {
    const result = await rt.invoke(event);
    assert.equal(result.payload?.statusCode, 200, JSON.stringify(result));
  }
  const { asked, applied } = fn.db.writesTo(page);
  assert.equal((await hits(fn.db, page)) ?? 0, applied, `${page}: the table holds every write applied`);
  return asked - before;
}

const from = (page, sourceIp, userAgents) => userAgents.map((userAgent) => hitEvent(page, { sourceIp, userAgent }));
const range = (n) => Array.from({ length: n }, (_, i) => i);

// What a caller can vary in one request, from one machine: each adds at most the ceiling.
const ATTACKS = {
  'a new Chrome build in each of 200 User-Agents': (page) =>
    from(page, '203.0.113.20', range(200).map((i) => CHROME.replace('131.0.0.0', `131.0.${i + 1}.0`))),
  'a blank or a letter added to the User-Agent, 20 times': (page) =>
    from(page, '203.0.113.21', range(20).map((i) => CHROME + (i % 2 ? ' ' : 'a').repeat(i + 1))),
  'five spellings of the User-Agent in upper and lower case, 4 each': (page) => {
    const spellings = [CHROME, CHROME.toUpperCase(), CHROME.toLowerCase(), CHROME.replace('Chrome', 'chrome'),
      CHROME.replace('Mozilla', 'MOZILLA')];
    return from(page, '203.0.113.22', range(20).map((i) => spellings[i % spellings.length]));
  },
  '200 IPv6 addresses inside one /64': (page) =>
    range(200).map((i) => hitEvent(page, { sourceIp: `2001:db8:35:64::${(i + 1).toString(16)}`, userAgent: CHROME })),
};

for (const [attack, events] of Object.entries(ATTACKS)) {
  test(`${attack} adds ${CEILING} to a page, the address's ceiling`, async () => {
    const page = `/repeats/attack/${attack.split(' ').slice(0, 3).join('-')}`;
    assert.equal(await added(fn.rt, page, events(page)), CEILING);
  });
}

test(`${BROWSERS.length} browsers behind one address all count, and 200 addresses add 200`, async () => {
  assert.equal(await added(fn.rt, '/repeats/family', from('/repeats/family', '192.0.2.44', BROWSERS)), BROWSERS.length);
  const neighbours = range(200).map((i) =>
    hitEvent('/repeats/neighbours', { sourceIp: i < 100 ? `198.51.100.${i}` : `2001:db8:${i}::1`, userAgent: CHROME }));
  assert.equal(await added(fn.rt, '/repeats/neighbours', neighbours), 200, '200 distinct addresses (100 IPv6 /64s) add 200');
});

test('COUNTER_HITS_PER_ADDRESS tunes the ceiling', async (t) => {
  const two = await fn.start(t, { COUNTER_HITS_PER_ADDRESS: '2' });
  assert.equal(await added(two, '/repeats/two', from('/repeats/two', '192.0.2.45', BROWSERS)), 2);
});

// A way to DynamoDB that can be cut: while down, it closes every connection as it opens.
async function switchableProxy(t, target) {
  const { hostname, port } = new URL(target);
  const proxy = { up: false };
  const sockets = new Set();
  const server = net.createServer((client) => {
    if (!proxy.up) return client.destroy();
    const upstream = net.connect(Number(port), hostname);
    for (const [socket, other] of [[client, upstream], [upstream, client]]) {
      sockets.add(socket);
      socket.on('error', () => other.destroy());
      socket.on('close', () => (sockets.delete(socket), other.destroy()));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => {
    for (const socket of sockets) socket.destroy();
    server.close(resolve);
  }));
  proxy.endpoint = `http://127.0.0.1:${server.address().port}`;
  return proxy;
}

test('hits whose write failed use up nothing: once DynamoDB is back, the client counts', async (t) => {
  const dynamo = await switchableProxy(t, fn.db.endpoint);
  const rt = await startFunction(dynamo.endpoint, {}, { t });
  await rt.ready();
  const event = hitEvent('/repeats/outage', { sourceIp: '192.0.2.46', userAgent: CHROME });
  for (let i = 0; i < ALLOWANCE; i++) {
    const result = await rt.invoke(event);
    assert.equal(result.payload?.statusCode, 503, JSON.stringify(result));
    assert.equal(JSON.parse(result.payload.body).error, 'storage_unavailable');
  }
  dynamo.up = true;
  const result = await rt.invoke(event);
  assert.equal(result.payload?.statusCode, 200, JSON.stringify(result));
  assert.deepEqual(JSON.parse(result.payload.body), { count: await countOf(fn.db, '/repeats/outage', 1), counted: true });
  assert.equal(rt.sandboxes.length, 1, 'one process throughout: its record is the one that saw the failures');
});

test('COUNTER_REPEAT_WINDOW_SECONDS=0 turns it off', async (t) => {
  const off = await fn.start(t, { COUNTER_REPEAT_WINDOW_SECONDS: '0' });
  const got = await answers(off, hitEvent('/repeats/off'), 2 * ALLOWANCE);
  assert.ok(got.every(({ counted }) => counted), 'every hit counted');
  assert.equal(got.at(-1).count, await countOf(fn.db, '/repeats/off', 2 * ALLOWANCE));
});

// The record's bound (src/repeat.rs: 6,144 clients and 6,144 addresses, 0.625 MiB reserved at
// init, resident as it fills): what the process may grow by, however many come. Without a
// bound, 100,000 of each take over 6 MiB.
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

test(`memory stays within ${RECORD_BOUND_KIB} KiB of growth after ${CLIENTS} distinct addresses`, async (t) => {
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
  // Every address was new, so every hit counted: the oldest were forgotten, none refused.
  assert.equal(rt.sandboxes.length, 1, 'one process throughout');
});
