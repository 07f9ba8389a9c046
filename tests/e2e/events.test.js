'use strict';
// The built bootstrap, run as Lambda runs it (tools/local/runtime-api.js) against dynalite,
// fed every file in events/: our stand-in for `sam local invoke`, which needs Docker.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startDynalite } = require('../../tools/local/dynalite');
const { startRuntimeApi } = require('../../tools/local/runtime-api');
const { asVisitor } = require('../../tools/local/visitors');
const { TABLE, EXPECTED, counted, read, image, rejected, assertResponse, bootstrapPath, readEvent, eventFiles, waitFor } = require('./helpers');

let db;
let rt;

before(async () => {
  db = await startDynalite({ table: TABLE });
  rt = await startRuntimeApi({
    bootstrap: bootstrapPath(),
    env: { DYNAMODB_TABLE: TABLE, DYNAMODB_ENDPOINT: db.endpoint },
  });
  await rt.ready();
});

after(async () => {
  await rt?.close();
  await db?.close();
});

// The function writes one JSON line per request, carrying the Lambda request id.
async function logLineFor(requestId) {
  return waitFor(`a log line for ${requestId}`, () => {
    const lines = rt.logs.filter((l) => l.stream === 'stdout' && l.line.includes(requestId));
    return lines.length ? lines : null;
  });
}

async function scanTable() {
  const res = await db.call('Scan', { TableName: TABLE });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return Object.fromEntries(res.body.Items.map((item) => [item.path.S, Number(item.hits.N)]));
}

test('every file in events/ has an expected response here', () => {
  assert.deepEqual(eventFiles(), Object.keys(EXPECTED).sort());
});

for (const file of Object.keys(EXPECTED).sort()) {
  const outcome = (exp) => exp.error || `${(exp.body ?? exp).counted ? 'counted' : 'read'}${exp.svg ? ', as an image' : ''}`;
  test(`events/${file} → ${EXPECTED[file].status} ${outcome(EXPECTED[file])}`, async () => {
    const pid = rt.pid;
    const result = await rt.invoke(readEvent(file));
    assertResponse(result, EXPECTED[file], file);
    assert.equal(result.pid, pid, 'served by the same process');

    const lines = await logLineFor(result.requestId);
    assert.equal(lines.length, 1, `one log line per request, got:\n${lines.map((l) => l.line).join('\n')}`);
    const entry = JSON.parse(lines[0].line);
    assert.equal(entry.status, EXPECTED[file].status, 'the log line records the status');
    const { body, svg, counted: countedAsImage } = EXPECTED[file];
    if (body || svg) assert.equal(entry.counted, body ? body.counted : countedAsImage, 'and whether it counted');
  });
}

test('only the accepted requests wrote to the table, once each', async () => {
  const expected = {};
  for (const [file, exp] of Object.entries(EXPECTED)) {
    if (exp.body?.counted || exp.counted) expected[readEvent(file).queryStringParameters.path] = 1;
  }
  assert.deepEqual(await scanTable(), expected);
});

test('counts rise on every hit of the same path, each from a visitor of its own', async () => {
  const event = readEvent('get-counter.json');
  for (const count of [2, 3]) assertResponse(await rt.invoke(asVisitor(event, count)), counted(count), `hit ${count}`);
});

test('a 70 KB query gets 405 for DELETE and POST, 414 for GET, and writes nothing', async () => {
  const before = await scanTable();
  const huge = (method) => {
    const event = readEvent('get-counter.json');
    event.rawQueryString = `path=%2F${'a'.repeat(70_000)}`;
    event.queryStringParameters = { path: '/index.html' }; // never read instead of the raw query
    event.requestContext.http.method = method;
    return event;
  };
  for (const method of ['DELETE', 'POST']) {
    assertResponse(await rt.invoke(huge(method)), rejected(405, 'method_not_allowed', { allow: 'GET' }), method);
  }
  assertResponse(await rt.invoke(huge('GET')), rejected(414, 'query_too_long'), 'GET');
  assert.deepEqual(await scanTable(), before, 'nothing was written');
});

test('a malformed, non-HTTP event gets an error and the same process serves the next one', async () => {
  const pid = rt.pid;
  const bad = await rt.invoke({ hello: 'world' });
  assert.equal(bad.payload, undefined, `expected an invocation error, got ${JSON.stringify(bad.payload)}`);
  assert.ok(bad.error && bad.error.errorMessage, `an error with a message: ${JSON.stringify(bad.error)}`);
  assert.equal(bad.error.errorType, 'NotAnHttpApiEvent', 'a stable error type of our own');
  assert.equal(bad.pid, pid);

  const good = await rt.invoke(asVisitor(readEvent('get-counter.json'), 4));
  assertResponse(good, counted(4), 'the valid event after the malformed one');
  assert.equal(good.pid, pid, 'the same process, not a restart');
  assert.equal(rt.sandboxes.length, 1, 'no restart happened');
});

test('every line the function writes to stdout is a JSON object', () => {
  const stdout = rt.logs.filter((l) => l.stream === 'stdout' && l.line.trim());
  assert.ok(stdout.length > 0);
  for (const { line } of stdout) assert.equal(typeof JSON.parse(line), 'object', line);
});

test('a path outside COUNTER_ALLOWED_PATHS is refused with 403', async (t) => {
  const limited = await startRuntimeApi({
    bootstrap: bootstrapPath(),
    env: { DYNAMODB_TABLE: TABLE, DYNAMODB_ENDPOINT: db.endpoint, COUNTER_ALLOWED_PATHS: '/blog/*' },
  });
  t.after(() => limited.close());
  const before = await scanTable();
  assertResponse(await limited.invoke(readEvent('get-counter.json')), rejected(403, 'path_not_allowed'), 'outside');
  assert.deepEqual(await scanTable(), before, 'the refused request wrote nothing');
  assertResponse(await limited.invoke(readEvent('extra-params.json')), counted(2), 'inside /blog/');
});

test('COUNTER_COUNT_CRAWLERS=true counts the crawler like a visitor', async (t) => {
  const counting = await startRuntimeApi({
    bootstrap: bootstrapPath(),
    env: { DYNAMODB_TABLE: TABLE, DYNAMODB_ENDPOINT: db.endpoint, COUNTER_COUNT_CRAWLERS: 'true' },
  });
  t.after(() => counting.close());
  const before = (await scanTable())['/index.html'];
  assertResponse(await counting.invoke(readEvent('crawler-get.json')), counted(before + 1), 'the crawler');
});

test('an unreachable DynamoDB gives 503 storage_unavailable within the function timeout', async (t) => {
  const down = await startRuntimeApi({
    bootstrap: bootstrapPath(),
    env: { DYNAMODB_TABLE: TABLE, DYNAMODB_ENDPOINT: 'http://127.0.0.1:9' }, // discard port: refused
  });
  t.after(() => down.close());
  assertResponse(await down.invoke(readEvent('get-counter.json')), rejected(503, 'storage_unavailable'), 'down');
});

test('a COUNTER_ALLOWED_PATHS of only commas stops init with a clear message', async (t) => {
  const env = { DYNAMODB_TABLE: TABLE, DYNAMODB_ENDPOINT: db.endpoint, COUNTER_ALLOWED_PATHS: ' , ' };
  const broken = await startRuntimeApi({ bootstrap: bootstrapPath(), env });
  t.after(() => broken.close());
  await assert.rejects(broken.ready(), (err) => {
    assert.match(err.message, /COUNTER_ALLOWED_PATHS/, 'the message names the variable');
    assert.notEqual(err.sandbox.exitCode, 0, 'exits non-zero');
    return true;
  });
});

for (const [entry, named] of [['/blog/ *', '"/blog/ *"'], ['/caf%C3%A9', '"/caf%C3%A9"'], ['/\u200bblog', '"/\\u{200b}blog"']]) {
  test(`an allow-list entry no page could match (${JSON.stringify(entry)}) stops init, naming it`, async (t) => {
    const env = { DYNAMODB_TABLE: TABLE, DYNAMODB_ENDPOINT: db.endpoint, COUNTER_ALLOWED_PATHS: `/,${entry}` };
    const broken = await startRuntimeApi({ bootstrap: bootstrapPath(), env });
    t.after(() => broken.close());
    await assert.rejects(broken.ready(), (err) => {
      assert.match(err.message, /COUNTER_ALLOWED_PATHS/, 'the message names the variable');
      assert.ok(err.message.includes(named), `the message names the entry ${named}: ${err.message}`);
      assert.notEqual(err.sandbox.exitCode, 0, 'exits non-zero');
      return true;
    });
  });
}

for (const [label, value] of [['unset', undefined], ['empty', '']]) {
  test(`DYNAMODB_TABLE ${label}: init fails with a clear message and a non-zero exit`, async (t) => {
    const env = { DYNAMODB_ENDPOINT: db.endpoint };
    if (value !== undefined) env.DYNAMODB_TABLE = value;
    const broken = await startRuntimeApi({ bootstrap: bootstrapPath(), env });
    t.after(() => broken.close());
    await assert.rejects(broken.ready(), (err) => {
      assert.match(err.message, /DYNAMODB_TABLE/, 'the message names the variable');
      assert.notEqual(err.sandbox.exitCode, 0, 'exits non-zero');
      assert.equal(err.sandbox.killedFor, null, 'exited by itself');
      return true;
    });
    const result = await broken.invoke(readEvent('get-counter.json'));
    assert.equal(result.error?.errorType, 'Runtime.ExitError', 'an invocation gets the init failure');
  });
}

test('format=svg follows the rules of the JSON answer on the built binary', async () => {
  const before = await scanTable();
  const asking = (query, { method = 'GET', userAgent } = {}) => {
    const event = readEvent('svg-counter.json');
    event.rawQueryString = query;
    delete event.queryStringParameters;
    event.requestContext.http.method = method;
    if (userAgent) event.requestContext.http.userAgent = userAgent;
    return event;
  };
  const googlebot = readEvent('crawler-get.json').requestContext.http.userAgent;
  const projects = before['/projects/'];
  assertResponse(await rt.invoke(asking('path=%2Fprojects%2F&format=svg', { userAgent: googlebot })), image(projects), 'a crawler');
  assertResponse(await rt.invoke(asking('path=%2Fprojects%2F&increment=false&format=svg')), image(projects), 'a read');
  assertResponse(await rt.invoke(asking('path=%2Fprojects%2F&format=svg', { method: 'POST' })), rejected(405, 'method_not_allowed', { allow: 'GET' }), 'POST');
  assertResponse(await rt.invoke(asking('path=%2Fa%E2%80%8Bb&format=svg')), rejected(400, 'invalid_path'), 'an invisible character');
  assertResponse(await rt.invoke(asking('path=%2Fprojects%2F&format=png')), rejected(400, 'invalid_format'), 'format=png');
  assertResponse(await rt.invoke(asking('path=%2Fprojects%2F&format=svg&format=svg')), rejected(400, 'invalid_format'), 'twice');
  assert.deepEqual(await scanTable(), before, 'none of them wrote');
  assertResponse(await rt.invoke(asking('path=%2Fprojects%2F&format=json')), counted(projects + 1), 'format=json');
});
