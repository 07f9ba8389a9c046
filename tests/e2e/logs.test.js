'use strict';
// What the built bootstrap writes to its log: nothing secret at any level, and an invocation
// error that an operator can trace back to its request.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { readEvent, useFunction } = require('./helpers');

const SECRETS = { cookie: 'session=cookie-secret-4f1d', bearer: 'Bearer token-secret-9a2c', awsKey: 'aws-secret-key-7e3b',
  awsToken: 'aws-session-token-5c8d' };

const fn = useFunction();

// An event as a browser with a session would send it, cookies and Authorization included.
function eventWithSecrets(event = readEvent('get-counter.json')) {
  event.headers = { ...event.headers, cookie: SECRETS.cookie, authorization: SECRETS.bearer };
  event.cookies = [SECRETS.cookie];
  return event;
}

test('at TRACE, no cookie, bearer token or AWS credential reaches the output', async (t) => {
  const env = { AWS_LAMBDA_LOG_LEVEL: 'TRACE', AWS_SECRET_ACCESS_KEY: SECRETS.awsKey, AWS_SESSION_TOKEN: SECRETS.awsToken };
  const rt = await fn.start(t, env, { logLines: 100_000 });
  const counted = await rt.invoke(eventWithSecrets());
  assert.equal(counted.payload?.statusCode, 200, JSON.stringify(counted));
  // The next test shows this is refused; here its error path has its chance to leak.
  await rt.invoke(eventWithSecrets({ hello: 'world', headers: {} }));

  const lines = rt.logs.map((l) => l.line);
  // TRACE did turn more on: other crates' DEBUG lines are there, so the secrets had their chance.
  const debug = lines.filter((line) => line.includes('"level":"DEBUG"'));
  assert.ok(debug.length > 0, `expected DEBUG lines at TRACE, got:\n${lines.join('\n')}`);
  const output = lines.join('\n');
  for (const [name, secret] of Object.entries(SECRETS)) {
    assert.ok(!output.includes(secret), `the ${name} reached the log`);
  }
});

test('a malformed, non-HTTP event: our error type, our ERROR line with its request id, and the same process goes on', async () => {
  const rt = fn.rt; // at INFO, Lambda's default
  const pid = rt.pid;
  const result = await rt.invoke({ hello: 'world' });
  assert.equal(result.payload, undefined, `expected an invocation error, got ${JSON.stringify(result.payload)}`);
  assert.equal(result.error?.errorType, 'NotAnHttpApiEvent', 'a stable error type of our own');
  assert.ok(result.error.errorMessage, 'with a message');
  const next = await rt.invoke(readEvent('get-counter.json'));
  assert.equal(next.payload?.statusCode, 200, JSON.stringify(next));
  assert.deepEqual([result.pid, next.pid, rt.sandboxes.length], [pid, pid, 1], 'the same process, not a restart');
  // The next request's line proves the pipe has delivered everything before it.
  await rt.lineOf(next.requestId);
  const stdout = rt.logs.filter((l) => l.stream === 'stdout').map((l) => JSON.parse(l.line));
  // lambda_runtime logs the handler's error too, as its Debug text and without the id.
  const errors = stdout.filter((line) => line.level === 'ERROR' && line.error_type);
  assert.equal(errors.length, 1, `one ERROR line of ours: ${JSON.stringify(stdout)}`);
  assert.equal(errors[0].request_id, result.requestId);
  assert.equal(errors[0].error_type, 'NotAnHttpApiEvent');
});
