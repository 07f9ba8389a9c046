'use strict';
// What `make dev` (dev.js) and `make invoke` (invoke.js) share: their settings from the
// environment, the function's environment, and the data folder's lock, which also tells
// `make invoke` where a running `make dev` serves that data.

const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '../..');

// The settings passed to the function when set here, as the template sets them on AWS: the
// function's Environment Variables in template.yaml (but the table and endpoint, which these
// tools choose), and the log level Lambda derives from its LoggingConfig.
function functionSettings(template = fs.readFileSync(path.join(ROOT, 'template.yaml'), 'utf8')) {
  const block = template.match(/\n( +)Environment:\n\1  Variables:\n((?:\1    .*\n)+)/);
  if (!block) throw new Error('template.yaml: no Environment: Variables: block');
  const names = [...block[2].matchAll(/^ +([A-Z][A-Z0-9_]*):/gm)].map((m) => m[1]);
  return [...names.filter((name) => !['DYNAMODB_TABLE', 'DYNAMODB_ENDPOINT'].includes(name)), 'AWS_LAMBDA_LOG_LEVEL'];
}
const FUNCTION_SETTINGS = functionSettings();

function settingsFrom(env) {
  return {
    bootstrap: path.resolve(ROOT, env.BOOTSTRAP || 'target/debug/bootstrap'),
    dataDir: path.resolve(ROOT, env.DEV_DATA_DIR || '.local/dynalite'),
    dynamoPort: Number(env.DYNAMODB_PORT || 0),
    table: env.DYNAMODB_TABLE || 'CloudResumeCounterHits',
  };
}

// The function's environment beside the Lambda variables the emulator sets.
function functionEnv(env, { table, endpoint }) {
  const passed = FUNCTION_SETTINGS.filter((name) => name in env).map((name) => [name, env[name]]);
  return { DYNAMODB_TABLE: table, DYNAMODB_ENDPOINT: endpoint, ...Object.fromEntries(passed) };
}

const shown = (p) => (p.startsWith(ROOT + path.sep) ? path.relative(ROOT, p) : p);

// The lock beside the data folder: {"pid": N, "endpoint": URL once dynalite serves}.
const lockFile = (dir) => `${dir}.dev-pid`;

function readLock(dir) {
  let text;
  try {
    text = fs.readFileSync(lockFile(dir), 'utf8');
  } catch (err) {
    if (err.code === 'ENOENT') return null;
    throw err;
  }
  let lock;
  try {
    lock = JSON.parse(text);
  } catch {
    return null; // a lock cut short by a crash: nobody holds it
  }
  if (typeof lock === 'number') lock = { pid: lock }; // the format before the endpoint was kept
  try {
    process.kill(lock.pid, 0); // throws if no such process
  } catch (err) {
    if (err.code === 'ESRCH') return null;
    throw err;
  }
  return lock;
}

// The endpoint of the dynalite a live `make dev` serves `dir` with, or null.
function servingEndpoint(dir) {
  const lock = readLock(dir);
  return lock && lock.pid !== process.pid ? lock.endpoint || null : null;
}

// One user per data folder: leveldb allows one, and dynalite would only crash later.
// Returns { publish(endpoint), release() }.
function claimDataDir(dir) {
  const lock = readLock(dir);
  if (lock && lock.pid !== process.pid) {
    throw new Error(`another \`make dev\` or \`make invoke\` (pid ${lock.pid}) is using ${shown(dir)}; stop it or set DEV_DATA_DIR`);
  }
  const write = (fields) => fs.writeFileSync(lockFile(dir), JSON.stringify({ pid: process.pid, ...fields }));
  fs.mkdirSync(dir, { recursive: true });
  write({});
  return {
    publish: (endpoint) => write({ endpoint }),
    release: async () => fs.rmSync(lockFile(dir), { force: true }),
  };
}

module.exports = { ROOT, functionSettings, settingsFrom, functionEnv, shown, servingEndpoint, claimDataDir };
