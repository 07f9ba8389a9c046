'use strict';
// The built bootstrap started with the very environment template.yaml gives it (read through
// the SAM transform by tests/infra/function_env.py), plus what Lambda adds, for every value a
// template parameter can put there and every application log level: only the table and the
// endpoint are pointed at dynalite. A setting the template deploys that the function refuses
// would stop every deployed function at init; this is where that shows.

const { test, before } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { ROOT, TABLE, hitEvent, countOf, useFunction } = require('./helpers');

// A value to try for each parameter the environment reads that lists no AllowedValues
// (besides its default). AllowedOrigins: the events/ fixtures' Origin, so their hits count;
// RepeatWindowSeconds: 0, the record of repeats turned off; HitsPerAddress: its highest.
const SAMPLES = { AllowedPaths: '/,/index.html,/blog/*', AllowedOrigins: 'https://resume.example.com', MaxPathBytes: '2048', RepeatWindowSeconds: '0',
  HitsPerAddress: '255' };
// LoggingConfig's ApplicationLogLevel: the levels Lambda accepts, each tried on the defaults.
const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'];
// Where our "hit counted" line is written: at INFO.
const LOGS_INFO = new Set(['TRACE', 'DEBUG', 'INFO']);

// What the deployed template gives the function for each set of parameter values.
function templateEnvironments(parameterSets) {
  const python = path.join(ROOT, '.venv/bin/python');
  assert.ok(fs.existsSync(python), `${python} is missing: run \`make setup\` (it installs the SAM translator)`);
  const env = { ...process.env, AWS_DEFAULT_REGION: 'us-east-1' };
  const run = spawnSync(python, [path.join(ROOT, 'tests/infra/function_env.py'), JSON.stringify(parameterSets)], { encoding: 'utf8', env });
  assert.equal(run.status, 0, `function_env.py failed:\n${run.stderr}`);
  return JSON.parse(run.stdout);
}

// Every parameter the environment reads, at each value it may take: defaults first.
function parameterSets(parameters) {
  const sets = [{}];
  for (const [name, { Default: fallback, AllowedValues: allowed }] of Object.entries(parameters)) {
    const values = allowed ?? [fallback ?? '', SAMPLES[name]];
    assert.ok(values.every((v) => v !== undefined), `give ${name} a sample value in SAMPLES`);
    for (const value of values) sets.push({ [name]: String(value) });
  }
  return sets;
}

const fn = useFunction();
let environments; // [{ given, variables, logging, level }]

before(() => {
  const sets = parameterSets(templateEnvironments([{}]).parameters);
  const template = templateEnvironments(sets);
  environments = sets.map((given, i) => ({ given, ...template.functions[i] }));
  const defaults = environments[0];
  environments.push(...LOG_LEVELS.map((level) => ({ ...defaults, given: { ApplicationLogLevel: level }, level })));
});

// The process environment Lambda gives the function: the template's variables, with the table
// and endpoint on dynalite, and Lambda's own (the emulator sets the rest of the AWS_* ones).
function lambdaEnvironment({ variables, logging }, logLevel) {
  const env = {};
  for (const [name, value] of Object.entries(variables)) {
    if (typeof value === 'string') env[name] = value;
    else if (value.Type === 'AWS::DynamoDB::Table') env[name] = TABLE;
    else assert.fail(`${name} refers to a ${value.Type}: teach this test what Lambda would see`);
  }
  env.DYNAMODB_ENDPOINT = fn.db.endpoint;
  // Lambda's JSON log format passes the application log level on; the text format does not.
  env.AWS_LAMBDA_LOG_FORMAT = logging.LogFormat === 'JSON' ? 'JSON' : 'Text';
  env.AWS_LAMBDA_LOG_LEVEL = logging.LogFormat === 'JSON' ? logLevel ?? logging.ApplicationLogLevel : undefined;
  env.AWS_SESSION_TOKEN = 'local-session-token';
  return env;
}

// get-counter.json (a visitor) or crawler-get.json for `page`, from the page (Origin) `origin`.
const hit = (fixture, page, origin) => hitEvent(page, { fixture, headers: origin ? { origin } : {} });

let nextPage = 0;
const freshPage = (dir = '') => `${dir}/template-env-${nextPage++}`;

const started = (t, env) =>
  fn.start(t, env).catch((err) => assert.fail(`the function refused the template's environment: ${err.message}`));

async function answer(rt, event) {
  const result = await rt.invoke(event);
  assert.equal(result.error, undefined, `the function failed: ${JSON.stringify(result.error)}`);
  return { status: result.payload.statusCode, body: JSON.parse(result.payload.body), requestId: result.requestId };
}

test('every parameter value and log level the environment can get starts the function, which counts', async (t) => {
  assert.ok(environments.length > 1);
  for (const environment of environments) {
    await t.test(JSON.stringify(environment.given), async (t) => {
      const rt = await started(t, lambdaEnvironment(environment, environment.level));
      const variables = environment.variables;
      const allowList = variables.COUNTER_ALLOWED_PATHS;
      const page = allowList ? freshPage('/blog') : freshPage();
      // Each count is the one the table holds once the function has been asked for the hits
      // counted so far (countOf): an SDK retry on a busy machine may add one more.
      const first = await answer(rt, hit('get-counter.json', page));
      assert.deepEqual(first.body, { count: await countOf(fn.db, page, 1), counted: true });

      // The crawler is counted exactly when the template says so.
      const countsCrawlers = variables.COUNTER_COUNT_CRAWLERS === 'true';
      const crawled = await answer(rt, hit('crawler-get.json', page));
      const afterCrawler = await countOf(fn.db, page, 1 + countsCrawlers, 'the crawler');
      assert.deepEqual(crawled.body, { count: afterCrawler, counted: countsCrawlers });

      // A page outside a non-empty allow-list is refused; with none, every page counts.
      const outside = await answer(rt, hit('get-counter.json', '/not-listed'));
      assert.equal(outside.status, allowList ? 403 : 200, JSON.stringify(outside.body));

      // Another site's page counts only when no origins are listed; else it reads, saying why.
      const elsewhere = await answer(rt, hit('get-counter.json', page, 'https://elsewhere.example'));
      const counts = !variables.COUNTER_ALLOWED_ORIGINS;
      const afterElsewhere = await countOf(fn.db, page, 1 + countsCrawlers + counts, 'another site');
      assert.deepEqual(elsewhere.body, { count: afterElsewhere, counted: counts });
      if (!counts) assert.equal((await rt.lineOf(elsewhere.requestId)).reason, 'foreign_origin');

      // The longest path the cap allows counts; one byte more is refused.
      const cap = Number(variables.COUNTER_MAX_PATH_BYTES);
      const longest = `${page}-`.padEnd(cap, 'x');
      const atCap = await answer(rt, hit('get-counter.json', longest));
      assert.deepEqual(atCap.body, { count: await countOf(fn.db, longest, 1, 'the longest path'), counted: true });
      const over = await answer(rt, hit('get-counter.json', `${longest}x`));
      assert.deepEqual([over.status, over.body.error], [400, 'path_too_long']);

      // Every line is JSON; the first hit's "hit counted" is written from INFO down.
      const logsInfo = LOGS_INFO.has(environment.level ?? environment.logging.ApplicationLogLevel);
      if (logsInfo) await rt.lineOf(first.requestId);
      const stdout = rt.logs.filter((l) => l.stream === 'stdout' && l.line.trim());
      for (const { line } of stdout) assert.equal(typeof JSON.parse(line), 'object', `a JSON line: ${line}`);
      const ours = stdout.map(({ line }) => JSON.parse(line)).filter((l) => l.request_id === first.requestId);
      assert.deepEqual(ours.map((l) => l.message), logsInfo ? ['hit counted'] : [], JSON.stringify(ours));
    });
  }
});
