'use strict';
// The dashboard's Logs Insights queries over the function's own lines (template.yaml) read only
// fields that the built bootstrap really writes, and filter on a message it really logs.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { ROOT, readEvent, useFunction } = require('./helpers');

const fn = useFunction();

function dashboardQueries() {
  const python = path.join(ROOT, '.venv/bin/python');
  if (!fs.existsSync(python)) throw new Error(`${python} is missing: run \`make setup\``);
  const script = path.join(ROOT, 'tests/infra/dashboard_queries.py');
  return JSON.parse(execFileSync(python, [script], { encoding: 'utf8', env: { ...process.env, AWS_DEFAULT_REGION: 'us-east-1' } }));
}

test('every dashboard query on the function log reads fields its real lines have', async () => {
  const queries = dashboardQueries();
  assert.ok(queries.length > 0, 'the dashboard has queries over the function log');

  const line = await fn.rt.lineOf((await fn.rt.invoke(readEvent('get-counter.json'))).requestId);

  for (const { title, query, fields } of queries) {
    const filtered = query.match(/filter message = "([^"]*)"/);
    assert.ok(filtered, `${title}: filters on a message`);
    assert.equal(filtered[1], line.message, `${title}: filters on the message a counted hit logs`);
    for (const field of fields) {
      assert.ok(field in line, `${title} reads "${field}", which the line lacks: ${JSON.stringify(line)}`);
    }
  }
});
