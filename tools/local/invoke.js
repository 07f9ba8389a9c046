'use strict';
// Invokes a bootstrap with event files, as `sam local invoke` would without Docker: a fresh
// dynalite with the counter table, the binary under the Runtime API emulator, one invocation
// per file in order, in one sandbox. Prints one JSON object on stdout:
//   { "results": [{ "payload": ... } | { "error": ... }, ...], "logs": [{ "stream", "line" }, ...] }
// and exits 1, with the reason on stderr, if the function cannot start.
//
//   node tools/local/invoke.js events/get-counter.json events/crawler-get.json
//
// Environment:
//   BOOTSTRAP   the binary (target/debug/bootstrap)
//   COUNTER_ALLOWED_PATHS, COUNTER_COUNT_CRAWLERS, RUST_LOG, AWS_LAMBDA_LOG_LEVEL
//               passed to the function; DYNAMODB_TABLE and DYNAMODB_ENDPOINT point at dynalite

const fs = require('node:fs');
const path = require('node:path');
const { startDynalite } = require('./dynalite');
const { startRuntimeApi } = require('./runtime-api');

const root = path.resolve(__dirname, '../..');
const TABLE = 'CloudResumeCounterHits';
const PASSED_ON = ['COUNTER_ALLOWED_PATHS', 'COUNTER_COUNT_CRAWLERS', 'RUST_LOG', 'AWS_LAMBDA_LOG_LEVEL'];

async function main(files) {
  if (files.length === 0) throw new Error('usage: invoke.js EVENT.json...');
  const events = files.map((file) => JSON.parse(fs.readFileSync(file, 'utf8')));
  const bootstrap = path.resolve(root, process.env.BOOTSTRAP || 'target/debug/bootstrap');
  const env = {};
  for (const name of PASSED_ON) if (process.env[name] !== undefined) env[name] = process.env[name];

  const db = await startDynalite({ table: TABLE });
  const rt = await startRuntimeApi({ bootstrap, env: { ...env, DYNAMODB_TABLE: TABLE, DYNAMODB_ENDPOINT: db.endpoint } });
  try {
    await rt.ready();
    const results = [];
    for (const event of events) {
      const { payload, error } = await rt.invoke(event);
      results.push(error ? { error } : { payload });
    }
    const logs = rt.logs.map(({ stream, line }) => ({ stream, line }));
    process.stdout.write(JSON.stringify({ results, logs }) + '\n');
  } finally {
    await rt.close();
    await db.close();
  }
}

main(process.argv.slice(2)).catch((err) => {
  process.stderr.write(`invoke.js: ${err.message}\n`);
  process.exit(1);
});
