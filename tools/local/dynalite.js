'use strict';
// dynalite on loopback, with our counter table: the one way every test tool, the benchmark
// and `make dev` get a local DynamoDB.
//
// As a module: `const db = await startDynalite({ table, path })` → { endpoint, port, call(),
// retries(), updates(), writesTo(page), close() }.
// As a command: `node tools/local/dynalite.js [--table NAME] [--path DIR] [--port N]`
// prints one JSON line {"endpoint": "...", "port": N} once the table is ACTIVE, then serves
// until SIGINT/SIGTERM, or, when its standard input is a pipe, until that pipe closes (so a
// test process that dies, taking the pipe with it, never leaves a dynalite behind). From a
// terminal or a script, with or without `&`, it just serves. On that pipe, each line
// `table NAME` creates another counter table and is answered {"table": NAME} once it is ACTIVE
// (or {"error": "..."}): how the Rust tests get a table of their own with this one schema.

const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

function loadDynalite() {
  try {
    return require('dynalite');
  } catch (err) {
    const root = path.resolve(__dirname, '../..');
    throw new Error(
      `dynalite is not installed (${err.code}). Run \`make setup\` (or \`npm ci\`) in ${root}.`,
    );
  }
}

// dynalite checks that a request is signed in the right shape, not that the signature is right.
const FAKE_AUTH =
  'AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, ' +
  'SignedHeaders=host;x-amz-date, Signature=0000';

// One DynamoDB API call to the dynalite on `port`. `agent` and extra `headers` let a caller
// keep a warm connection or name itself (the benchmark does both).
function dynamoCall(port, target, body, { agent, headers = {} } = {}) {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/',
        agent,
        headers: {
          'Content-Type': 'application/x-amz-json-1.0',
          'X-Amz-Target': `DynamoDB_20120810.${target}`,
          'X-Amz-Date': '20260101T000000Z',
          Authorization: FAKE_AUTH,
          'Content-Length': Buffer.byteLength(payload),
          ...headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode, body: text ? JSON.parse(text) : {} }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

// Creates the counter table (key `path`, a string) unless it is already there.
async function ensureTable(port, table) {
  const created = await dynamoCall(port, 'CreateTable', {
    TableName: table,
    AttributeDefinitions: [{ AttributeName: 'path', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'path', KeyType: 'HASH' }],
    BillingMode: 'PAY_PER_REQUEST',
  });
  const exists = String(created.body.__type || '').endsWith('ResourceInUseException');
  if (created.status !== 200 && !exists) {
    throw new Error(`CreateTable ${table} failed: ${created.status} ${JSON.stringify(created.body)}`);
  }
  for (let i = 0; i < 200; i++) {
    const described = await dynamoCall(port, 'DescribeTable', { TableName: table });
    if (described.body.Table && described.body.Table.TableStatus === 'ACTIVE') return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`table ${table} did not become ACTIVE`);
}

async function startDynalite({ table, path: dataDir, port = 0 } = {}) {
  const dynalite = loadDynalite();
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, path: dataDir });
  // Node closes idle keep-alive connections after 5 s; DynamoDB keeps them far longer. A
  // client reusing a connection Node has just closed sees it die mid-request, so under load
  // the emulator would fail requests that DynamoDB would not.
  server.keepAliveTimeout = 60_000;
  server.headersTimeout = 65_000;
  // The SDK numbers its attempts (`amz-sdk-request: attempt=N; max=M`): one numbered past 1 is
  // a retry, which the benchmark's instruction counts must not include. Every UpdateItem that
  // arrives is applied: the tests compare a count with these, not with the requests they sent,
  // since a retry after an attempt timed out on a busy machine counts again. writesTo(page)
  // says, for one page, how many were applied, and `asked`: the hits the function was asked to
  // count there, exact whatever the machine does. The SDK names each call it makes
  // (`amz-sdk-invocation-id`, the same on every attempt of it), so `asked` counts the calls with
  // a write applied; a write without that name (a test's own) is one of its own. Applied minus
  // retries would miss a call whose first attempt never reached dynalite (a connection that
  // failed, or an attempt that ran out before it was sent).
  let retries = 0;
  let updates = 0;
  const written = new Map(); // page → { applied, calls }: the UpdateItem calls applied to it
  server.on('request', (req, res) => {
    const attempt = /attempt=(\d+)/.exec(req.headers['amz-sdk-request'] || '');
    if (attempt && Number(attempt[1]) > 1) retries++;
    if (req.headers['x-amz-target'] !== 'DynamoDB_20120810.UpdateItem') return;
    updates++;
    const call = req.headers['amz-sdk-invocation-id'] ?? Symbol('a write of its own');
    let body = '';
    req.on('data', (chunk) => (body += chunk)); // beside dynalite's own reader, which sees the same chunks
    // Counted when dynalite answers, not when the answer arrives: an attempt the SDK gave up on
    // (its connection gone) was still written.
    const end = res.end;
    res.end = function answered(...args) {
      if (res.statusCode === 200) {
        const page = JSON.parse(body).Key.path.S;
        if (!written.has(page)) written.set(page, { applied: 0, calls: new Set() });
        const record = written.get(page);
        record.applied++;
        record.calls.add(call);
      }
      return end.apply(this, args);
    };
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const actualPort = server.address().port;
  if (table) await ensureTable(actualPort, table);
  return {
    port: actualPort,
    endpoint: `http://127.0.0.1:${actualPort}`,
    call: (target, body) => dynamoCall(actualPort, target, body),
    retries: () => retries,
    updates: () => updates,
    writesTo: (page) => {
      const { applied = 0, calls = new Set() } = written.get(page) ?? {};
      return { applied, asked: calls.size };
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function parseArgs(argv) {
  const args = {};
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    if (!['table', 'path', 'port'].includes(key) || argv[i + 1] === undefined) {
      throw new Error(`usage: dynalite.js [--table NAME] [--path DIR] [--port N] (got ${argv[i]})`);
    }
    args[key] = key === 'port' ? Number(argv[i + 1]) : argv[i + 1];
  }
  return args;
}

async function main() {
  const db = await startDynalite(parseArgs(process.argv.slice(2)));
  process.stdout.write(JSON.stringify({ endpoint: db.endpoint, port: db.port }) + '\n');
  const stop = () => db.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // Reading a terminal from the background stops the process (SIGTTIN), and a script's `&`
  // hands it /dev/null, which ends at once: only a pipe says when the caller has gone.
  const stdin = fs.fstatSync(0);
  if (stdin.isFIFO() || stdin.isSocket()) {
    process.stdin.on('end', stop);
    process.stdin.on('error', stop);
    let pending = '';
    process.stdin.setEncoding('utf8').on('data', (chunk) => {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop();
      for (const line of lines) {
        const table = line.match(/^table (\S+)$/)?.[1];
        const answer = (fields) => process.stdout.write(JSON.stringify(fields) + '\n');
        if (!table) answer({ error: `unknown command: ${line}` });
        else ensureTable(db.port, table).then(() => answer({ table }), (err) => answer({ error: err.message }));
      }
    });
  }
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`dynalite.js: ${err.message}\n`);
    process.exit(1);
  });
}

module.exports = { startDynalite, dynamoCall };
