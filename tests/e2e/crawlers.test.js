'use strict';
// Who counts, on the built binary: every User-Agent of the corpora in tests/ua/ sent as a real
// HTTP API event, and the verdicts compared with the npm package `isbot`, whose patterns the
// function applies (plus its own few rules: src/crawler/ours.txt).

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { isbot } = require('isbot');
const { ROOT, readEvent, useFunction } = require('./helpers');
const { fixture: fixtureAt } = require('../ua/fixture');

const fixture = (name) => fixtureAt(path.join(ROOT, 'tests/ua', name));

// Tools in isbot's browser fixture that load pages for their own ends (src/crawler/ours.txt).
const TOOLS = ['GTmetrix', 'YLT', 'Miniature.io/', 'Yahoo! Slurp', 'MozacFetch/', 'Amzn-User/'];
// Counted by decision: how people try a deployed counter.
const COMMAND_LINE = /^(curl|wget2?|httpie)\/[\w.-]+( \([\w.-]+\))?$/i;

const lines = (name) => fs.readFileSync(path.join(ROOT, 'tests/ua', name), 'utf8').split('\n').filter(Boolean);

const people = [
  ...fixture('isbot-browsers.yml').filter((ua) => !TOOLS.some((t) => ua.includes(t))),
  ...lines('user-agents.txt'),
  ...lines('in-app-browsers.txt'),
  ...lines('phones-and-apps.txt'),
];
const crawlers = [...fixture('isbot-crawlers.yml'), ...lines('scripts-and-crawlers.txt')];

const fn = useFunction();
let n = 0;

// Whether the function counted a visit with this User-Agent, each on a page of its own.
async function counted(ua) {
  const event = readEvent('get-counter.json');
  event.headers = { ...event.headers, 'user-agent': ua };
  event.requestContext.http.userAgent = ua; // the gateway's copy, which the function reads
  event.rawQueryString = `path=%2Fua%2F${n++}`;
  const result = await fn.rt.invoke(event);
  assert.equal(result.error, undefined, `${ua}: ${JSON.stringify(result.error)}`);
  assert.equal(result.payload.statusCode, 200, `${ua}: ${result.payload.body}`);
  return JSON.parse(result.payload.body).counted;
}

test('every person of the corpora counts, in-app browsers and WebViews included', async (t) => {
  const refused = [];
  for (const ua of people) if (!(await counted(ua))) refused.push(ua);
  assert.deepEqual(refused, [], 'people refused');
  t.diagnostic(`${people.length} people, all counted`);
});

test("isbot's crawlers and the named scripts do not count, but for the command-line clients", async (t) => {
  const slipped = [];
  for (const ua of crawlers) {
    const wasCounted = await counted(ua);
    if (wasCounted !== COMMAND_LINE.test(ua)) slipped.push(ua);
  }
  assert.deepEqual(slipped, [], 'crawlers counted, or command-line clients refused');
  t.diagnostic(`${crawlers.length} crawlers, ${crawlers.filter((ua) => COMMAND_LINE.test(ua)).length} of them command-line clients`);
});

test('the verdicts agree with the npm package isbot, but for our own rules', async (t) => {
  const differ = [];
  // Ours: the scripts isbot lets through (ours.txt), and the phones and apps isbot refuses for a
  // word in the device's name or the app's tag (src/crawler/shape.rs, ours.txt).
  const ours = [...lines('scripts-and-crawlers.txt').filter((ua) => !isbot(ua)), ...lines('phones-and-apps.txt')];
  for (const ua of [...people, ...crawlers].filter((ua) => !ours.includes(ua))) {
    if ((await counted(ua)) === isbot(ua) && !COMMAND_LINE.test(ua)) differ.push(ua);
  }
  // Only the rules of src/crawler/ours.txt may part from isbot; none does on these corpora
  // but the command-line clients, which isbot calls bots.
  assert.deepEqual(differ, []);
  t.diagnostic(`${people.length + crawlers.length} User-Agents, verdicts as isbot's`);
});

// woothee's test sets, labelled by that UA parser: its people are PCs, phones and consoles; its
// crawlers, and its `misc` (scripts, feed readers), are crawlers to us. A few it calls people are
// refused, each for its reason (src/crawler/tests.rs, REFUSED_IN_WOOTHEE).
const REFUSED_IN_WOOTHEE = ['VocusBot', '/pc2m/', 'Google Wireless Transcoder', 'livedoor-Mobile-Gateway',
  'Instapaper/', 'RSS Version 2.0', 'DDIPOCKET', 'Sleipnir/2.9.9', 'GoogleT5'];

test("woothee's people count and its crawlers do not, but for the known few", async (t) => {
  const labelled = lines('woothee.txt').map((line) => line.split('\t'));
  const [refused, slipped] = [[], []];
  let [people, crawlers] = [0, 0];
  for (const [category, ua] of labelled) {
    if (['pc', 'smartphone', 'mobilephone', 'appliance'].includes(category)) {
      people++;
      if (!(await counted(ua))) refused.push(ua);
    } else if (['crawler', 'misc'].includes(category) && !COMMAND_LINE.test(ua)) {
      crawlers++;
      if (await counted(ua)) slipped.push(ua);
    }
  }
  assert.deepEqual(refused.filter((ua) => !REFUSED_IN_WOOTHEE.some((m) => ua.includes(m))), [], 'people refused');
  assert.equal(refused.length, REFUSED_IN_WOOTHEE.length, refused.join('\n'));
  assert.deepEqual(slipped, [], 'crawlers counted');
  t.diagnostic(`woothee: ${refused.length} of ${people} people refused, ${crawlers - slipped.length} of ${crawlers} crawlers caught`);
});
