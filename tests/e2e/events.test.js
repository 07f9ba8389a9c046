'use strict';
// The built bootstrap, run as Lambda runs it (tools/local/runtime-api.js) against dynalite,
// fed every file in events/: our stand-in for `sam local invoke`, which needs Docker. Each
// test reads its page's count first, so none depends on another having run.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { EXPECTED, assertResponse, readEvent, eventFiles, hits, useFunction } = require('./helpers');

const fn = useFunction();

test('every file in events/ has an expected response here', () => {
  assert.deepEqual(eventFiles(), Object.keys(EXPECTED).sort());
});

// EXPECTED holds the answers on an empty page: a count here starts from what the table held.
function after(expected, before) {
  if (expected.svg !== undefined) return { ...expected, svg: expected.svg + before };
  if (expected.body) return { ...expected, body: { ...expected.body, count: expected.body.count + before } };
  return expected;
}

for (const [file, expected] of Object.entries(EXPECTED)) {
  const outcome = expected.error || `${(expected.body ?? expected).counted ? 'counted' : 'read'}${expected.svg !== undefined ? ', as an image' : ''}`;
  test(`events/${file} → ${expected.status} ${outcome}`, async () => {
    const event = readEvent(file);
    const page = new URLSearchParams(event.rawQueryString).get('path');
    const isCounted = Boolean(expected.body?.counted ?? expected.counted);
    const before = expected.status === 200 ? (await hits(fn.db, page)) ?? 0 : undefined;
    const pid = fn.rt.pid;
    const updatesBefore = fn.db.updates();
    const askedBefore = fn.db.writesTo(page).asked;
    const result = await fn.rt.invoke(event);
    // One hit asked per counted request, and no write elsewhere; its UpdateItem applied twice if
    // an attempt outlived its timeout on a busy machine and was retried: the table then holds
    // both, and the answer the last.
    const updates = fn.db.updates() - updatesBefore;
    assert.equal(fn.db.writesTo(page).asked - askedBefore, isCounted ? 1 : 0, `${updates} UpdateItem calls`);
    assert.ok(isCounted ? updates >= 1 : updates === 0, `${updates} UpdateItem calls`);
    assertResponse(result, after(expected, before === undefined ? undefined : before + Math.max(updates - 1, 0)), file);
    assert.equal(result.pid, pid, 'served by the same process');
    if (before !== undefined) assert.equal((await hits(fn.db, page)) ?? 0, before + updates, 'the table');

    const line = await fn.rt.lineOf(result.requestId);
    const ours = fn.rt.logs.filter((l) => l.stream === 'stdout' && l.line.includes(result.requestId));
    assert.equal(ours.length, 1, `one log line per request, got:\n${ours.map((l) => l.line).join('\n')}`);
    assert.equal(line.status, expected.status, 'the log line records the status');
    if (expected.status === 200) assert.equal(line.counted, isCounted, 'and whether it counted');
  });
}
