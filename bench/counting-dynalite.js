'use strict';
// dynalite (through tools/local/dynalite.js, with its table) in a process of its own, counting
// every request it serves by X-Amz-Target and by client. Counting happens inside dynalite's own
// HTTP server, so the function under test talks to dynalite directly: no proxy hop is added to
// the latency being measured.
//
//   node bench/counting-dynalite.js --table NAME
//   stdout, first line: {"endpoint": "http://127.0.0.1:PORT", "port": PORT}
//   stdin "counts\n" -> stdout one line {"<client> <Target>": n, ...}
//   stdin closed     -> exits
//
// <client> is "sdk" for the functions' SDK clients (aws-sdk-rust, boto3/botocore), "baseline"
// for bench.js's own warm client (user-agent: bench-baseline), "other" for anything else (the
// table set-up).

const path = require('node:path');
const readline = require('node:readline');

const toolsDir = path.resolve(__dirname, '../tools/local');
const dynalitePath = require.resolve('dynalite', { paths: [toolsDir] });
const dynalite = require(dynalitePath);
const counts = {};

function clientOf(req) {
  const ua = `${req.headers['user-agent'] || ''} ${req.headers['x-amz-user-agent'] || ''}`;
  if (ua.includes('bench-baseline')) return 'baseline';
  if (/aws-sdk-rust|Boto3|Botocore/i.test(ua)) return 'sdk';
  return 'other';
}

// tools/local/dynalite.js does require('dynalite'): hand it a wrapper that counts.
require.cache[dynalitePath].exports = function countingDynalite(options) {
  const server = dynalite(options);
  server.prependListener('request', (req) => {
    const target = String(req.headers['x-amz-target'] || `${req.method} ${req.url}`).replace(/^DynamoDB_\d+\./, '');
    const key = `${clientOf(req)} ${target}`;
    counts[key] = (counts[key] || 0) + 1;
  });
  return server;
};

const { startDynalite } = require(path.join(toolsDir, 'dynalite.js'));

async function main() {
  const args = process.argv.slice(2);
  const table = args[args.indexOf('--table') + 1];
  if (args.indexOf('--table') < 0 || !table) throw new Error('usage: counting-dynalite.js --table NAME');
  const db = await startDynalite({ table });
  process.stdout.write(JSON.stringify({ endpoint: db.endpoint, port: db.port }) + '\n');
  const lines = readline.createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    if (line.trim() === 'counts') process.stdout.write(JSON.stringify(counts) + '\n');
  });
  lines.on('close', () => db.close().then(() => process.exit(0)));
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => db.close().then(() => process.exit(0)));
}

main().catch((err) => {
  process.stderr.write(`counting-dynalite.js: ${err.stack || err.message}\n`);
  process.exit(1);
});
