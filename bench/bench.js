'use strict';
// The benchmark: the shipped `bootstrap` (and the Python measuring stick) run as Lambda runs
// them, under tools/local/runtime-api.js, against dynalite on loopback. Not a test: it asserts
// nothing unless asked (--check), it measures.
//
//   node bench/bench.js [--n 500] [--runs 3] [--impl rust,obvious,python]
//                       [--rust PATH] [--obvious PATH] [--python PATH] [--out FILE] [--check]
//                       [--no-instructions]  (skip the callgrind counts of the Rust builds)
//                       [--env NAME=VALUE]...   (extra environment for the function, for experiments)
//                       [--stub PATH]   (bench/floor's next_only built: measures the emulator's own floor)
//                       [--floor PATH]  (bench/floor's invoke_floor built: the I/O floor per invocation)
//                       [--fixed-trace-id]  (one Lambda-Runtime-Trace-Id for every invocation, not
//                                            a new one each time as Lambda sends: an experiment)
//                       [--rehearsal PATH]  (bench/rehearse/ built: adds the cold visits,
//                                            bench/cold-visit.js, over HTTP and HTTPS)
//                       [--cold-spawns N]   (sandboxes timed per cold-visit row, 5)
//                       [--cold-only]       (the cold visits alone)
//
// One run of one implementation:
//   1. a fresh dynalite (bench/counting-dynalite.js, its own process, counting requests);
//   2. dynalite's own UpdateItem latency: a warm keep-alive client in this process sends the
//      function's UpdateItem, 50 untimed then N timed, one at a time;
//   3. the emulator spawns the bootstrap; init = spawn -> its first GET /runtime/invocation/next;
//   4. N invocations of events/get-counter.json, one at a time, back to back; latency = the
//      event handed over on /next -> its response POSTed back (the emulator's timestamps);
//      the first one is the cold invocation, the percentiles are over the N-1 warm ones;
//   5. CPU (user+sys, summed over the process's threads from /proc/PID/task/*/sched, ns
//      resolution) and peak RSS (VmHWM) read from /proc with the process idle on /next;
//      CPU per invocation = CPU of the N-1 warm invocations / (N-1); RSS growth = VmRSS at the
//      end minus VmRSS halfway, per 1000 invocations (the second half, past the heap's warm-up);
//   6. DynamoDB requests counted inside dynalite: at init (spawn -> first /next) and over
//      the N invocations, and the final count checked against the number of UpdateItems sent.
// Runs alternate between implementations; the table shows the median of the runs.
// `obvious` is the counter as the Rust runtime's examples write it (bench/obvious/, built by
// scripts/bench.sh): after the runs, bench/instructions.js counts both Rust builds' instructions,
// and a second table sets the three side by side.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');
const crypto = require('node:crypto');
const readline = require('node:readline');
const { spawn, execFileSync } = require('node:child_process');
const { performance } = require('node:perf_hooks');
const { startRuntimeApi } = require('../tools/local/runtime-api.js');
const { dynamoCall } = require('../tools/local/dynalite.js');
const { asVisitor } = require('../tools/local/visitors.js');
const { coldVisits, renderColdVisits } = require('./cold-visit.js');

const ROOT = path.resolve(__dirname, '..');
const TABLE = 'BenchHits';
const EVENT_FILE = path.join(ROOT, 'events/get-counter.json');
const WARMUP = 50;
const MAX_N = 100_000; // every loop below is bounded by n, and n by this
const MAX_RUNS = 50;

// The budgets the Rust function is held to (bench/README.md); medians of the runs.
const BUDGETS = {
  initMs: 5,
  firstMs: 10,
  p50OverDynaliteMs: 0.5,
  cpuPerInvocationMs: 0.3,
  peakRssMiB: 8,
  zipBytes: 3_000_000,
  requestsPerInvocation: 1,
  requestsAtInit: 0,
};

function parseArgs(argv) {
  const args = {
    n: 500,
    runs: 3,
    impl: ['rust', 'obvious', 'python'],
    rust: path.join(ROOT, '.aws-sam/build/CounterFunction/bootstrap'),
    obvious: path.join(ROOT, 'bench/.build/obvious/bootstrap'),
    instructions: true,
    python: path.join(ROOT, 'bench/python/bootstrap'),
    out: null,
    check: false,
    env: {},
    stub: null,
    floor: null,
    fixedTraceId: false,
    rehearsal: null,
    coldSpawns: 5,
    coldOnly: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      if (argv[i + 1] === undefined) throw new Error(`${flag} needs a value`);
      return argv[++i];
    };
    if (flag === '--n') args.n = Number(value());
    else if (flag === '--runs') args.runs = Number(value());
    else if (flag === '--impl') args.impl = value().split(',').filter(Boolean);
    else if (flag === '--rust') args.rust = path.resolve(value());
    else if (flag === '--obvious') args.obvious = path.resolve(value());
    else if (flag === '--no-instructions') args.instructions = false;
    else if (flag === '--python') args.python = path.resolve(value());
    else if (flag === '--out') args.out = path.resolve(value());
    else if (flag === '--check') args.check = true;
    else if (flag === '--stub') args.stub = path.resolve(value());
    else if (flag === '--floor') args.floor = path.resolve(value());
    else if (flag === '--fixed-trace-id') args.fixedTraceId = true;
    else if (flag === '--rehearsal') args.rehearsal = path.resolve(value());
    else if (flag === '--cold-spawns') args.coldSpawns = Number(value());
    else if (flag === '--cold-only') args.coldOnly = true;
    else if (flag === '--env') {
      const [key, ...rest] = value().split('=');
      args.env[key] = rest.join('=');
    }
    else throw new Error(`unknown argument ${flag}`);
  }
  if (!Number.isInteger(args.n) || args.n < 2 || args.n > MAX_N) throw new Error(`--n must be 2..${MAX_N}`);
  if (!Number.isInteger(args.runs) || args.runs < 1 || args.runs > MAX_RUNS) throw new Error(`--runs must be 1..${MAX_RUNS}`);
  for (const impl of args.impl) if (!['rust', 'obvious', 'python'].includes(impl)) throw new Error(`unknown --impl ${impl}`);
  if (!Number.isInteger(args.coldSpawns) || args.coldSpawns < 1 || args.coldSpawns > MAX_RUNS) throw new Error(`--cold-spawns must be 1..${MAX_RUNS}`);
  if (args.coldOnly && !args.rehearsal) throw new Error('--cold-only needs --rehearsal PATH');
  return args;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(sorted, p) {
  // nearest rank
  if (!sorted.length) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

function median(values) {
  const v = values.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

function latencyStats(latencies) {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    min: sorted[0],
    max: sorted[sorted.length - 1],
  };
}

// ---- /proc readings of the function's process -------------------------------------------

// On-CPU time (user+sys) of every live thread, in ms, at ns resolution (se.sum_exec_runtime),
// plus the coarse whole-process figure from /proc/PID/stat (clock ticks, but it also counts
// threads that have exited) as a cross-check.
function procSnapshot(pid) {
  let cpuMs = 0;
  const tids = fs.readdirSync(`/proc/${pid}/task`);
  for (const tid of tids) {
    const sched = fs.readFileSync(`/proc/${pid}/task/${tid}/sched`, 'utf8');
    const m = sched.match(/se\.sum_exec_runtime\s*:\s*([\d.]+)/);
    if (!m) throw new Error(`no se.sum_exec_runtime in /proc/${pid}/task/${tid}/sched`);
    cpuMs += Number(m[1]);
  }
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (name) => Number((status.match(new RegExp(`^${name}:\\s*(\\d+) kB`, 'm')) || [])[1]);
  return {
    at: performance.now(),
    cpuMs,
    statCpuMs: (ticks * 1000) / CLK_TCK,
    threads: tids.length,
    rssKiB: kib('VmRSS'),
    peakRssKiB: kib('VmHWM'),
  };
}

let CLK_TCK = 100;
try {
  CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
} catch {
  // 100 on every Linux we know of
}

// ---- dynalite ----------------------------------------------------------------------------

async function startCountingDynalite() {
  const child = spawn(process.execPath, [path.join(__dirname, 'counting-dynalite.js'), '--table', TABLE], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const pending = [];
  const lines = readline.createInterface({ input: child.stdout });
  lines.on('line', (line) => pending.shift()?.resolve(JSON.parse(line)));
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const nextLine = () =>
    new Promise((resolve, reject) => {
      pending.push({ resolve });
      exited.then((code) => reject(new Error(`counting-dynalite.js exited (${code})`)));
    });
  const { endpoint, port } = await nextLine();
  return {
    endpoint,
    port,
    counts: () => {
      const line = nextLine();
      child.stdin.write('counts\n');
      return line;
    },
    close: async () => {
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function diffCounts(after, before) {
  const out = {};
  for (const [key, n] of Object.entries(after)) {
    const d = n - (before[key] || 0);
    if (d) out[key] = d;
  }
  return out;
}
// Requests from the functions' SDKs (any operation), and of those, UpdateItems.
const sdkRequests = (counts) => Object.entries(counts).filter(([k]) => k.startsWith('sdk ')).reduce((s, [, n]) => s + n, 0);

// dynalite's own UpdateItem latency, from a warm keep-alive client: the floor under the
// function's latency, so its overhead can be read off.
async function dynaliteBaseline(port, n, key) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const request = {
    TableName: TABLE,
    Key: { path: { S: key } },
    UpdateExpression: 'ADD hits :inc',
    ExpressionAttributeValues: { ':inc': { N: '1' } },
    ReturnValues: 'UPDATED_NEW',
  };
  const call = async () => {
    const started = performance.now();
    const res = await dynamoCall(port, 'UpdateItem', request, { agent, headers: { 'user-agent': 'bench-baseline' } });
    const ms = performance.now() - started;
    if (res.status !== 200) throw new Error(`baseline UpdateItem: ${res.status} ${JSON.stringify(res.body)}`);
    return ms;
  };
  for (let i = 0; i < WARMUP; i++) await call();
  const latencies = [];
  for (let i = 0; i < n; i++) latencies.push(await call());
  agent.destroy();
  return { sent: WARMUP + n, ...latencyStats(latencies) };
}

// The harness's own share of "init": spawn -> first /next of a C program that does nothing else.
const STUB_SPAWNS = 10;
async function emulatorFloor(stub) {
  const times = [];
  for (let i = 0; i < STUB_SPAWNS; i++) {
    const rt = await startRuntimeApi({ bootstrap: stub, logLines: 10 });
    try {
      const sb = rt.sandbox;
      await rt.ready();
      times.push(sb.readyAt - sb.spawnedAt);
    } finally {
      await rt.close();
    }
  }
  return median(times);
}

// ---- one run of one implementation -------------------------------------------------------

// Where each implementation reads dynalite's endpoint from: the obvious Rust leaves it to the
// SDK, which reads AWS_ENDPOINT_URL_DYNAMODB itself.
const ENDPOINT_ENV = { rust: 'DYNAMODB_ENDPOINT', python: 'DYNAMODB_ENDPOINT', floor: 'DYNAMODB_ENDPOINT', obvious: 'AWS_ENDPOINT_URL_DYNAMODB' };

const FIXED_TRACE_ID = 'Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=0';

async function runOne(impl, bootstrap, n, event, extraEnv, fixedTraceId) {
  const db = await startCountingDynalite();
  let rt = null;
  try {
    const baseline = await dynaliteBaseline(db.port, n, '/index.html');
    const countsBefore = await db.counts();

    rt = await startRuntimeApi({
      bootstrap,
      env: { DYNAMODB_TABLE: TABLE, [ENDPOINT_ENV[impl]]: db.endpoint, ...extraEnv },
      logLines: 50,
      ...(fixedTraceId ? { traceId: () => FIXED_TRACE_ID } : {}),
    });
    const sb = rt.sandbox;
    await rt.ready();
    const atReady = procSnapshot(sb.pid);
    const countsAtInit = diffCounts(await db.counts(), countsBefore);
    const initMs = sb.readyAt - sb.spawnedAt;

    const results = [];
    const failures = [];
    let lastCount = null;
    let afterFirst = null;
    let halfway = null;
    const half = Math.floor((n - 1) / 2); // the snapshot after invocation `half`; n >= 2 leaves >= 1 after it
    for (let i = 0; i < n; i++) {
      const r = await rt.invoke(asVisitor(event, i)); // each a visitor of its own: all count
      results.push(r);
      const status = r.payload && r.payload.statusCode;
      if (status !== 200) failures.push(r.error || r.payload);
      else lastCount = JSON.parse(r.payload.body).count;
      if (i === 0) {
        await sleep(100); // let the process park on /next again
        afterFirst = procSnapshot(sb.pid);
      }
      if (i === half) halfway = procSnapshot(sb.pid);
      if (failures.length > 10) throw new Error(`${impl}: too many failed invocations: ${JSON.stringify(failures.slice(0, 3))}`);
    }
    await sleep(100);
    const atEnd = procSnapshot(sb.pid);
    const countsRun = diffCounts(await db.counts(), countsBefore);
    const countsInvocations = diffCounts(countsRun, countsAtInit);
    if (new Set(results.map((r) => r.pid)).size !== 1) throw new Error(`${impl}: the process was replaced during the run`);

    const warm = results.slice(1).map((r) => r.endedAt - r.startedAt);
    const warmCpuMs = atEnd.cpuMs - afterFirst.cpuMs;
    return {
      impl,
      bootstrap,
      n,
      failures: failures.length,
      finalCount: lastCount,
      expectedFinalCount: baseline.sent + n,
      initMs,
      firstMs: results[0].endedAt - results[0].startedAt,
      latencyMs: latencyStats(warm),
      dynaliteMs: baseline,
      p50OverDynaliteMs: latencyStats(warm).p50 - baseline.p50,
      cpu: {
        initMs: atReady.cpuMs,
        firstInvocationMs: afterFirst.cpuMs - atReady.cpuMs,
        perInvocationMs: warmCpuMs / (n - 1),
        // cross-check: /proc/PID/stat, clock-tick resolution (±10 ms over the whole run)
        perInvocationStatMs: (atEnd.statCpuMs - afterFirst.statCpuMs) / (n - 1),
        threads: { atReady: atReady.threads, atEnd: atEnd.threads },
      },
      rss: {
        atReadyKiB: atReady.rssKiB,
        peakKiB: atEnd.peakRssKiB,
        growthKiBPer1000: ((atEnd.rssKiB - halfway.rssKiB) * 1000) / (n - 1 - half),
      },
      dynamodb: {
        atInit: sdkRequests(countsAtInit),
        perInvocation: sdkRequests(countsInvocations) / n,
        countsAtInit,
        countsInvocations,
      },
    };
  } finally {
    if (rt) await rt.close();
    await db.close();
  }
}

// ---- artifact ----------------------------------------------------------------------------

// `sam build` + `sam deploy` zip the function with Python's zipfile (ZIP_DEFLATED, zlib's default
// level, mode 0755); Node's zlib compresses a little differently, so the size comes from Python's
// zipfile too (scripts/bench.sh always provides it).
const SAM_ZIP = `
import io, sys, zipfile
data = open(sys.argv[1], "rb").read()
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
    info = zipfile.ZipInfo("bootstrap")
    info.create_system = 3
    info.external_attr = 0o100755 << 16
    zf.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
print(len(buf.getvalue()))
`;
function zippedSize(bootstrap) {
  const out = execFileSync(process.env.BENCH_ZIP_PYTHON || 'python3', ['-c', SAM_ZIP, bootstrap], { encoding: 'utf8' });
  return { zipBytes: Number(out.trim()), zipMethod: 'python zipfile, as sam deploy' };
}

function artifactFacts(bootstrap) {
  const data = fs.readFileSync(bootstrap);
  let glibc = null;
  try {
    const dyn = execFileSync('objdump', ['-T', bootstrap], { encoding: 'utf8', maxBuffer: 64 << 20 });
    const versions = [...new Set(dyn.match(/GLIBC_[0-9.]+/g) || [])].map((v) => v.slice(6));
    versions.sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
    glibc = versions.pop() || null;
  } catch {
    // objdump missing: leave it out
  }
  return {
    path: path.relative(ROOT, bootstrap),
    bytes: data.length,
    ...zippedSize(bootstrap),
    sha256: crypto.createHash('sha256').update(data).digest('hex'),
    mtime: fs.statSync(bootstrap).mtime.toISOString(),
    maxGlibc: glibc,
  };
}

// ---- report ------------------------------------------------------------------------------

function machineFacts() {
  const cpus = os.cpus();
  let commit = null;
  try {
    commit = execFileSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    // not a git checkout
  }
  return {
    cpu: cpus[0] && cpus[0].model,
    cores: cpus.length,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: os.release(),
    node: process.version,
    loadavgAtStart: os.loadavg().map((x) => Number(x.toFixed(2))),
    commit,
  };
}

const ms = (x) => (x == null ? 'n/a' : x < 10 ? x.toFixed(2) : x.toFixed(1));
const mib = (kib) => (kib == null ? 'n/a' : (kib / 1024).toFixed(1));

function summarize(runs, impl) {
  const mine = runs.filter((r) => r.impl === impl);
  if (!mine.length) return null;
  const pick = (f) => mine.map(f);
  const m = (f) => median(pick(f));
  return {
    runs: mine.length,
    initMs: m((r) => r.initMs),
    firstMs: m((r) => r.firstMs),
    p50: m((r) => r.latencyMs.p50),
    p90: m((r) => r.latencyMs.p90),
    p99: m((r) => r.latencyMs.p99),
    dynaliteP50: m((r) => r.dynaliteMs.p50),
    p50OverDynaliteMs: m((r) => r.p50OverDynaliteMs),
    cpuPerInvocationMs: m((r) => r.cpu.perInvocationMs),
    cpuInitMs: m((r) => r.cpu.initMs),
    cpuFirstMs: m((r) => r.cpu.firstInvocationMs),
    peakRssKiB: m((r) => r.rss.peakKiB),
    rssGrowthKiBPer1000: m((r) => r.rss.growthKiBPer1000),
    requestsAtInit: m((r) => r.dynamodb.atInit),
    requestsPerInvocation: m((r) => r.dynamodb.perInvocation),
    perRun: {
      initMs: pick((r) => r.initMs),
      firstMs: pick((r) => r.firstMs),
      p50: pick((r) => r.latencyMs.p50),
      p90: pick((r) => r.latencyMs.p90),
      p99: pick((r) => r.latencyMs.p99),
      dynaliteP50: pick((r) => r.dynaliteMs.p50),
      cpuPerInvocationMs: pick((r) => r.cpu.perInvocationMs),
      peakRssKiB: pick((r) => r.rss.peakKiB),
      rssGrowthKiBPer1000: pick((r) => r.rss.growthKiBPer1000),
    },
  };
}

function budgetChecks(rust, artifact) {
  if (!rust) return [];
  const b = BUDGETS;
  return [
    ['init', rust.initMs, `<= ${b.initMs} ms`, rust.initMs <= b.initMs],
    ['first invocation', rust.firstMs, `<= ${b.firstMs} ms`, rust.firstMs <= b.firstMs],
    ['p50 - dynalite p50', rust.p50OverDynaliteMs, `<= ${b.p50OverDynaliteMs} ms`, rust.p50OverDynaliteMs <= b.p50OverDynaliteMs],
    ['CPU per invocation', rust.cpuPerInvocationMs, `<= ${b.cpuPerInvocationMs} ms`, rust.cpuPerInvocationMs <= b.cpuPerInvocationMs],
    ['peak RSS', rust.peakRssKiB / 1024, `<= ${b.peakRssMiB} MiB`, rust.peakRssKiB <= b.peakRssMiB * 1024],
    ['zipped artifact', artifact.zipBytes / 1e6, `<= ${b.zipBytes / 1e6} MB`, artifact.zipBytes <= b.zipBytes],
    ['DynamoDB requests per invocation', rust.requestsPerInvocation, `= ${b.requestsPerInvocation}`, rust.requestsPerInvocation === b.requestsPerInvocation],
    ['DynamoDB requests at init', rust.requestsAtInit, `= ${b.requestsAtInit}`, rust.requestsAtInit === b.requestsAtInit],
  ].map(([name, value, budget, ok]) => ({ name, value, budget, ok }));
}

function table(rows) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  const line = (r) => '| ' + r.map((cell, c) => String(cell).padEnd(widths[c])).join(' | ') + ' |';
  return [line(rows[0]), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...rows.slice(1).map(line)].join('\n');
}

function render(report) {
  const { rust, python } = report.summary;
  const a = report.artifact;
  const runsOf = (s, key, fmt) => (s ? s.perRun[key].map(fmt).join(' / ') : '');
  const ratio = (p, r) => (p != null && r ? `${(p / r).toFixed(p / r < 10 ? 1 : 0)}x` : '');
  const rows = [['metric', 'Rust (median)', 'Rust runs', 'budget', 'Python (median)', 'Python/Rust']];
  const check = Object.fromEntries(report.budgets.map((c) => [c.name, c]));
  const mark = (name) => (check[name] ? `${check[name].budget} ${check[name].ok ? 'MET' : 'MISSED'}` : '');
  const add = (name, r, runs, budgetName, p, withRatio) =>
    rows.push([name, r, runs, mark(budgetName), p, withRatio || '']);
  add('init (spawn -> first /next), ms', ms(rust?.initMs), runsOf(rust, 'initMs', ms), 'init', ms(python?.initMs), ratio(python?.initMs, rust?.initMs));
  add('first invocation, ms', ms(rust?.firstMs), runsOf(rust, 'firstMs', ms), 'first invocation', ms(python?.firstMs), ratio(python?.firstMs, rust?.firstMs));
  add('latency p50, ms', ms(rust?.p50), runsOf(rust, 'p50', ms), '', ms(python?.p50), ratio(python?.p50, rust?.p50));
  add('latency p90, ms', ms(rust?.p90), runsOf(rust, 'p90', ms), '', ms(python?.p90), '');
  add('latency p99, ms', ms(rust?.p99), runsOf(rust, 'p99', ms), '', ms(python?.p99), '');
  add('dynalite UpdateItem p50 (warm client), ms', ms(rust?.dynaliteP50), runsOf(rust, 'dynaliteP50', ms), '', ms(python?.dynaliteP50), '');
  add('p50 - dynalite p50, ms', ms(rust?.p50OverDynaliteMs), '', 'p50 - dynalite p50', ms(python?.p50OverDynaliteMs), '');
  add('CPU per warm invocation (user+sys), ms', rust ? rust.cpuPerInvocationMs.toFixed(3) : '', runsOf(rust, 'cpuPerInvocationMs', (x) => x.toFixed(3)), 'CPU per invocation', python ? python.cpuPerInvocationMs.toFixed(3) : '', ratio(python?.cpuPerInvocationMs, rust?.cpuPerInvocationMs));
  add('CPU at init, ms', ms(rust?.cpuInitMs), '', '', ms(python?.cpuInitMs), ratio(python?.cpuInitMs, rust?.cpuInitMs));
  add('CPU of the first invocation, ms', ms(rust?.cpuFirstMs), '', '', ms(python?.cpuFirstMs), '');
  add('peak RSS, MiB', mib(rust?.peakRssKiB), runsOf(rust, 'peakRssKiB', mib), 'peak RSS', mib(python?.peakRssKiB), ratio(python?.peakRssKiB, rust?.peakRssKiB));
  const kib = (x) => (x == null ? 'n/a' : x.toFixed(0));
  add('RSS growth per 1000 invocations (2nd half), KiB', kib(rust?.rssGrowthKiBPer1000), runsOf(rust, 'rssGrowthKiBPer1000', kib), '', kib(python?.rssGrowthKiBPer1000), '');
  add('DynamoDB requests at init', rust?.requestsAtInit ?? '', '', 'DynamoDB requests at init', python?.requestsAtInit ?? '', '');
  add('DynamoDB requests per invocation', rust?.requestsPerInvocation ?? '', '', 'DynamoDB requests per invocation', python?.requestsPerInvocation ?? '', '');
  if (report.floors.length) {
    rows.push(['emulator floor: init of the stub, ms', ms(median(report.floors)), report.floors.map(ms).join(' / '), '', '', '']);
  }
  const floor = report.summary.floor;
  if (floor) {
    rows.push(['I/O floor: CPU per invocation of the stub, ms', floor.cpuPerInvocationMs.toFixed(3), runsOf(floor, 'cpuPerInvocationMs', (x) => x.toFixed(3)), '', '', '']);
    rows.push(['I/O floor: latency p50 of the stub, ms', ms(floor.p50), runsOf(floor, 'p50', ms), '', '', '']);
  }
  if (a) {
    add('binary size, bytes', a.bytes, '', '', '', '');
    add('zipped artifact, bytes', a.zipBytes, '', 'zipped artifact', '', '');
  }
  const m = report.machine;
  const lines = [
    '',
    table(rows),
    '',
    `n = ${report.n} invocations per run (percentiles and CPU over the ${report.n - 1} warm ones), ${report.runs} runs, medians shown.`,
    `machine: ${m.cpu}, ${m.cores} cores, ${m.memGiB} GiB, Linux ${m.kernel}, Node ${m.node}, load at start ${m.loadavgAtStart.join(' ')}`,
  ];
  if (report.fixedTraceId) lines.push('EXPERIMENT: one Lambda-Runtime-Trace-Id for every invocation (Lambda sends a new one each time)');
  if (a) {
    lines.push(`rust bootstrap: ${a.path} (${a.bytes} bytes, sha256 ${a.sha256.slice(0, 12)}, built ${a.mtime}, max GLIBC_${a.maxGlibc}); zipped by ${a.zipMethod}`);
  }
  if (report.budgets.length) {
    const missed = report.budgets.filter((c) => !c.ok).map((c) => c.name);
    lines.push(missed.length ? `budgets MISSED: ${missed.join(', ')}` : 'every budget met');
  }
  return lines.join('\n');
}

// ---- ours, the obvious Rust, Python ---------------------------------------------------------

// bench/instructions.js on one Rust build: user-space instructions under callgrind, which do not
// move with the machine's load.
function instructionCounts(impl, bootstrap) {
  process.stderr.write(`bench: counting ${impl}'s instructions under callgrind\n`);
  const out = execFileSync(
    process.execPath,
    [path.join(__dirname, 'instructions.js'), '--rust', bootstrap, '--endpoint-env', ENDPOINT_ENV[impl]],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return JSON.parse(out);
}

function renderThreeWays(report) {
  const { summary, instructions } = report;
  if (!summary.rust || !summary.obvious) return '';
  const na = (fmt) => (x) => (x == null ? 'n/a' : fmt(x));
  const k = na((x) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)} M` : `${(x / 1e3).toFixed(0)} k`));
  const ratio = (x, ours) => (x != null && ours ? `${(x / ours).toFixed(x / ours < 10 ? 1 : 0)}x` : '');
  const rows = [['', 'ours', 'the obvious Rust', 'Python + boto3', 'obvious / ours', 'Python / ours']];
  // One row: a figure of each implementation (undefined where it has none), ours the base of the ratios.
  const add = (name, figure, fmt, withRatios = true) => {
    const [r, o, p] = ['rust', 'obvious', 'python'].map((impl) => figure(impl) ?? null);
    rows.push([name, fmt(r), fmt(o), fmt(p), withRatios ? ratio(o, r) : '', withRatios ? ratio(p, r) : '']);
  };
  const median = (key) => (impl) => summary[impl]?.[key];
  if (instructions) {
    const ins = (impl) => instructions[impl];
    add('instructions, init + first invocation (callgrind)', (impl) => ins(impl) && ins(impl).initInstructions + ins(impl).firstInvocationInstructions, k);
    add('instructions per warm invocation (callgrind)', (impl) => ins(impl)?.instructionsPerWarmInvocation, k);
  }
  add('init (spawn -> first /next), ms', median('initMs'), ms);
  add('first invocation, ms', median('firstMs'), ms);
  add('latency p50, ms', median('p50'), ms);
  add('CPU at init, ms', median('cpuInitMs'), ms);
  add('CPU per warm invocation, ms', median('cpuPerInvocationMs'), na((x) => x.toFixed(3)));
  add('peak RSS, MiB', median('peakRssKiB'), mib);
  add('DynamoDB requests at init', median('requestsAtInit'), na(String), false);
  add('DynamoDB requests per invocation', median('requestsPerInvocation'), na(String), false);
  const artifacts = { rust: report.artifact, obvious: report.obviousArtifact };
  add('binary, MB', (impl) => artifacts[impl]?.bytes, na((x) => (x / 1e6).toFixed(1)));
  const o = report.obviousArtifact;
  return [
    '',
    'ours, the obvious Rust (bench/obvious/) and Python + boto3, medians of the same runs:',
    table(rows),
    `obvious bootstrap: ${o.path} (${o.bytes} bytes, sha256 ${o.sha256.slice(0, 12)}, built ${o.mtime}, max GLIBC_${o.maxGlibc})`,
  ].join('\n');
}

// ---- main ----------------------------------------------------------------------------------

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const event = JSON.parse(fs.readFileSync(EVENT_FILE, 'utf8'));
  const bootstraps = { rust: args.rust, obvious: args.obvious, python: args.python, floor: args.floor };
  // The I/O floor runs like a third implementation; it has no budgets and no Python ratio.
  const impls = args.floor ? [...args.impl, 'floor'] : args.impl;
  if (args.coldOnly) return coldOnly(args, event);
  for (const impl of impls) {
    fs.accessSync(bootstraps[impl], fs.constants.X_OK);
  }
  const rustBuilds = args.impl.filter((impl) => impl === 'rust' || impl === 'obvious');
  const report = {
    startedAt: new Date().toISOString(),
    n: args.n,
    runs: args.runs,
    extraEnv: args.env,
    fixedTraceId: args.fixedTraceId,
    machine: machineFacts(),
    budgets: [],
    artifact: args.impl.includes('rust') ? artifactFacts(args.rust) : null,
    obviousArtifact: args.impl.includes('obvious') ? artifactFacts(args.obvious) : null,
    instructions: null,
    summary: {},
    floors: [],
    results: [],
  };
  for (let run = 1; run <= args.runs; run++) {
    if (args.stub) {
      const floor = await emulatorFloor(args.stub);
      report.floors.push(floor);
      process.stderr.write(`bench: run ${run}/${args.runs} emulator floor (stub, median of ${STUB_SPAWNS} spawns): ${ms(floor)} ms\n`);
    }
    for (const impl of impls) {
      const started = performance.now();
      const result = await runOne(impl, bootstraps[impl], args.n, event, args.env, args.fixedTraceId);
      result.run = run;
      report.results.push(result);
      const bad = [];
      if (result.failures) bad.push(`${result.failures} failed invocations`);
      if (result.finalCount !== result.expectedFinalCount) bad.push(`final count ${result.finalCount}, expected ${result.expectedFinalCount}`);
      process.stderr.write(
        `bench: run ${run}/${args.runs} ${impl}: init ${ms(result.initMs)} ms, first ${ms(result.firstMs)} ms, ` +
          `p50 ${ms(result.latencyMs.p50)} ms (dynalite ${ms(result.dynaliteMs.p50)}), ` +
          `CPU ${result.cpu.perInvocationMs.toFixed(3)} ms/inv, peak RSS ${mib(result.rss.peakKiB)} MiB, ` +
          `DynamoDB ${result.dynamodb.atInit} at init, ${result.dynamodb.perInvocation}/inv ` +
          `(${((performance.now() - started) / 1000).toFixed(1)} s)${bad.length ? ` INVALID: ${bad.join('; ')}` : ''}\n`,
      );
      if (bad.length) throw new Error(`${impl} run ${run} is not valid: ${bad.join('; ')}`);
    }
  }
  for (const impl of impls) report.summary[impl] = summarize(report.results, impl);
  if (args.instructions && rustBuilds.length) {
    report.instructions = Object.fromEntries(rustBuilds.map((impl) => [impl, instructionCounts(impl, bootstraps[impl])]));
  }
  report.budgets = budgetChecks(report.summary.rust, report.artifact);
  if (args.rehearsal) {
    report.coldVisits = await coldVisits({ rust: args.rust, rehearsal: args.rehearsal, event, spawns: args.coldSpawns, instructions: hasValgrind() });
    report.budgets.push(...report.coldVisits.budgets);
  }

  const out = args.out || path.join(ROOT, 'bench/results', `bench-${report.startedAt.replace(/[:.]/g, '-')}.json`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(report, null, 2) + '\n');
  process.stdout.write(render(report) + '\n');
  process.stdout.write(renderThreeWays(report) + '\n');
  if (report.coldVisits) process.stdout.write(renderColdVisits(report.coldVisits, table) + '\n');
  process.stdout.write(`JSON: ${path.relative(process.cwd(), out)}\n`);
  if (args.check && report.budgets.some((c) => !c.ok)) process.exitCode = 1;
}

function hasValgrind() {
  try {
    execFileSync('valgrind', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// `--cold-only`: the cold-visit rows alone, for working on start-up.
async function coldOnly(args, event) {
  const report = {
    startedAt: new Date().toISOString(),
    machine: machineFacts(),
    coldVisits: await coldVisits({ rust: args.rust, rehearsal: args.rehearsal, event, spawns: args.coldSpawns, instructions: hasValgrind() }),
  };
  const out = args.out || path.join(ROOT, 'bench/results', `cold-${report.startedAt.replace(/[:.]/g, '-')}.json`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(report, null, 2) + '\n');
  process.stdout.write(renderColdVisits(report.coldVisits, table) + '\n');
  process.stdout.write(`JSON: ${path.relative(process.cwd(), out)}\n`);
  if (args.check && report.coldVisits.budgets.some((c) => !c.ok)) process.exitCode = 1;
}

main().catch((err) => {
  process.stderr.write(`bench: ${err.stack || err.message}\n`);
  process.exitCode = 2;
});
