'use strict';
// `make invoke EVENT=events/get-counter.json`: one event through the function, as
// `sam local invoke -e` does, without Docker. The bootstrap runs once under the Runtime API
// emulator against the dynalite of `make dev`: the one a running `make dev` serves, else one
// started here on the same data (.local/dynalite) and stopped after.
//
//   node tools/local/invoke.js FILE      (FILE `-`: the event from standard input)
//
// Prints the proxy result the function returned (statusCode, headers, body) as JSON on
// stdout, and the function's own log lines on stderr. Exit status: 0 when the function
// answered (whatever the HTTP status), 1 when it failed (an invocation or init error),
// 2 when there is no event to send (no argument, no such file, not JSON).
// Environment: BOOTSTRAP, DEV_DATA_DIR, DYNAMODB_TABLE and the function's settings, as in dev.js.

const fs = require('node:fs');
const { startDynalite } = require('./dynalite');
const { startRuntimeApi } = require('./runtime-api');
const { settingsFrom, functionEnv, shown, servingEndpoint, claimDataDir } = require('./settings');

const USAGE = 'usage: make invoke EVENT=events/get-counter.json (EVENT=- reads the event from standard input)';

class NoEvent extends Error {}

function readEvent(file) {
  if (!file) throw new NoEvent(USAGE);
  const name = file === '-' ? 'standard input' : file;
  let text;
  try {
    text = fs.readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'a directory, not a file' : err.message;
    throw new NoEvent(`cannot read the event from ${name}: ${why}\n${USAGE}`);
  }
  if (!text.trim()) throw new NoEvent(`${name} is empty: an event is one JSON document, like the files in events/`);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new NoEvent(`${name} is not JSON (${err.message}): an event is one JSON document, like the files in events/`);
  }
}

// The dynalite to count in: make dev's, or our own on its data. Returns { endpoint, close() }.
async function localDynamo({ dataDir, table }) {
  const endpoint = servingEndpoint(dataDir);
  if (endpoint) return { endpoint, close: async () => {}, whose: 'the running `make dev`' };
  const lock = claimDataDir(dataDir);
  try {
    const db = await startDynalite({ table, path: dataDir });
    return {
      endpoint: db.endpoint,
      close: () => db.close().finally(lock.release),
      whose: `started for this invocation, data in ${shown(dataDir)}`,
    };
  } catch (err) {
    await lock.release();
    throw err;
  }
}

async function invokeOnce(event, settings) {
  if (!fs.existsSync(settings.bootstrap)) {
    throw new Error(`${settings.bootstrap} does not exist; run \`make invoke\` (it builds it) or set BOOTSTRAP`);
  }
  const db = await localDynamo(settings);
  let rt = null;
  try {
    process.stderr.write(`invoke: dynalite on ${db.endpoint} (${db.whose})\n`);
    rt = await startRuntimeApi({
      bootstrap: settings.bootstrap,
      env: functionEnv(process.env, { table: settings.table, endpoint: db.endpoint }),
      onLog: ({ line }) => process.stderr.write(`${line}\n`),
    });
    try {
      await rt.ready();
    } catch (err) {
      return { error: err.message };
    }
    return await rt.invoke(event);
  } finally {
    await rt?.close(); // after the process has gone, every line it wrote has been printed
    await db.close();
  }
}

async function main() {
  const event = readEvent(process.argv[2]);
  const result = await invokeOnce(event, settingsFrom(process.env));
  if (result.payload !== undefined) {
    process.stdout.write(`${JSON.stringify(result.payload, null, 2)}\n`);
    return 0;
  }
  const error = typeof result.error === 'string' ? result.error : JSON.stringify(result.error, null, 2);
  process.stderr.write(`invoke: the function failed: ${error}\n`);
  return 1;
}

main().then(
  (code) => (process.exitCode = code),
  (err) => {
    process.stderr.write(`invoke: ${err.message}\n`);
    process.exitCode = err instanceof NoEvent ? 2 : 1;
  },
);
