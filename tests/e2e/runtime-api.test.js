'use strict';
// The Runtime API emulator itself, driven by a fake runtime that can hang, crash or fail init
// on demand (the real bootstrap can't): the behaviour the other tests and the benchmark rely on.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { startRuntimeApi } = require('../../tools/local/runtime-api');
const { isAlive } = require('./helpers');

const FAKE = path.join(__dirname, 'fixtures', 'fake-runtime.js');

async function emulator(t, options = {}) {
  const rt = await startRuntimeApi({ bootstrap: FAKE, ...options });
  t.after(() => rt.close());
  return rt;
}

test('hands events over one at a time, in order, with the Lambda headers; close() kills the process', async (t) => {
  const rt = await emulator(t);
  const sandbox = await rt.ready();
  assert.ok(sandbox.readyAt >= sandbox.spawnedAt, 'init timestamps are recorded');
  const results = await Promise.all([rt.invoke({ sleep: 50, n: 1 }), rt.invoke({ n: 2 }), rt.invoke({ n: 3 })]);
  assert.deepEqual(results.map((r) => r.payload.event.n), [1, 2, 3]);
  for (let i = 1; i < results.length; i++) assert.ok(results[i].startedAt >= results[i - 1].endedAt);
  assert.deepEqual(results.map((r) => r.coldStart), [true, false, false], "the sandbox's first invocation");
  const [result] = results;
  assert.equal(result.payload.pid, rt.pid);
  assert.match(result.payload.headers.arn, /^arn:aws:lambda:[a-z0-9-]+:\d{12}:function:CounterFunction$/);
  assert.match(result.payload.headers.trace, /^Root=1-[0-9a-f]{8}-[0-9a-f]{24};/);
  assert.ok(Number(result.payload.headers.deadline) > Date.now() - 60_000, 'a deadline in epoch ms');
  assert.ok(result.queuedAt <= result.startedAt && result.startedAt <= result.endedAt);
  await rt.close();
  assert.equal(isAlive(result.payload.pid), false);
  await assert.rejects(rt.invoke({}), /closed/);
});

// A hang past the timeout or a crash: the invocation's error, and a new process for the next.
for (const [what, options, event, errorType, message, killedFor] of [
  ['a timeout', { timeoutMs: 300 }, { sleep: 60_000 }, 'Sandbox.Timedout', /Task timed out after 0\.30 s/, 'timeout'],
  ['a crash mid-invocation', {}, { exit: 7 }, 'Runtime.ExitError', /exit status 7/, null],
]) {
  test(`${what} is a ${errorType} and the next invocation starts a new process`, async (t) => {
    const rt = await emulator(t, options);
    const failed = await rt.invoke(event);
    assert.equal(failed.error.errorType, errorType);
    assert.match(failed.error.errorMessage, message);
    assert.equal(rt.sandboxes[0].killedFor, killedFor);
    const next = await rt.invoke({ n: 2 });
    assert.notEqual(next.pid, failed.pid, 'a new process');
    assert.deepEqual([next.coldStart, next.payload.event], [true, { n: 2 }]);
    assert.equal(isAlive(failed.pid), false, 'the old process is gone');
  });
}

test('init failures are reported with exit status, /init/error body and stderr', async (t) => {
  for (const [options, failure, invocationError] of [
    [{ env: { FAKE_INIT: 'exit' } }, /exit status 3[\s\S]*FAKE_SETTING is missing/, 'Runtime.ExitError'],
    [{ env: { FAKE_INIT: 'init-error' } }, /"errorType":"Runtime\.Config"/, 'Runtime.Config'],
    [{ env: { FAKE_INIT: 'hang' }, initTimeoutMs: 300 }, /killed \(init-timeout\)/],
    [{ bootstrap: '/nonexistent/bootstrap' }, /could not start \/nonexistent\/bootstrap/],
  ]) {
    const rt = await emulator(t, options);
    await assert.rejects(rt.ready(), failure);
    if (invocationError) assert.equal((await rt.invoke({})).error?.errorType, invocationError, 'an invocation gets it');
  }
});

test('the runtime sees Lambda variables, not this process environment', async (t) => {
  process.env.E2E_SHOULD_NOT_LEAK = 'leak';
  t.after(() => delete process.env.E2E_SHOULD_NOT_LEAK);
  const rt = await emulator(t, { bootstrap: '/usr/bin/env' }); // prints its environment, then exits
  await assert.rejects(rt.ready());
  const env = Object.fromEntries(rt.logs.map((l) => l.line.split(/=(.*)/s).slice(0, 2)));
  for (const name of ['AWS_LAMBDA_FUNCTION_NAME', 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE', 'AWS_LAMBDA_FUNCTION_VERSION',
    'AWS_LAMBDA_LOG_STREAM_NAME', 'AWS_LAMBDA_LOG_GROUP_NAME', 'AWS_LAMBDA_RUNTIME_API', 'AWS_REGION']) {
    assert.ok(env[name], `${name} is set`);
  }
  assert.match(env.AWS_LAMBDA_RUNTIME_API, /^127\.0\.0\.1:\d+$/, 'the API is on loopback');
  assert.equal(env.E2E_SHOULD_NOT_LEAK, undefined);
});

test('a launcher runs the bootstrap (as qemu-aarch64 runs the arm64 one), and is named if it cannot start', async (t) => {
  // env(1) as the launcher: the fake's init failure proves the variable came through it.
  const launched = await emulator(t, { launcher: ['/usr/bin/env', 'FAKE_INIT=exit'] });
  await assert.rejects(launched.ready(), /exit status 3[\s\S]*FAKE_SETTING is missing/);
  const missing = await emulator(t, { launcher: ['/nonexistent/qemu', '-L', '/x'] });
  await assert.rejects(missing.ready(), /could not start \/nonexistent\/qemu -L \/x \S+fake-runtime\.js/);
});
