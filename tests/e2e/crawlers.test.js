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
const lines = (name) => fs.readFileSync(path.join(ROOT, 'tests/ua', name), 'utf8').split('\n').filter(Boolean);
// isbot's fixtures, `group <TAB> User-Agent` lines.
const fixture = (name) => lines(name).map((line) => line.slice(line.indexOf('\t') + 1));
// Where the verdicts part from isbot's by decision (tests/ua/set-apart.txt says why): tools in
// isbot's browser fixture that do not count, and command-line clients that do.
const setApart = (kind) => lines('set-apart.txt').filter((l) => !l.startsWith('#')).map((l) => l.split('\t')).filter(([k]) => k === kind).map(([, text]) => text);
const TOOLS = setApart('tool');
const COMMAND_LINE = setApart('command-line');

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
    ...fixture('isbot-browsers.txt').filter((ua) => !TOOLS.some((tool) => ua.includes(tool))),
    ...lines('user-agents.txt'),
    ...lines('in-app-browsers.txt'),
    ...fixture('isbot-crawlers.txt'),
    ...lines('scripts-and-crawlers.txt'),
  ].filter((ua) => !ours.includes(ua));
  const differ = [];
  for (const ua of corpora) {
    if ((await counted(ua)) === isbot(ua) && !COMMAND_LINE.includes(ua)) differ.push(ua);
  }
  assert.deepEqual(differ, []);
  t.diagnostic(`${corpora.length} User-Agents, verdicts as isbot's`);
});
