#!/usr/bin/env node
'use strict';
// Refreshes the crawler list from the npm package `crawler-user-agents` (MIT; the same JSON as
// github.com/monperrus/crawler-user-agents) and regenerates the Rust table built from it.
//
//   node scripts/refresh-crawlers.js            # the latest version on npm
//   node scripts/refresh-crawlers.js 1.60.0     # a given version (the same input gives the same files)
//
// Writes, relative to the crate root:
//   vendor/crawler-user-agents/crawler-user-agents.json   upstream's file, byte for byte
//   vendor/crawler-user-agents/LICENSE                    upstream's licence
//   src/crawler/patterns.rs          the rules src/crawler.rs matches, generated, rustfmt'ed
//
// Each upstream pattern is a JavaScript regular expression. Almost all are plain text; the rest
// use a small subset (character sets, groups, ^, $, \d, [\s\S]*, [^x]). Each pattern is expanded
// into the plain-text "rules" it is made of, and the script refuses any construct outside that
// subset, so a new kind of pattern is noticed here rather than silently mismatched. Before it
// writes anything, it checks that the expansion matches exactly what the original regular
// expression matches, on every upstream example and on the browser User-Agents below.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..');
const PACKAGE = 'crawler-user-agents';

// Upstream patterns deliberately not applied. Command-line clients are how people test a
// deployed counter, so their hits count (the product rule). Each must still be in the list:
// the script stops if one disappears or changes, so the exception is looked at again.
const EXCEPTIONS = new Map([
  ['^curl', 'curl: a command-line client; its requests count'],
  ['[wW]get', 'GNU Wget (and wget2): a command-line client; its requests count'],
  ['^HTTPie\\/', 'HTTPie: a command-line client; its requests count'],
]);

// No browser may match any rule (checked here and again by the Rust tests).
const BROWSERS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
  'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
];

// Shortest anchor the Rust index can hash (it keys rules by their first three bytes).
const MIN_ANCHOR = 3;
// A pattern expanding to more rules than this is probably a mistake (or needs a better matcher).
const MAX_RULES_PER_PATTERN = 16;

function run(cmd, args, options = {}) {
  return execFileSync(cmd, args, { encoding: 'utf8', ...options }).trim();
}

// ---- Parsing: pattern text -> a list of alternatives, each a list of tokens --------------------
//
// Tokens: {t:'start'} ^, {t:'end'} $, {t:'lit', s}, {t:'digit'} \d, {t:'digits'} \d+,
// {t:'any'} [\s\S]*, {t:'not', c} [^c].

function parsePattern(pattern) {
  let pos = 0;
  const fail = (why) => {
    throw new Error(`unsupported pattern ${JSON.stringify(pattern)} at ${pos}: ${why}`);
  };
  const peek = () => pattern[pos];

  // Each parse function returns a list of alternatives (lists of tokens).
  function alternation() {
    const alts = [...sequence()];
    while (peek() === '|') {
      pos++;
      alts.push(...sequence());
    }
    return alts;
  }

  function sequence() {
    let alts = [[]];
    while (pos < pattern.length && peek() !== '|' && peek() !== ')') {
      const item = atom();
      // Quantifiers the subset allows (\d+, [\s\S]*) were taken by atom(); refuse the rest.
      if (pos < pattern.length && '*+?{'.includes(peek())) fail('quantifier');
      alts = alts.flatMap((prefix) => item.map((choice) => [...prefix, ...choice]));
      if (alts.length > MAX_RULES_PER_PATTERN) fail('expands to too many rules');
    }
    return alts;
  }

  function atom() {
    const c = pattern[pos++];
    switch (c) {
      case '^':
        return [[{ t: 'start' }]];
      case '$':
        return [[{ t: 'end' }]];
      case '(': {
        if (pattern.startsWith('?:', pos)) pos += 2;
        else if (peek() === '?') fail('lookaround');
        const alts = alternation();
        if (pattern[pos++] !== ')') fail('unclosed group');
        return alts;
      }
      case '[':
        return charClass();
      case '\\':
        return escape();
      case '.':
      case '*':
      case '+':
      case '?':
      case '{':
      case ')':
      case ']':
        return fail(`bare ${c}`);
      default:
        return [[{ t: 'lit', s: c }]];
    }
  }

  function escape() {
    const c = pattern[pos++];
    if (c === undefined) fail('trailing backslash');
    if (c === 'd') {
      if (peek() === '+') {
        pos++;
        return [[{ t: 'digits' }]];
      }
      return [[{ t: 'digit' }]];
    }
    if (/[A-Za-z0-9]/.test(c)) fail(`escape \\${c}`);
    return [[{ t: 'lit', s: c }]];
  }

  function charClass() {
    if (pattern.startsWith('\\s\\S]*', pos) || pattern.startsWith('\\S\\s]*', pos)) {
      pos += 6;
      return [[{ t: 'any' }]];
    }
    const negated = peek() === '^';
    if (negated) pos++;
    const chars = [];
    while (peek() !== ']') {
      let c = pattern[pos++];
      if (c === undefined) fail('unclosed class');
      if (c === '\\') {
        c = pattern[pos++];
        if (c === undefined || /[A-Za-z0-9]/.test(c)) fail(`class escape \\${c}`);
      } else if (c === '-' && chars.length > 0 && peek() !== ']') {
        fail('class range');
      }
      chars.push(c);
    }
    pos++;
    if (negated) {
      if (chars.length !== 1) fail('negated class of more than one character');
      return [[{ t: 'not', c: chars[0] }]];
    }
    return [...new Set(chars)].map((c) => [{ t: 'lit', s: c }]);
  }

  const alts = alternation();
  if (pos !== pattern.length) fail('unbalanced )');
  return alts;
}

// Merges adjacent literals and checks the shape the Rust matcher takes:
// [^] anchor-literal tail..., where `not` and `end` may only come last.
function toRule(index, pattern, tokens) {
  const merged = [];
  for (const token of tokens) {
    const last = merged[merged.length - 1];
    if (token.t === 'lit' && last?.t === 'lit') last.s += token.s;
    else merged.push({ ...token });
  }
  const atStart = merged[0]?.t === 'start';
  const [anchor, ...tail] = atStart ? merged.slice(1) : merged;
  const bad = (why) => new Error(`pattern ${JSON.stringify(pattern)}: ${why}`);
  if (anchor?.t !== 'lit') throw bad('a rule must begin with literal text');
  if (anchor.s.length < MIN_ANCHOR) throw bad(`literal ${JSON.stringify(anchor.s)} is shorter than ${MIN_ANCHOR}`);
  if (!/^[\x20-\x7e]*$/.test(anchor.s)) throw bad('non-ASCII or control text');
  tail.forEach((token, i) => {
    if (token.t === 'start') throw bad('^ after text');
    if ((token.t === 'end' || token.t === 'not') && i !== tail.length - 1) throw bad(`${token.t} not last`);
    if (token.t === 'lit' && !/^[\x20-\x7e]*$/.test(token.s)) throw bad('non-ASCII or control text');
    if (token.t === 'not' && !/^[\x20-\x7e]$/.test(token.c)) throw bad('non-ASCII [^x]');
  });
  return { index, pattern, atStart, anchor: anchor.s, tail };
}

// ---- Checking: the rules of a pattern match exactly what the pattern matches -------------------

const escapeRegExp = (s) => s.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');

function rulesAsRegExp(rules) {
  const source = rules.map((rule) => {
    const parts = [rule.atStart ? '^' : '', escapeRegExp(rule.anchor)];
    for (const token of rule.tail) {
      parts.push(
        { lit: () => escapeRegExp(token.s), digit: () => '\\d', digits: () => '\\d+', any: () => '[\\s\\S]*',
          not: () => `[^${escapeRegExp(token.c)}]`, end: () => '$' }[token.t](),
      );
    }
    return `(?:${parts.join('')})`;
  });
  return new RegExp(source.join('|'));
}

function checkExpansion(entries, rulesByPattern) {
  const corpus = [...new Set([...entries.flatMap((e) => e.instances), ...BROWSERS,
    ...[...rulesByPattern.values()].flat().map((r) => r.anchor)])];
  let compared = 0;
  for (const [index, rules] of rulesByPattern) {
    const original = new RegExp(entries[index].pattern);
    const expanded = rulesAsRegExp(rules);
    for (const ua of corpus) {
      if (original.test(ua) !== expanded.test(ua)) {
        throw new Error(`expansion of ${JSON.stringify(entries[index].pattern)} differs on ${JSON.stringify(ua)}`);
      }
    }
    compared += corpus.length;
    // A rule with no tail must match its own anchor: the Rust tests rely on it for the
    // patterns upstream ships without examples.
    for (const rule of rules.filter((r) => r.tail.length === 0)) {
      if (!original.test(rule.anchor)) throw new Error(`${entries[index].pattern} misses its anchor ${rule.anchor}`);
    }
  }
  for (const ua of BROWSERS) {
    const hit = entries.find((e) => !EXCEPTIONS.has(e.pattern) && new RegExp(e.pattern).test(ua));
    if (hit) throw new Error(`browser ${JSON.stringify(ua)} matches ${hit.pattern}`);
  }
  return compared;
}

// ---- Rust output ------------------------------------------------------------------------------

const rustStr = (s) => `"${s.replace(/[\\"]/g, '\\$&')}"`;
const rustByte = (c) => `b'${c.replace(/[\\']/g, '\\$&')}'`;

function rustTail(token) {
  switch (token.t) {
    case 'lit':
      return `Text(${rustStr(token.s)})`;
    case 'digit':
      return 'Digit';
    case 'digits':
      return 'Digits';
    case 'any':
      return 'Anything';
    case 'not':
      return `NotByte(${rustByte(token.c)})`;
    case 'end':
      return 'End';
    default:
      throw new Error(`unknown token ${token.t}`);
  }
}

function rustRule(rule) {
  if (rule.tail.length === 0) {
    return `Rule::${rule.atStart ? 'starts_with' : 'contains'}(${rule.index}, ${rustStr(rule.anchor)})`;
  }
  const tail = rule.tail.map(rustTail).join(', ');
  return `Rule::with_tail(${rule.index}, ${rule.atStart}, ${rustStr(rule.anchor)}, &[${tail}])`;
}

function generate({ version, integrity, entries, rulesByPattern }) {
  const pad = Math.max(...[...EXCEPTIONS.keys()].map((p) => p.length));
  const exceptions = [...EXCEPTIONS].map(([p, why]) => `//   ${p.padEnd(pad)}  ${why}`);
  const nonPlain = [];
  const lines = [];
  for (const [index, rules] of rulesByPattern) {
    const { pattern } = entries[index];
    const plain = rules.length === 1 && rules[0].tail.length === 0 && !rules[0].atStart && rules[0].anchor === pattern;
    if (!plain) {
      lines.push(`    // ${pattern}`);
      nonPlain.push(pattern);
    }
    for (const rule of rules) lines.push(`    ${rustRule(rule)},`);
  }
  const ruleCount = [...rulesByPattern.values()].flat().length;
  return [
    `// @generated by scripts/refresh-crawlers.js from the npm package ${PACKAGE}@${version},`,
    '// MIT licence: vendor/crawler-user-agents/LICENSE. Tarball integrity:',
    `// ${integrity}`,
    '// Do not edit: change the script and run it again.',
    '//',
    `// ${entries.length} upstream patterns, ${rulesByPattern.size} applied as ${ruleCount} rules.`,
    '// A rule is numbered by its pattern\'s position in vendor/crawler-user-agents/crawler-user-agents.json; a pattern',
    '// that is not plain text is shown above its rules. Not applied, on purpose:',
    ...exceptions,
    '',
    'use super::Rule;',
    'use super::Tail::*;',
    '',
    'pub(super) const RULES: &[Rule] = &[',
    ...lines,
    '];',
    '',
  ].join('\n');
}

// ---- Main -------------------------------------------------------------------------------------

function main() {
  const version = process.argv[2] ?? run('npm', ['view', PACKAGE, 'version']);
  if (!/^\d+\.\d+\.\d+$/.test(version)) throw new Error(`not a version: ${version}`);
  const integrity = run('npm', ['view', `${PACKAGE}@${version}`, 'dist.integrity']);

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'crawler-user-agents-'));
  try {
    const packed = JSON.parse(run('npm', ['pack', `${PACKAGE}@${version}`, '--json', '--pack-destination', tmp],
      { stdio: ['ignore', 'pipe', 'ignore'] }));
    if (packed[0].integrity !== integrity) throw new Error('tarball integrity differs from the registry\'s');
    run('tar', ['-xzf', path.join(tmp, packed[0].filename), '-C', tmp]);
    const json = fs.readFileSync(path.join(tmp, 'package', 'crawler-user-agents.json'));
    const licence = fs.readFileSync(path.join(tmp, 'package', 'LICENSE'));
    const entries = JSON.parse(json);

    for (const pattern of EXCEPTIONS.keys()) {
      if (!entries.some((e) => e.pattern === pattern)) {
        throw new Error(`exception ${pattern} is no longer upstream: review EXCEPTIONS`);
      }
    }
    for (const e of entries) {
      for (const ua of e.instances ?? []) {
        if (!new RegExp(e.pattern).test(ua)) throw new Error(`upstream ${e.pattern} misses its example ${ua}`);
      }
    }

    const rulesByPattern = new Map();
    entries.forEach((e, index) => {
      if (EXCEPTIONS.has(e.pattern)) return;
      const alternatives = parsePattern(e.pattern);
      const seen = new Set();
      const rules = alternatives
        .map((tokens) => toRule(index, e.pattern, tokens))
        .filter((rule) => {
          const key = JSON.stringify([rule.atStart, rule.anchor, rule.tail]);
          return !seen.has(key) && seen.add(key);
        });
      rulesByPattern.set(index, rules);
    });
    const compared = checkExpansion(entries, rulesByPattern);

    const out = path.join(ROOT, 'src', 'crawler', 'patterns.rs');
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, generate({ version, integrity, entries, rulesByPattern }));
    run('rustfmt', ['--edition', '2021', out]);
    const vendor = path.join(ROOT, 'vendor', 'crawler-user-agents');
    fs.mkdirSync(vendor, { recursive: true });
    fs.writeFileSync(path.join(vendor, 'crawler-user-agents.json'), json);
    fs.writeFileSync(path.join(vendor, 'LICENSE'), licence);

    const ruleCount = [...rulesByPattern.values()].flat().length;
    console.log(`${PACKAGE}@${version}: ${entries.length} patterns, ${EXCEPTIONS.size} excepted, ` +
      `${ruleCount} rules; expansion checked on ${compared} pattern/User-Agent pairs`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main();
