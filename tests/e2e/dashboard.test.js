'use strict';
// The dashboard's Logs Insights queries over the function's own lines (template.yaml) read only
// fields that the built bootstrap really writes, and filter on a message it really logs.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { startDynalite } = require('../../tools/local/dynalite');
const { ROOT, TABLE, readEvent, startFunction } = require('./helpers');

function dashboardQueries() {
  const python = path.join(ROOT, '.venv/bin/python');
  if (!fs.existsSync(python)) throw new Error(`${python} is missing: run \`make setup\``);
  const script = path.join(ROOT, 'tests/infra/dashboard_queries.py');
  return JSON.parse(execFileSync(python, [script], { encoding: 'utf8', env: { ...process.env, AWS_DEFAULT_REGION: 'us-east-1' } }));
}

test('every dashboard query on the function log reads fields its real lines have', async (t) => {
  const queries = dashboardQueries();
  assert.ok(queries.length > 0, 'the dashboard has queries over the function log');

  const db = await startDynalite({ table: TABLE });
  t.after(() => db.close());
  const rt = await startFunction(db.endpoint, {}, { t });
  const line = await rt.lineOf((await rt.invoke(readEvent('get-counter.json'))).requestId);

  for (const { title, query, fields } of queries) {
    const filtered = query.match(/filter message = "([^"]*)"/);
    assert.ok(filtered, `${title}: filters on a message`);
    assert.equal(filtered[1], line.message, `${title}: filters on the message a counted hit logs`);
    for (const field of fields) {
      assert.ok(field in line, `${title} reads "${field}", which the line lacks: ${JSON.stringify(line)}`);
    }
  }
});
