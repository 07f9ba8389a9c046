'use strict';
// The built bootstrap with COUNTER_ALLOWED_ORIGINS set: which site's page a request comes from
// decides whether it counts. A listed Origin counts; another reads (counted: false, reason
// foreign_origin in the log line) and writes nothing; an image request, which carries no
// Origin, is judged by its Referer, or by Sec-Fetch-Site when the page hid its Referer; a
// request from no page (curl, an image proxy) counts as it always has. A bad entry, or a bad
// COUNTER_MAX_PATH_BYTES, stops init naming it.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { startRuntimeApi } = require('../../tools/local/runtime-api');
const { TABLE, counted, read, image, rejected, assertResponse, bootstrapPath, readEvent, useFunction, waitFor } = require(
  './helpers',
);

const OURS = 'https://resume.example.com'; // the events/ fixtures' Origin
const fn = useFunction({ COUNTER_ALLOWED_ORIGINS: `${OURS},https://www.resume.example.com` });

let nextPage = 0;
// get-counter.json for a fresh page, with exactly `headers` of the three that say who asks.
function askedWith(headers, { svg = false } = {}) {
  const event = readEvent(svg ? 'svg-counter.json' : 'get-counter.json');
  const page = `/origins-${nextPage++}`;
  event.rawQueryString = `path=${encodeURIComponent(page)}${svg ? '&format=svg' : ''}`;
  delete event.queryStringParameters;
  for (const name of ['origin', 'referer', 'sec-fetch-site']) delete event.headers[name];
  Object.assign(event.headers, headers);
  return { event, page };
}

async function hits(page) {
  const res = await fn.db.call('GetItem', { TableName: TABLE, Key: { path: { S: page } } });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.Item ? Number(res.body.Item.hits.N) : 0;
}

async function logLine(requestId) {
  const line = await waitFor(`the log line of ${requestId}`, () =>
    fn.rt.logs.find((l) => l.stream === 'stdout' && l.line.includes(requestId)),
  );
  return JSON.parse(line.line);
}

const COUNTS = {
  'a listed Origin': { origin: OURS, 'sec-fetch-site': 'cross-site' },
  'the other listed Origin': { origin: 'https://www.resume.example.com' },
  'no header at all (curl, make invoke)': {},
  'Sec-Fetch-Site none (the address bar)': { 'sec-fetch-site': 'none' },
};
const READS = {
  'another Origin': { origin: 'https://elsewhere.example', 'sec-fetch-site': 'cross-site' },
  'Origin null (a sandboxed frame)': { origin: 'null' },
  'a listed site over plain http': { origin: 'http://resume.example.com' },
  'a look-alike host': { origin: 'https://resume.example.com.elsewhere.example' },
  'Sec-Fetch-Site cross-site, no Origin, no Referer': { 'sec-fetch-site': 'cross-site' },
};

for (const [name, headers] of Object.entries(COUNTS)) {
  test(`${name} counts`, async () => {
    const { event, page } = askedWith(headers);
    const result = await fn.rt.invoke(event);
    assertResponse(result, counted(1), name);
    assert.equal(await hits(page), 1);
    assert.equal((await logLine(result.requestId)).message, 'hit counted');
  });
}

for (const [name, headers] of Object.entries(READS)) {
  test(`${name} reads, writes nothing and logs foreign_origin`, async () => {
    const { event, page } = askedWith(headers);
    const result = await fn.rt.invoke(event);
    assertResponse(result, read(0), name);
    assert.equal(await hits(page), 0, 'no item was written');
    const line = await logLine(result.requestId);
    assert.equal(line.message, 'count read');
    assert.equal(line.reason, 'foreign_origin');
  });
}

test("an image request (no Origin) counts from a listed site's page, reads from another's", async () => {
  const ours = askedWith({ referer: `${OURS}/cv.html`, 'sec-fetch-site': 'cross-site' }, { svg: true });
  assertResponse(await fn.rt.invoke(ours.event), image(1), 'our page');
  assert.equal(await hits(ours.page), 1);

  const theirs = askedWith({ referer: 'https://elsewhere.example/', 'sec-fetch-site': 'cross-site' }, { svg: true });
  theirs.event.rawQueryString = `path=${encodeURIComponent(ours.page)}&format=svg`;
  const result = await fn.rt.invoke(theirs.event);
  assertResponse(result, image(1), 'their page still shows the count');
  assert.equal(await hits(ours.page), 1, 'and did not add to it');
  assert.equal((await logLine(result.requestId)).reason, 'foreign_origin');
});

test('Origin decides when both headers are there', async () => {
  const { event, page } = askedWith({ origin: 'https://elsewhere.example', referer: `${OURS}/` });
  assertResponse(await fn.rt.invoke(event), read(0), 'a foreign Origin with our Referer');
  assert.equal(await hits(page), 0);
});

async function refusedAtInit(t, env, named) {
  const broken = await startRuntimeApi({
    bootstrap: bootstrapPath(),
    env: { DYNAMODB_TABLE: TABLE, DYNAMODB_ENDPOINT: fn.db.endpoint, ...env },
  });
  t.after(() => broken.close());
  await assert.rejects(broken.ready(), (err) => {
    for (const text of named) assert.ok(err.message.includes(text), `the message names ${text}: ${err.message}`);
    assert.notEqual(err.sandbox.exitCode, 0, 'exits non-zero');
    return true;
  });
}

for (const entry of ['https://resume.example.com/', 'resume.example.com', 'https://*.resume.example.com', '']) {
  test(`an allowed origin that is not one (${JSON.stringify(entry)}) stops init, naming it`, async (t) => {
    await refusedAtInit(t, { COUNTER_ALLOWED_ORIGINS: `https://ada.example,${entry}` }, [
      'COUNTER_ALLOWED_ORIGINS',
      JSON.stringify(entry),
    ]);
  });
}

for (const value of ['0', '2049', 'lots']) {
  test(`COUNTER_MAX_PATH_BYTES=${value} stops init, naming the variable`, async (t) => {
    await refusedAtInit(t, { COUNTER_MAX_PATH_BYTES: value }, ['COUNTER_MAX_PATH_BYTES', JSON.stringify(value)]);
  });
}

test('COUNTER_MAX_PATH_BYTES caps the path in bytes, and the answer names the cap', async (t) => {
  const capped = await startRuntimeApi({
    bootstrap: bootstrapPath(),
    env: { DYNAMODB_TABLE: TABLE, DYNAMODB_ENDPOINT: fn.db.endpoint, COUNTER_MAX_PATH_BYTES: '8' },
  });
  t.after(() => capped.close());
  await capped.ready();
  const asking = (page) => {
    const event = readEvent('get-counter.json');
    event.rawQueryString = `path=${encodeURIComponent(page)}`;
    return event;
  };
  assertResponse(await capped.invoke(asking('/c€€')), counted(1), '8 bytes');
  const over = await capped.invoke(asking('/c€€x'));
  assertResponse(over, rejected(400, 'path_too_long'), '9 bytes');
  assert.equal(JSON.parse(over.payload.body).message, 'The path must be at most 8 bytes of UTF-8.');
  assert.equal(await hits('/c€€x'), 0);
});
