'use strict';
// A Lambda Runtime API emulator: runs a custom-runtime `bootstrap` the way Lambda does, with
// no Docker. Used by `make dev`, the end-to-end tests and the benchmark.
//
//   const rt = await startRuntimeApi({ bootstrap, env: { DYNAMODB_TABLE: 't', ... } });
//   await rt.ready();                    // first GET /next reached, or rejects with the init failure
//   const r = await rt.invoke(event);    // { payload } or { error }, plus timings and pid
//   await rt.close();                    // kills the process, stops the server
//
// `launcher` (an argv prefix) runs the bootstrap through another program: the arm64 binary
// under user-mode QEMU, as `{ launcher: ['qemu-aarch64', '-L', '/usr/aarch64-linux-gnu'] }`.
//
// Like one Lambda sandbox: one process, one invocation at a time (the rest wait in a queue);
// the process is spawned with Lambda's environment variables (not this process's, so no real
// AWS credentials leak in) plus the caller's `env`; an invocation that outlives `timeoutMs` is
// answered with a timeout error and the process is killed; the next invocation spawns a new
// process (a new cold start), as does the first one after a crash or a failed init.
//
// Timestamps are performance.now() milliseconds (monotonic, this process's clock):
//   sandbox.spawnedAt, sandbox.readyAt (its first GET /next: init done), sandbox.exitedAt;
//   result.queuedAt, result.startedAt (handed to the runtime), result.endedAt (answer received).

const http = require('node:http');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { randomUUID, randomBytes } = require('node:crypto');
const { performance } = require('node:perf_hooks');

const API = '/2018-06-01/runtime';

// Defaults mirror template.yaml's CounterFunction (Timeout: 3, MemorySize: 128, LoggingConfig).
const DEFAULTS = {
  functionName: 'CounterFunction',
  memoryMb: 128,
  timeoutMs: 3000,
  initTimeoutMs: 10000, // Lambda's limit for the init phase
  region: 'us-east-1',
  logLines: 2000, // how many output lines `rt.logs` keeps
  // Lambda-Runtime-Trace-Id of each invocation; like Lambda, a new one every time. The benchmark
  // can pass a constant to show what a distinct value per invocation costs a runtime.
  traceId: newTraceId,
};

class InitError extends Error {}

// Every live child of every emulator in this process, killed if this process exits first.
const liveChildren = new Set();
process.on('exit', () => {
  for (const child of liveChildren) child.kill('SIGKILL');
});

function deferred() {
  const d = {};
  d.promise = new Promise((resolve, reject) => Object.assign(d, { resolve, reject }));
  d.promise.catch(() => {}); // a sandbox nobody waits on must not crash the process
  return d;
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function newTraceId() {
  const epoch = Math.floor(Date.now() / 1000).toString(16);
  return `Root=1-${epoch}-${randomBytes(12).toString('hex')};Parent=${randomBytes(8).toString('hex')};Sampled=0`;
}

async function startRuntimeApi(options) {
  const opts = { ...DEFAULTS, env: {}, onLog: null, launcher: [], ...options };
  if (!opts.bootstrap) throw new Error('startRuntimeApi: `bootstrap` (path to the binary) is required');
  const bootstrap = path.resolve(opts.bootstrap);
  const arn = `arn:aws:lambda:${opts.region}:123456789012:function:${opts.functionName}`;

  const queue = []; // invocations not yet handed to a runtime
  let current = null; // the invocation in flight: { requestId, event, done, timer, ... }
  let waitingNext = null; // the runtime's parked GET /next response
  let sandbox = null; // the live process, see spawnSandbox()
  let closed = false;
  const sandboxes = [];
  const logs = [];

  // GET /next is a long poll that may wait for hours in `make dev`: no server-side timeouts.
  const server = http.createServer({ requestTimeout: 0, keepAliveTimeout: 60_000 }, (req, res) => {
    route(req, res).catch((err) => reply(res, 500, { errorMessage: err.message }));
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const runtimeApi = `127.0.0.1:${server.address().port}`;

  function reply(res, status, body) {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  async function route(req, res) {
    const url = req.url.split('?')[0];
    let m;
    if (req.method === 'GET' && url === `${API}/invocation/next`) return next(res);
    if (req.method === 'POST' && (m = url.match(`^${API}/invocation/([^/]+)/(response|error)$`))) {
      const body = await readBody(req);
      if (!current || current.requestId !== m[1] || !current.startedAt) {
        return reply(res, 400, { errorType: 'InvalidRequestID', errorMessage: `unknown request id ${m[1]}` });
      }
      reply(res, 202, { status: 'OK' });
      if (m[2] === 'response') return finish(current, { payload: parseJson(body) });
      const error = parseJson(body);
      const type = req.headers['lambda-runtime-function-error-type'];
      return finish(current, {
        error: typeof error === 'object' && error ? error : { errorType: type, errorMessage: String(error) },
      });
    }
    if (req.method === 'POST' && url === `${API}/init/error`) {
      const body = parseJson(await readBody(req));
      reply(res, 202, { status: 'OK' });
      const sb = sandbox;
      if (sb && !sb.readyAt) {
        sb.initError = body;
        // A runtime that reports an init error is expected to exit; Lambda resets it if it doesn't.
        setTimeout(() => kill(sb, 'init-error'), 1000).unref();
      }
      return;
    }
    reply(res, 404, { errorType: 'NotFound', errorMessage: `${req.method} ${url}` });
  }

  function next(res) {
    const sb = sandbox;
    if (!sb || sb.dying) return res.destroy(); // a process being killed asks for more work
    if (!sb.readyAt) {
      sb.readyAt = performance.now();
      clearTimeout(sb.initTimer);
      sb.ready.resolve(sb);
    }
    waitingNext = res;
    res.on('close', () => {
      if (waitingNext === res) waitingNext = null;
    });
    pump();
  }

  function log(stream, sb, line) {
    const entry = { at: performance.now(), pid: sb.pid, stream, line };
    logs.push(entry);
    if (logs.length > opts.logLines) logs.shift();
    if (stream === 'stderr') sb.stderrTail = [...sb.stderrTail.slice(-19), line];
    if (opts.onLog) opts.onLog(entry);
  }

  function lines(stream, sb, readable) {
    let rest = '';
    readable.setEncoding('utf8');
    readable.on('data', (chunk) => {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop();
      for (const line of parts) log(stream, sb, line);
    });
    readable.on('end', () => rest && log(stream, sb, rest));
  }

  function lambdaEnv() {
    const now = new Date();
    const day = now.toISOString().slice(0, 10).replace(/-/g, '/');
    return {
      PATH: '/usr/local/bin:/usr/bin:/bin',
      LANG: 'en_US.UTF-8',
      TZ: ':UTC',
      _HANDLER: path.basename(bootstrap),
      LAMBDA_TASK_ROOT: path.dirname(bootstrap),
      AWS_REGION: opts.region,
      AWS_DEFAULT_REGION: opts.region,
      AWS_ACCESS_KEY_ID: 'local', // Lambda passes the role's credentials; dynalite takes any
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_LAMBDA_FUNCTION_NAME: opts.functionName,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(opts.memoryMb),
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${opts.functionName}`,
      AWS_LAMBDA_LOG_STREAM_NAME: `${day}/[$LATEST]${randomBytes(16).toString('hex')}`,
      AWS_LAMBDA_LOG_FORMAT: 'JSON',
      AWS_LAMBDA_LOG_LEVEL: 'INFO',
      AWS_LAMBDA_RUNTIME_API: runtimeApi,
      ...opts.env,
    };
  }

  function spawnSandbox() {
    const sb = {
      id: sandboxes.length + 1,
      pid: null,
      spawnedAt: performance.now(),
      readyAt: null,
      exitedAt: null,
      exitCode: null,
      signal: null,
      initError: null, // the body the runtime POSTed to /init/error, if any
      killedFor: null, // 'timeout' | 'init-timeout' | 'init-error' | 'close'
      dying: false,
      invocations: 0,
      stderrTail: [],
      ready: deferred(),
      gone: deferred(),
    };
    sandboxes.push(sb);
    sandbox = sb;
    const [command, ...args] = [...opts.launcher, bootstrap];
    const child = spawn(command, args, { env: lambdaEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    sb.child = child;
    sb.pid = child.pid;
    liveChildren.add(child);
    lines('stdout', sb, child.stdout);
    lines('stderr', sb, child.stderr);
    child.on('error', (err) => (sb.spawnError = err));
    child.on('exit', () => (sb.exitedAt = performance.now()));
    child.on('close', (code, signal) => onGone(sb, code, signal));
    sb.initTimer = setTimeout(() => kill(sb, 'init-timeout'), opts.initTimeoutMs);
    return sb;
  }

  function describeExit(sb) {
    if (sb.spawnError) return `could not start ${[...opts.launcher, bootstrap].join(' ')}: ${sb.spawnError.message}`;
    if (sb.killedFor) return `killed (${sb.killedFor})`;
    return sb.signal ? `Runtime exited with signal: ${sb.signal}` : `Runtime exited with error: exit status ${sb.exitCode}`;
  }

  function onGone(sb, code, signal) {
    liveChildren.delete(sb.child);
    clearTimeout(sb.initTimer);
    Object.assign(sb, { exitCode: code, signal, dying: true });
    sb.exitedAt ??= performance.now();
    if (!sb.readyAt) {
      const msg = [`bootstrap failed during init: ${describeExit(sb)}`];
      if (sb.initError) msg.push(`init error: ${JSON.stringify(sb.initError)}`);
      if (sb.stderrTail.length) msg.push('stderr:', ...sb.stderrTail.map((l) => `  ${l}`));
      const err = new InitError(msg.join('\n'));
      err.headline = msg[0]; // for callers that already show the process's output (make dev)
      err.sandbox = sb;
      sb.ready.reject(err);
    }
    if (current && current.sandbox === sb) {
      const reason = `RequestId: ${current.requestId} Error: ${describeExit(sb)}`;
      finish(current, {
        error: { errorType: sb.initError?.errorType || 'Runtime.ExitError', errorMessage: reason },
      });
    }
    if (sandbox === sb) sandbox = null;
    sb.gone.resolve();
    if (!closed) pump();
  }

  function kill(sb, reason) {
    if (sb.dying) return;
    sb.dying = true;
    sb.killedFor = reason;
    sb.child.kill('SIGKILL');
  }

  // Hands the next queued invocation to the runtime once one is free and asking.
  function pump() {
    if (closed) return;
    if (!current && queue.length) current = queue.shift();
    if (!current) return;
    if (sandbox?.dying) return; // the old process is on its way out; onGone() pumps again
    if (!sandbox) spawnSandbox();
    if (!current.sandbox) {
      current.sandbox = sandbox;
      current.coldStart = sandbox.invocations++ === 0; // the first invocation this process serves
    }
    if (current.startedAt || !waitingNext) return;

    const inv = current;
    const res = waitingNext;
    waitingNext = null;
    inv.startedAt = performance.now();
    const body = JSON.stringify(inv.event);
    res.writeHead(200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      'lambda-runtime-aws-request-id': inv.requestId,
      'lambda-runtime-deadline-ms': String(Date.now() + opts.timeoutMs),
      'lambda-runtime-invoked-function-arn': arn,
      'lambda-runtime-trace-id': opts.traceId(),
    });
    res.end(body);
    inv.timer = setTimeout(() => {
      const seconds = (opts.timeoutMs / 1000).toFixed(2);
      finish(inv, {
        error: { errorType: 'Sandbox.Timedout', errorMessage: `RequestId: ${inv.requestId} Error: Task timed out after ${seconds} seconds` },
      });
      kill(inv.sandbox, 'timeout');
    }, opts.timeoutMs);
  }

  function finish(inv, outcome) {
    if (inv.endedAt) return;
    inv.endedAt = performance.now();
    clearTimeout(inv.timer);
    if (current === inv) current = null;
    inv.done.resolve({
      requestId: inv.requestId,
      ...outcome,
      pid: inv.sandbox?.pid ?? null,
      sandboxId: inv.sandbox?.id ?? null,
      coldStart: inv.coldStart,
      queuedAt: inv.queuedAt,
      startedAt: inv.startedAt,
      endedAt: inv.endedAt,
    });
    setImmediate(pump);
  }

  function invoke(event, { requestId = randomUUID() } = {}) {
    if (closed) return Promise.reject(new Error('runtime emulator is closed'));
    const inv = { requestId, event, queuedAt: performance.now(), startedAt: null, endedAt: null, done: deferred() };
    queue.push(inv);
    pump();
    return inv.done.promise;
  }

  // Resolves when the current process has finished init (spawning one if none is live);
  // rejects with an InitError carrying the exit status, the /init/error body and stderr.
  function ready() {
    if (closed) return Promise.reject(new Error('runtime emulator is closed'));
    return (sandbox || spawnSandbox()).ready.promise;
  }

  async function close() {
    if (closed) return;
    closed = true;
    const gone = new Error('runtime emulator is closed');
    for (const inv of [current, ...queue.splice(0)]) if (inv && !inv.endedAt) inv.done.reject(gone);
    current = null;
    if (sandbox) {
      const sb = sandbox;
      kill(sb, 'close');
      await sb.gone.promise;
    }
    server.closeAllConnections();
    await new Promise((resolve) => server.close(() => resolve()));
  }

  spawnSandbox();

  return {
    runtimeApi,
    invoke,
    ready,
    close,
    logs,
    sandboxes,
    get sandbox() {
      return sandbox;
    },
    get pid() {
      return sandbox ? sandbox.pid : null;
    },
  };
}

module.exports = { startRuntimeApi, InitError, DEFAULTS };
