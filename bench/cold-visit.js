'use strict';
// The cold visit: a new sandbox's init plus its first invocation, the wait of nearly every
// visitor to a resume site, over each way the function reaches DynamoDB:
//   http    the shipped bootstrap, dynalite on plain HTTP (every other row of the bench);
//   aws     AWS's path: bench/rehearse/, the shipped code with the five embedded
//           Amazon roots plus a test root, through a TLS front (tools/local/tls-front.js)
//           whose chain is shaped like AWS's (RSA-2048 leaf, intermediate, root);
//   custom  the shipped bootstrap with DYNAMODB_ENDPOINT=https://... (the TLS front) and
//           SSL_CERT_FILE naming the test root: the system-roots path (its instructions are
//           counted with the rehearsal on that same path: see oneCleanCount);
//   custom with N system roots   the same, SSL_CERT_FILE the system's CA bundle plus the test
//           root: what a whole system store costs to load;
//   aws, connected at init   the rehearsal making its connection at init (REHEARSAL_PRECONNECT).
// Instructions with callgrind (bench/instructions.js), wall time as the median of `spawns`
// sandboxes without valgrind. Run by bench.js (`make bench`); budgets in BUDGETS.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startDynalite } = require('../tools/local/dynalite.js');
const { startRuntimeApi } = require('../tools/local/runtime-api.js');
const { makeTestPki, startTlsFront } = require('../tools/local/tls-front.js');
const { countInstructions } = require('./instructions.js');

const TABLE = 'BenchHits';
const BUDGETS = { awsInstructions: 5_500_000, customOverAws: 2_000_000 };

function median(values) {
  const v = [...values].sort((a, b) => a - b);
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

const counted = (label) => (r) => {
  if (!r.payload || r.payload.statusCode !== 200) throw new Error(`${label}: invocation failed: ${JSON.stringify(r)}`);
};

// One cold visit in a fresh sandbox: { initMs, firstMs }.
async function oneColdVisit({ bootstrap, env, check }, event) {
  const rt = await startRuntimeApi({ bootstrap, env, logLines: 10 });
  try {
    const sb = rt.sandbox;
    await rt.ready();
    const r = await rt.invoke(event);
    check(r);
    return { initMs: sb.readyAt - sb.spawnedAt, firstMs: r.endedAt - r.startedAt };
  } finally {
    await rt.close();
  }
}

// Wall times: one untimed visit per scenario (dynalite, the front and this process warm up on
// the first ones), then `spawns` rounds taking the scenarios in turn, so a busy moment of the
// machine falls on all of them alike. Medians per scenario.
async function wallTimes(scenarios, event, spawns) {
  for (const s of scenarios) await oneColdVisit(s, event);
  const runs = new Map(scenarios.map((s) => [s, []]));
  for (let i = 0; i < spawns; i++) for (const s of scenarios) runs.get(s).push(await oneColdVisit(s, event));
  return new Map(
    scenarios.map((s) => {
      const visits = runs.get(s);
      const init = visits.map((v) => v.initMs);
      const first = visits.map((v) => v.firstMs);
      return [s, { initMs: median(init), firstMs: median(first), initRuns: init, firstRuns: first }];
    }),
  );
}

async function coldVisits({ rust, rehearsal, event, spawns = 5, instructions = true }) {
  const db = await startDynalite({ table: TABLE });
  const pkiDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-pki-'));
  let front = null;
  try {
    const pki = makeTestPki(pkiDir);
    front = await startTlsFront({ to: db.port, pki });
    const base = { DYNAMODB_TABLE: TABLE };
    const scenarios = [
      { name: 'http', label: 'HTTP (dynalite)', bootstrap: rust, env: { ...base, DYNAMODB_ENDPOINT: db.endpoint } },
      {
        name: 'aws',
        label: 'HTTPS, AWS path (embedded roots + test root)',
        bootstrap: rehearsal,
        env: { ...base, DYNAMODB_ENDPOINT: front.endpoint, REHEARSAL_ROOT: pki.root },
      },
      {
        name: 'custom',
        label: 'HTTPS, custom endpoint (SSL_CERT_FILE)',
        bootstrap: rust,
        env: { ...base, DYNAMODB_ENDPOINT: front.endpoint, SSL_CERT_FILE: pki.root },
      },
      ...systemBundle(pkiDir, pki.root).map((bundle) => ({
        name: 'customBundle',
        label: `HTTPS, custom endpoint, ${bundle.roots} system roots + test root`,
        bootstrap: rust,
        env: { ...base, DYNAMODB_ENDPOINT: front.endpoint, SSL_CERT_FILE: bundle.file },
      })),
      {
        name: 'awsPreconnect',
        label: 'HTTPS, AWS path, connected at init',
        bootstrap: rehearsal,
        env: { ...base, DYNAMODB_ENDPOINT: front.endpoint, REHEARSAL_ROOT: pki.root, REHEARSAL_PRECONNECT: '1' },
      },
    ];
    for (const s of scenarios) {
      s.check = counted(s.name);
      // Counted by the rehearsal with long timeouts, over HTTPS (see oneCleanCount).
      const https = s.env.DYNAMODB_ENDPOINT === front.endpoint;
      s.counted = https ? { bootstrap: rehearsal, env: { ...s.env, REHEARSAL_UNDER_VALGRIND: '1' } } : s;
    }
    const walls = await wallTimes(scenarios, event, spawns);
    const rows = [];
    for (const s of scenarios) {
      const row = { name: s.name, label: s.label, ...walls.get(s), instructions: null, counted: instructions };
      if (instructions) row.instructions = await oneCleanCount(s, event, db, front);
      rows.push(row);
      process.stderr.write(
        `bench: cold visit, ${s.label}: init ${row.initMs.toFixed(2)} ms, first ${row.firstMs.toFixed(2)} ms` +
          (row.instructions ? `, ${row.instructions.init} + ${row.instructions.first} instructions` : '') +
          '\n',
      );
    }
    return { spawns, rows, budgets: budgetChecks(rows) };
  } finally {
    if (front) await front.close();
    await db.close();
    fs.rmSync(pkiDir, { recursive: true, force: true });
  }
}

// The system's CA bundle with the test root appended, as a custom endpoint's SSL_CERT_FILE: what
// loading a whole system store costs (none on this machine: no row).
const SYSTEM_BUNDLES = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt'];
function systemBundle(dir, root) {
  const found = SYSTEM_BUNDLES.find((f) => fs.existsSync(f));
  if (!found) return [];
  const pem = fs.readFileSync(found, 'utf8');
  const file = path.join(dir, 'system-bundle-and-test-root.pem');
  fs.writeFileSync(file, `${pem}\n${fs.readFileSync(root, 'utf8')}`);
  return [{ file, roots: (pem.match(/-----BEGIN CERTIFICATE-----/g) || []).length }];
}

// Under valgrind code runs some 50 times slower, and on a busy machine a first handshake or
// request can outlast the SDK's timeouts (connect 200 ms, attempt 500 ms): the attempt is
// dropped and the retry adds its work (a whole handshake: 2.7 M) to the count, or all three
// time out. So the HTTPS rows are counted with the rehearsal, which takes long timeouts there
// (REHEARSAL_UNDER_VALGRIND), the custom endpoints' without REHEARSAL_ROOT (the shipped path);
// and every count is checked: an answer of 200, no attempt numbered past 1 at dynalite, and for
// HTTPS one handshake at the front. A count that fails the check is taken again, at most
// MAX_COUNTS times, then left out (null).
const MAX_COUNTS = 6;
async function oneCleanCount(s, event, db, front) {
  const tls = s.env.DYNAMODB_ENDPOINT === front.endpoint;
  const { bootstrap, env } = s.counted;
  for (let attempt = 1; ; attempt++) {
    const before = { ...front.counts(), retries: db.retries() };
    let counts = null;
    let failure = null;
    try {
      counts = await countInstructions({ bootstrap, env, event, check: s.check });
    } catch (err) {
      failure = err.message.slice(0, 200);
    }
    const after = { ...front.counts(), retries: db.retries() };
    const oneHandshake = after.handshakes - before.handshakes === 1 && after.refused === before.refused;
    if (!failure && after.retries === before.retries && (!tls || oneHandshake)) return { ...counts, discarded: attempt - 1 };
    const why = failure || `retried: ${JSON.stringify({ before, after })}`;
    process.stderr.write(`bench: cold visit, ${s.label}: a count under valgrind did not run clean (${why}); counting again\n`);
    if (attempt === MAX_COUNTS) return null; // the row says so; a quieter machine will do

  }
}

const total = (row) => (row?.instructions ? row.instructions.init + row.instructions.first : null);

function budgetChecks(rows) {
  const by = Object.fromEntries(rows.map((r) => [r.name, r]));
  const aws = total(by.aws);
  const custom = total(by.custom);
  if (aws == null || custom == null) return [];
  return [
    { name: 'AWS path cold visit', value: aws, budget: `<= ${BUDGETS.awsInstructions / 1e6} M`, ok: aws <= BUDGETS.awsInstructions },
    {
      name: 'custom endpoint over the AWS path',
      value: custom - aws,
      budget: `<= ${BUDGETS.customOverAws / 1e6} M`,
      ok: custom - aws <= BUDGETS.customOverAws,
    },
  ];
}

function renderColdVisits(report, table) {
  const m = (x) => (x == null ? 'n/a' : `${(x / 1e6).toFixed(2)} M`);
  const ms = (x) => x.toFixed(2);
  const rows = [['cold visit', 'init, instr', 'first, instr', 'init + first, instr', 'init, ms', 'first, ms', 'init + first, ms']];
  for (const r of report.rows) {
    rows.push([r.label, m(r.instructions?.init), m(r.instructions?.first), m(total(r)), ms(r.initMs), ms(r.firstMs), ms(r.initMs + r.firstMs)]);
  }
  const lines = ['', table(rows), `wall times: medians of ${report.spawns} sandboxes each; instructions: callgrind, one clean sandbox each (no retry).`];
  if (!report.rows[0].counted) lines.push('instructions: not counted (valgrind missing: apt-get install valgrind)');
  const unclean = report.rows.filter((r) => r.counted && !r.instructions).map((r) => r.label);
  if (unclean.length) {
    lines.push(`instructions: no clean count in ${MAX_COUNTS} tries (timeouts under valgrind on a busy machine) for: ${unclean.join('; ')}`);
  }
  if (report.rows[0].counted && !report.budgets.length) lines.push('budgets: not judged without both HTTPS counts');
  for (const c of report.budgets) lines.push(`budget ${c.name}: ${m(c.value)} ${c.budget} ${c.ok ? 'MET' : 'MISSED'}`);
  return lines.join('\n');
}

module.exports = { coldVisits, renderColdVisits };
