'use strict';
// `make dev`: the counter on http://127.0.0.1:3000/counter?path=/ with no Docker and no AWS.
// dynalite (data kept in .local/dynalite) + the bootstrap under the Runtime API emulator +
// the HTTP API stand-in, and examples/ on an origin of its own (http://127.0.0.1:3001/, where
// the example page counts "/"), all bound to 127.0.0.1. Ctrl-C stops all of them.
//
// Environment:
//   PORT            the front's port (3000)
//   SITE_PORT       the example site's port (3001)
//   BOOTSTRAP       the binary to run (target/debug/bootstrap, which scripts/dev.sh builds)
//   DEV_DATA_DIR    where dynalite keeps its data (.local/dynalite)
//   DYNAMODB_PORT   dynalite's port (a free one); 8000 lets `sam local invoke` reach it too
//   DYNAMODB_TABLE  the table (CloudResumeCounterHits, template.yaml's default)
//   DEV_THROTTLE    `stage` (the default: template.yaml's rate and burst, 429 beyond) or `off`
//                   (load tests)
//   COUNTER_ALLOWED_PATHS, COUNTER_COUNT_CRAWLERS, COUNTER_ALLOWED_ORIGINS,
//   COUNTER_MAX_PATH_BYTES, COUNTER_REPEAT_WINDOW_SECONDS, COUNTER_HITS_PER_ADDRESS,
//   AWS_LAMBDA_LOG_LEVEL
//                   passed to the function; COUNTER_ALLOWED_ORIGINS also sets the front's CORS,
//                   as AllowedOrigins does the gateway's (list the example site's origin,
//                   http://127.0.0.1:3001, for its page to count)

const fs = require('node:fs');
const { startDynalite } = require('./dynalite');
const { startRuntimeApi } = require('./runtime-api');
const { startHttpFront, stageThrottle } = require('./http-front');
const { startSite } = require('./site');
const { settingsFrom, functionEnv, shown, claimDataDir } = require('./settings');

const env = process.env;
const settings = { ...settingsFrom(env), port: Number(env.PORT || 3000), sitePort: Number(env.SITE_PORT || 3001) };

const say = (line) => process.stderr.write(`dev: ${line}\n`);

function throttleFrom(value = 'stage') {
  if (value === 'stage' || value === '') return stageThrottle();
  if (value === 'off') return false;
  throw new Error(`DEV_THROTTLE is ${JSON.stringify(value)}: set it to stage (the default) or off`);
}

async function main() {
  if (!fs.existsSync(settings.bootstrap)) {
    throw new Error(`${settings.bootstrap} does not exist; run \`make dev\` (it builds it) or set BOOTSTRAP`);
  }
  const stack = []; // what to stop, last started first
  const stop = async (code) => {
    for (const close of stack.reverse()) await close().catch((err) => say(`while stopping: ${err.message}`));
    process.exit(code);
  };
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      say(`${signal}: stopping`);
      stop(0);
    });
  }

  try {
    const throttle = throttleFrom(env.DEV_THROTTLE);
    const lock = claimDataDir(settings.dataDir);
    stack.push(lock.release);
    const db = await startDynalite({ table: settings.table, path: settings.dataDir, port: settings.dynamoPort });
    stack.push(db.close);
    lock.publish(db.endpoint); // where `make invoke` finds this dynalite
    say(`dynalite on ${db.endpoint} (table ${settings.table}, data in ${shown(settings.dataDir)})`);

    const rt = await startRuntimeApi({
      bootstrap: settings.bootstrap,
      env: functionEnv(env, { table: settings.table, endpoint: db.endpoint }),
      onLog: ({ line }) => process.stdout.write(`${line}\n`), // the function's own log lines
    });
    stack.push(rt.close);
    await rt.ready();
    say(`bootstrap running (pid ${rt.pid}) from ${shown(settings.bootstrap)}`);

    const front = await startHttpFront({
      invoke: rt.invoke,
      port: settings.port,
      allowedOrigins: env.COUNTER_ALLOWED_ORIGINS || '',
      throttle,
      onRequest: (r) => say(`${r.method} ${r.url} -> ${r.status}`),
    });
    stack.push(front.close);
    const site = await startSite({ apiUrl: `${front.url}/counter`, port: settings.sitePort });
    stack.push(site.close);
    say(`example page: ${site.url}/ (it counts "/"; any folder serves it, counting that folder)`);
    say(throttle ? `throttled as the stage: ${throttle.rate} requests/s, bursts of ${throttle.burst} (DEV_THROTTLE=off: none)` : 'not throttled (DEV_THROTTLE=off)');
    say(`counter ready: ${front.url}/counter?path=/`);
    say(`try: curl '${front.url}/counter?path=/'   (Ctrl-C stops everything)`);
  } catch (err) {
    // The function's own lines, stderr included, were shown as they came: not again.
    say(err.headline ?? err.message);
    await stop(1);
  }
}

main();
