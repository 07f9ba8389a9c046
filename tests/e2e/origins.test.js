'use strict';
// COUNTER_ALLOWED_ORIGINS through the built bootstrap: the gateway's Origin header reaches the
// rule (src/origin.rs owns its cases; template-env.test.js sends a listed and a foreign Origin
// with each template value; browser.test.js the Referer of an image from either site). A
// foreign page's request reads, writes nothing and logs reason foreign_origin.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { counted, read, assertResponse, hitEvent, hits, useFunction } = require('./helpers');

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
