'use strict';
// Instructions, not milliseconds: the shipped `bootstrap` under valgrind's callgrind, run by the
// same Runtime API emulator against dynalite. Instruction counts do not move with the machine's
// load, so they show what a change does even when bench.js's timings are swamped by noise.
// Needs valgrind (callgrind_control included). `make bench` runs it on both Rust builds and, as a
// module, for the cold visits (bench/cold-visit.js); by hand:
//
//   node bench/instructions.js [--rust PATH] [--n 200] [--event get-counter.json] [--keep DIR]
//                              [--user-agent TEXT | --no-user-agent] [--endpoint-env NAME]
//
// --endpoint-env names the variable that hands the function dynalite's endpoint: DYNAMODB_ENDPOINT
// (ours, the default) or AWS_ENDPOINT_URL_DYNAMODB (the SDK's own, which bench/obvious/ reads).
//
// --event names the file in events/ every invocation sends: get-counter.json (a browser's hit,
// the default), crawler-get.json (a crawler, answered with a read), view-count.json, ...
// --user-agent replaces the event's User-Agent (--no-user-agent drops it): the difference from
// --no-user-agent is what judging that User-Agent costs (bench/README.md, "Who counts").
// Prints user-space instructions (valgrind's Ir: the bootstrap and the libraries it calls, not
// the kernel) for init (exec -> first GET /next), the first invocation, and per warm invocation.
// --keep DIR keeps callgrind's three dumps there (callgrind.out.1 init, .2 the first invocation,
// .3 the warm ones), for `callgrind_annotate` on a build with symbols.
// Note that valgrind's CPU lacks SHA extensions, so the SDK's SigV4 hashing runs a software
// path here and weighs more than it does on the real CPU.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { startRuntimeApi } = require('../tools/local/runtime-api.js');
const { startDynalite } = require('../tools/local/dynalite.js');
const { asVisitor } = require('../tools/local/visitors.js');

const ROOT = path.resolve(__dirname, '..');
const MAX_N = 10_000;

function parseArgs(argv) {
  const args = { rust: path.join(ROOT, '.aws-sam/build/CounterFunction/bootstrap'), n: 200, event: 'get-counter.json', keep: null, userAgent: undefined, endpointEnv: 'DYNAMODB_ENDPOINT' };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--rust' && argv[i + 1]) args.rust = path.resolve(argv[++i]);
    else if (argv[i] === '--n' && argv[i + 1]) args.n = Number(argv[++i]);
    else if (argv[i] === '--event' && argv[i + 1]) args.event = argv[++i];
    else if (argv[i] === '--keep' && argv[i + 1]) args.keep = path.resolve(argv[++i]);
    else if (argv[i] === '--user-agent' && argv[i + 1] !== undefined) args.userAgent = argv[++i];
    else if (argv[i] === '--no-user-agent') args.userAgent = null;
    else if (argv[i] === '--endpoint-env' && argv[i + 1]) args.endpointEnv = argv[++i];
    else throw new Error(`usage: instructions.js [--rust PATH] [--n N] [--event FILE] [--keep DIR] [--user-agent TEXT | --no-user-agent] [--endpoint-env NAME] (got ${argv[i]})`);
  }
  if (!Number.isInteger(args.n) || args.n < 1 || args.n > MAX_N) throw new Error(`--n must be 1..${MAX_N}`);
  return args;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// callgrind_control -d writes the counters since the last dump to OUT.<part> and zeroes them.
function dump(pid, out, part) {
  execFileSync('callgrind_control', ['-d', String(pid)], { stdio: 'ignore' });
  const file = `${out}.${part}`;
  for (let i = 0; i < 100 && !fs.existsSync(file); i++) execFileSync('sleep', ['0.05']);
  const text = fs.readFileSync(file, 'utf8');
  const m = text.match(/^(?:summary|totals):\s*(\d+)/m);
  if (!m) throw new Error(`no totals in ${file}`);
  return Number(m[1]);
}

function requireValgrind() {
  for (const tool of ['valgrind', 'callgrind_control']) {
    try {
      execFileSync(tool, ['--version'], { stdio: 'ignore' });
    } catch {
      throw new Error(`${tool} not found (Debian: apt-get install valgrind)`);
    }
  }
}

// `bootstrap` under callgrind, against DYNAMODB_ENDPOINT in `env`: instructions of init, the
// first invocation of `event`, and per warm invocation over `n` more (none when n is 0).
// `check(result)` throws for an answer that does not count; `keep` is a folder for the dumps.
async function countInstructions({ bootstrap, env, event, n = 0, keep = null, check }) {
  requireValgrind();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-callgrind-'));
  const out = path.join(dir, 'callgrind.out');
  const wrapper = path.join(dir, 'bootstrap');
  fs.writeFileSync(
    wrapper,
    `#!/bin/sh\nexec valgrind --tool=callgrind --callgrind-out-file=${out} ${JSON.stringify(bootstrap)}\n`,
    { mode: 0o755 },
  );
  let rt = null;
  try {
    rt = await startRuntimeApi({ bootstrap: wrapper, initTimeoutMs: 120_000, timeoutMs: 60_000, logLines: 10, env });
    const pid = rt.sandbox.pid;
    await rt.ready();
    await sleep(200);
    const init = dump(pid, out, 1);
    // Each invocation from a visitor of its own, so that every hit counts as the event says.
    check(await rt.invoke(asVisitor(event, 0)));
    await sleep(200);
    const first = dump(pid, out, 2);
    if (!n) return { init, first };
    for (let i = 1; i <= n; i++) check(await rt.invoke(asVisitor(event, i)));
    await sleep(200);
    return { init, first, warm: Math.round(dump(pid, out, 3) / n) };
  } finally {
    if (rt) await rt.close();
    if (keep) {
      fs.mkdirSync(keep, { recursive: true });
      for (const part of [1, 2, 3]) {
        const file = `${out}.${part}`;
        if (fs.existsSync(file)) fs.copyFileSync(file, path.join(keep, `callgrind.out.${part}`));
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const counted = (r) => {
  if (!r.payload || r.payload.statusCode !== 200) throw new Error(`invocation failed: ${JSON.stringify(r)}`);
};

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const event = JSON.parse(fs.readFileSync(path.join(ROOT, 'events', args.event), 'utf8'));
  if (args.userAgent !== undefined) {
    const headers = Object.fromEntries(Object.entries(event.headers ?? {}).filter(([k]) => k.toLowerCase() !== 'user-agent'));
    event.headers = args.userAgent === null ? headers : { ...headers, 'user-agent': args.userAgent };
    // The function reads the gateway's copy.
    if (args.userAgent === null) delete event.requestContext.http.userAgent;
    else event.requestContext.http.userAgent = args.userAgent;
  }
  const db = await startDynalite({ table: 'BenchHits' });
  try {
    const env = { DYNAMODB_TABLE: 'BenchHits', [args.endpointEnv]: db.endpoint };
    const counts = await countInstructions({ bootstrap: args.rust, env, event, n: args.n, keep: args.keep, check: counted });
    const result = {
      bootstrap: path.relative(ROOT, args.rust),
      event: args.event,
      userAgentBytes: args.userAgent === undefined ? undefined : (args.userAgent ?? '').length,
      n: args.n,
      initInstructions: counts.init,
      firstInvocationInstructions: counts.first,
      instructionsPerWarmInvocation: counts.warm,
    };
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  } finally {
    await db.close();
  }
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`instructions.js: ${err.stack || err.message}\n`);
    process.exitCode = 1;
  });
}

module.exports = { countInstructions };
