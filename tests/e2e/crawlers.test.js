'use strict';
// The built binary's verdicts on the User-Agent corpora of tests/ua/, each sent as the
// gateway's userAgent of a real HTTP API event, compared with the npm package `isbot`, whose
// patterns the function applies (plus its own few rules: src/crawler/ours.txt). Who counts in
// each corpus is src/crawler/tests.rs's; this is the one comparison with the package itself.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { isbot } = require('isbot');
const { ROOT, hitEvent, useFunction } = require('./helpers');
const { fixture: fixtureAt } = require('../ua/fixture');

const fixture = (name) => fixtureAt(path.join(ROOT, 'tests/ua', name));
const lines = (name) => fs.readFileSync(path.join(ROOT, 'tests/ua', name), 'utf8').split('\n').filter(Boolean);

// Tools in isbot's browser fixture that load pages for their own ends (src/crawler/ours.txt).
const TOOLS = ['GTmetrix', 'YLT', 'Miniature.io/', 'Yahoo! Slurp', 'MozacFetch/', 'Amzn-User/'];
// Counted by decision, where isbot calls them bots: how people try a deployed counter.
const COMMAND_LINE = /^(curl|wget2?|httpie)\/[\w.-]+( \([\w.-]+\))?$/i;

const fn = useFunction();
let n = 0;

// Whether the function counted a visit with this User-Agent, each on a page of its own.
async function counted(ua) {
  const result = await fn.rt.invoke(hitEvent(`/ua/${n++}`, { userAgent: ua }));
  assert.equal(result.error, undefined, `${ua}: ${JSON.stringify(result.error)}`);
  assert.equal(result.payload.statusCode, 200, `${ua}: ${result.payload.body}`);
  return JSON.parse(result.payload.body).counted;
}

test('the verdicts agree with the npm package isbot, but for our own rules', async (t) => {
  // Ours: the tools above, the scripts isbot lets through (ours.txt), and the phones and apps
  // isbot refuses for a word in the device's name or the app's tag (src/crawler/shape.rs).
  const ours = [...lines('scripts-and-crawlers.txt').filter((ua) => !isbot(ua)), ...lines('phones-and-apps.txt')];
  const corpora = [
    ...fixture('isbot-browsers.yml').filter((ua) => !TOOLS.some((tool) => ua.includes(tool))),
    ...lines('user-agents.txt'),
    ...lines('in-app-browsers.txt'),
    ...fixture('isbot-crawlers.yml'),
    ...lines('scripts-and-crawlers.txt'),
  ].filter((ua) => !ours.includes(ua));
  const differ = [];
  for (const ua of corpora) {
    if ((await counted(ua)) === isbot(ua) && !COMMAND_LINE.test(ua)) differ.push(ua);
  }
  assert.deepEqual(differ, []);
  t.diagnostic(`${corpora.length} User-Agents, verdicts as isbot's`);
});
