'use strict';
// The cold visit: a new sandbox's init plus its first invocation, the wait of nearly every
// visitor to a resume site, over each way the function reaches DynamoDB:
//   http    the shipped bootstrap, dynalite on plain HTTP (every other row of the bench);
//   aws     AWS's path: bench/rehearse_aws_path.rs, the shipped code with the five embedded
//           Amazon roots plus a test root, through a TLS front (tools/local/tls-front.js)
//           whose chain is shaped like AWS's (RSA-2048 leaf, intermediate, root);
//   custom  the shipped bootstrap with DYNAMODB_ENDPOINT=https://... (the TLS front) and
//           SSL_CERT_FILE naming the test root: the system-roots path;
//   aws, pre-connected   the rehearsal making its connection at init (REHEARSAL_PRECONNECT).
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

// Wall time of init and of the first invocation, in `spawns` fresh sandboxes.
async function wallTimes({ bootstrap, env }, event, spawns, check) {
  const init = [];
  const first = [];
  for (let i = 0; i < spawns; i++) {
    const rt = await startRuntimeApi({ bootstrap, env, logLines: 10 });
    try {
      const sb = rt.sandbox;
      await rt.ready();
      const r = await rt.invoke(event);
      check(r);
      init.push(sb.readyAt - sb.spawnedAt);
      first.push(r.endedAt - r.startedAt);
    } finally {
      await rt.close();
    }
  }
  return { initMs: median(init), firstMs: median(first), initRuns: init, firstRuns: first };
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
      {
        name: 'awsPreconnect',
        label: 'HTTPS, AWS path, connected at init',
        bootstrap: rehearsal,
        env: { ...base, DYNAMODB_ENDPOINT: front.endpoint, REHEARSAL_ROOT: pki.root, REHEARSAL_PRECONNECT: '1' },
      },
    ];
    const rows = [];
    for (const s of scenarios) {
      const check = counted(s.name);
      const wall = await wallTimes(s, event, spawns, check);
      const row = { name: s.name, label: s.label, ...wall, instructions: null };
      if (instructions) row.instructions = await countInstructions({ bootstrap: s.bootstrap, env: s.env, event, check });
      rows.push(row);
      process.stderr.write(
        `bench: cold visit, ${s.label}: init ${wall.initMs.toFixed(2)} ms, first ${wall.firstMs.toFixed(2)} ms` +
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

const total = (row) => (row?.instructions ? row.instructions.init + row.instructions.first : null);

function budgetChecks(rows) {
  const by = Object.fromEntries(rows.map((r) => [r.name, r]));
  const aws = total(by.aws);
  const custom = total(by.custom);
  if (aws == null) return [];
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
  const lines = ['', table(rows), `wall times: medians of ${report.spawns} sandboxes each; instructions: callgrind, one sandbox each.`];
  if (!report.rows[0].instructions) lines.push('instructions: not counted (valgrind missing: apt-get install valgrind)');
  for (const c of report.budgets) lines.push(`budget ${c.name}: ${m(c.value)} ${c.budget} ${c.ok ? 'MET' : 'MISSED'}`);
  return lines.join('\n');
}

module.exports = { coldVisits, renderColdVisits };
