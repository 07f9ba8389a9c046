'use strict';
// Several Lambda sandboxes at once: separate bootstrap processes, each under its own Runtime
// API emulator, hammering one path in one table, as Lambda scales a busy counter out.
// Atomic ADD must still hand out every count exactly once. Each hit comes from a visitor of
// its own: one client's repeats would only read.

const test = require('node:test');
const assert = require('node:assert/strict');
const { startDynalite } = require('../../tools/local/dynalite');
const { asVisitor } = require('../../tools/local/visitors');
const { TABLE, readEvent, hits, startFunction } = require('./helpers');
const SANDBOXES = 4;
const HITS_EACH = 50;

test(`${SANDBOXES} bootstrap processes × ${HITS_EACH} hits on one path get distinct counts`, async (t) => {
  const db = await startDynalite({ table: TABLE });
  t.after(() => db.close());
  const sandboxes = await Promise.all(Array.from({ length: SANDBOXES }, () => startFunction(db.endpoint, {}, { t })));
  await Promise.all(sandboxes.map((rt) => rt.ready()));

  const event = readEvent('get-counter.json');
  // Each sandbox takes one invocation at a time; the sandboxes run side by side.
  const perSandbox = await Promise.all(
    sandboxes.map(async (rt, s) => {
      const counts = [];
      for (let i = 0; i < HITS_EACH; i++) {
        const result = await rt.invoke(asVisitor(event, s * HITS_EACH + i));
        assert.equal(result.payload?.statusCode, 200, JSON.stringify(result));
        counts.push(JSON.parse(result.payload.body).count);
      }
      return counts;
    }),
  );

  const all = perSandbox.flat().sort((a, b) => a - b);
  const total = SANDBOXES * HITS_EACH;
  // The function was asked to count each hit once. Every UpdateItem that reached dynalite was
  // applied once: one per hit, or one more for an attempt that outlived its timeout on a busy
  // machine and was retried. No count is given twice.
  const applied = db.updates();
  assert.equal(db.writesTo('/index.html').asked, total, `${applied} UpdateItem calls for ${total} hits`);
  assert.equal(new Set(all).size, total, 'no two visitors got the same count');
  assert.ok(all[0] >= 1 && all[total - 1] <= applied, `counts from ${all[0]} to ${all[total - 1]}`);
  if (applied === total) assert.deepEqual(all, Array.from({ length: total }, (_, i) => i + 1));
  for (const counts of perSandbox) {
    assert.deepEqual(counts, [...counts].sort((a, b) => a - b), 'each sandbox sees its counts rise');
  }
  const pids = new Set(sandboxes.map((rt) => rt.pid));
  assert.equal(pids.size, SANDBOXES, 'separate processes');

  assert.equal(await hits(db, '/index.html'), applied, 'the table holds every applied hit');
});
