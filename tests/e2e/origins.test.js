'use strict';
// COUNTER_ALLOWED_ORIGINS through the built bootstrap: the gateway's Origin and Referer
// headers reach the rule (src/origin.rs owns its cases; template-env.test.js sends a listed
// and a foreign Origin with each template value). A foreign page's request reads, writes
// nothing and logs reason foreign_origin; an image request, with no Origin, is judged by its
// Referer.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { counted, read, image, assertResponse, hitEvent, hits, useFunction } = require('./helpers');

const OURS = 'https://resume.example.com';
const fn = useFunction({ COUNTER_ALLOWED_ORIGINS: OURS });
const NO_PAGE = { origin: undefined, referer: undefined, 'sec-fetch-site': undefined };

test('a foreign Origin reads, writes nothing and logs foreign_origin; ours counts', async () => {
  const foreign = await fn.rt.invoke(hitEvent('/origins/script', { headers: { ...NO_PAGE, origin: 'https://elsewhere.example' } }));
  assertResponse(foreign, read(0), 'another Origin');
  assert.equal(await hits(fn.db, '/origins/script'), undefined, 'no item was written');
  const line = await fn.rt.lineOf(foreign.requestId);
  assert.deepEqual([line.message, line.reason], ['count read', 'foreign_origin']);

  const ours = await fn.rt.invoke(hitEvent('/origins/script', { headers: { ...NO_PAGE, origin: OURS } }));
  assertResponse(ours, counted(1), 'our Origin');
  assert.equal((await fn.rt.lineOf(ours.requestId)).message, 'hit counted');
});

test("an image request (no Origin) counts from our page's Referer, reads from another's", async () => {
  const from = (referer) =>
    hitEvent('/origins/image', { fixture: 'svg-counter.json', query: '&format=svg', headers: { ...NO_PAGE, referer, 'sec-fetch-site': 'cross-site' } });
  assertResponse(await fn.rt.invoke(from(`${OURS}/cv.html`)), image(1), 'our page');
  const theirs = await fn.rt.invoke(from('https://elsewhere.example/'));
  assertResponse(theirs, image(1), 'their page still shows the count');
  assert.equal(await hits(fn.db, '/origins/image'), 1, 'and did not add to it');
  assert.equal((await fn.rt.lineOf(theirs.requestId)).reason, 'foreign_origin');
});
