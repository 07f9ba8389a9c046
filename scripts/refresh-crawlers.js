#!/usr/bin/env node
'use strict';
// Refreshes who counts: the crawler patterns of the npm package `isbot` (public domain, the list
// Umami and others use), our own few rules on top (src/crawler/ours.txt), and the corpora of real
// User-Agents the tests judge them on: the npm package `user-agents` (browsers) and the test sets
// of the npm package `woothee` (a UA parser's, each User-Agent labelled pc, smartphone, crawler…).
//
//   node scripts/refresh-crawlers.js                            # the versions pinned below
//   node scripts/refresh-crawlers.js ISBOT USER_AGENTS WOOTHEE  # other versions
//
// Writes, relative to the crate root:
//   vendor/isbot/patterns.json   upstream's pattern list, as the package ships it
//   vendor/isbot/LICENSE         upstream's licence (the Unlicense)
//   src/crawler/rules.txt        the rules build.rs compiles into DFAs: upstream's, rewritten
//                                into the syntax of the regex-automata crate, then ours
//   tests/ua/user-agents.txt     every distinct User-Agent of `user-agents`, sorted
//   tests/ua/USER-AGENTS-LICENSE its licence
//   tests/ua/woothee.txt         woothee's test sets as `category <TAB> User-Agent`, in its order
//   tests/ua/WOOTHEE-LICENSE     its licence (Apache-2.0)
//
// Upstream's patterns are JavaScript regular expressions matched case-insensitively. A few use
// look-around, which a DFA cannot run; each such piece names a set of literal strings and is
// rewritten into the plain alternatives that mean the same ("not preceded by `lib`" becomes
// "at the start, or after a character other than `b`, or after `b` that follows the start or a
// character other than `i`, ..."). Before writing anything the script checks, with JavaScript's
// own engine, that every rewritten pattern gives the same verdict as the original on every
// User-Agent of the corpora in tests/ua and on each of them cut at every place a look-around
// could be decided.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..');
const ISBOT = process.argv[2] ?? '5.2.3';
const USER_AGENTS = process.argv[3] ?? '2.1.198';
const WOOTHEE = process.argv[4] ?? '1.11.1';

// isbot's fixtures as kept in tests/ua: `group <TAB> User-Agent` lines.
const fixture = (file) => fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => l.slice(l.indexOf('\t') + 1));

function run(cmd, args) {
  return execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20 }).trim();
}

// Fetches `name@version` from the registry into a temporary folder; returns its package/ folder.
function unpack(name, version, tmp) {
  const [packed] = JSON.parse(run('npm', ['pack', `${name}@${version}`, '--json', '--pack-destination', tmp]));
  const into = path.join(tmp, name);
  fs.mkdirSync(into);
  run('tar', ['-xzf', path.join(tmp, packed.filename), '-C', into]);
  return path.join(into, 'package');
}

// isbot ships its list inside its CommonJS build, as the literal `var patterns_default = [...]`.
function isbotPatterns(pkg) {
  const source = fs.readFileSync(path.join(pkg, 'index.js'), 'utf8');
  const literal = source.match(/var patterns_default = (\[.*?\n\]);/s);
  if (!literal) throw new Error('isbot: its pattern list is no longer where this script looks for it');
  return JSON.parse(literal[1]);
}

// woothee's test sets: `- target: '<ua>'` entries, each with a `  category: <c>` line; `~` is none.
function wootheeEntries(pkg) {
  const dir = path.join(pkg, 'woothee', 'testsets');
  const out = [];
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort()) {
    let entry = null;
    for (const line of fs.readFileSync(path.join(dir, file), 'utf8').split('\n')) {
      const target = line.match(/^- target: (.*)$/);
      const category = line.match(/^  category: (\S+)$/);
      if (target) {
        const v = target[1];
        if (v === '~') entry = null;
        else if (v.startsWith("'") && v.endsWith("'")) out.push((entry = { ua: v.slice(1, -1).replace(/''/g, "'") }));
        else throw new Error(`woothee ${file}: unreadable target ${v}`);
      } else if (category && entry) {
        entry.category = category[1];
        entry = null;
      }
    }
  }
  if (out.some((e) => !e.category || /[\t\n]/.test(e.ua))) throw new Error('woothee: an entry without a category');
  return out;
}

// ---- Look-around: (?<!a|b) and (?!a|b) over literal strings, rewritten without it -------------

function unescapeLiteral(text) {
  if (/[\\[\](){}*+?|^$.]/.test(text.replace(/\\[./ -]/g, ''))) {
    throw new Error(`look-around over something other than literal text: ${text}`);
  }
  return text.replace(/\\(.)/g, '$1').toLowerCase();
}

function alternativesOf(body) {
  const inner = body.startsWith('(?:') && body.endsWith(')') ? body.slice(3, -1) : body;
  return inner.split('|').map(unescapeLiteral);
}

const escapeText = (s) => s.replace(/[\\^$.|?*+()[\]{}\/-]/g, (c) => (c === '/' ? '/' : `\\${c}`));
const escapeInClass = (c) => (/[\\\]^-]/.test(c) ? `\\${c}` : c);

// The prefixes of `words` that are not themselves a word, each with the letters that may follow.
function openPrefixes(words) {
  const prefixes = new Map([['', new Set()]]);
  for (const word of words) {
    for (let i = 0; i < word.length; i++) {
      const prefix = word.slice(0, i);
      if (!prefixes.has(prefix)) prefixes.set(prefix, new Set());
      prefixes.get(prefix).add(word[i]);
    }
  }
  for (const word of words) prefixes.delete(word);
  for (const prefix of [...prefixes.keys()]) {
    if (words.some((w) => prefix.startsWith(w))) prefixes.delete(prefix);
  }
  return prefixes;
}

const classNot = (letters) => `[^${[...letters].sort().map(escapeInClass).join('')}]`;

// (?!w1|w2): what follows is none of the words.
function notFollowedBy(words) {
  const alts = [];
  for (const [prefix, next] of openPrefixes(words)) {
    alts.push(`${escapeText(prefix)}$`, `${escapeText(prefix)}${classNot(next)}`);
  }
  return `(?:${alts.join('|')})`;
}

// (?<!w1|w2): what precedes is none of the words: the mirror image of notFollowedBy.
function notPrecededBy(words) {
  const reversed = (s) => [...s].reverse().join('');
  const alts = [];
  for (const [prefix, next] of openPrefixes(words.map(reversed))) {
    const text = escapeText(reversed(prefix));
    alts.push(`^${text}`, `${classNot(next)}${text}`);
  }
  return `(?:${alts.join('|')})`;
}

// Finds the group that closes at the parenthesis matching `text[open]`.
function groupEnd(text, open) {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) return i;
  }
  throw new Error(`unclosed group in ${text}`);
}

// JavaScript pattern -> the same pattern in regex-automata's syntax, still case-insensitive.
function rewrite(pattern) {
  let out = pattern;
  for (const [marker, expand] of [['(?<!', notPrecededBy], ['(?!', notFollowedBy]]) {
    let at;
    while ((at = out.indexOf(marker)) !== -1) {
      const end = groupEnd(out, at);
      out = out.slice(0, at) + expand(alternativesOf(out.slice(at + marker.length, end))) + out.slice(end + 1);
    }
  }
  // In a JavaScript class, `-` after a class escape is literal; regex-automata wants it escaped.
  out = out.replace(/(\\[wdsWDS])-(?!\])/g, '$1\\-');
  if (/\(\?<?[=!]/.test(out)) throw new Error(`look-around left in ${pattern}`);
  return out;
}

// A crawler word that starts or ends with a digit (isbot's `24x7`) matches only as a whole figure,
// never inside a longer number such as a screen size (`1024x720`) or a memory size (`2822MB`).
// Applied after the check above, on purpose: it is a change of meaning, not of syntax.
function wholeFigures(pattern) {
  if (!/^[a-z0-9 ]+$/i.test(pattern)) return pattern;
  const start = /^[0-9]/.test(pattern) ? '(?:^|[^0-9])' : '';
  const end = /[0-9]$/.test(pattern) ? '(?:$|[^0-9])' : '';
  return `${start}${pattern}${end}`;
}

// ---- Our own rules ------------------------------------------------------------------------------

function ourRules() {
  const rules = [];
  const file = path.join(ROOT, 'src/crawler/ours.txt');
  for (const [n, line] of fs.readFileSync(file, 'utf8').split('\n').entries()) {
    if (!line.trim() || line.startsWith('#')) continue;
    const fields = line.split('\t').filter(Boolean);
    if (fields.length !== 3 || !['person', 'crawler'].includes(fields[0])) {
      throw new Error(`src/crawler/ours.txt:${n + 1}: want "person|crawler<TAB>pattern<TAB>reason"`);
    }
    rules.push({ kind: fields[0], pattern: fields[1], reason: fields[2] });
  }
  return rules;
}

// ---- Corpora, and the check that a rewrite changes no verdict ---------------------------------

function checkRewrites(pairs, corpus) {
  const samples = new Set(corpus);
  for (const ua of corpus) for (let i = 1; i < Math.min(ua.length, 400); i++) samples.add(ua.slice(0, i)).add(ua.slice(i));
  for (const { original, rewritten } of pairs) {
    if (original === rewritten) continue;
    const a = new RegExp(original, 'i');
    const b = new RegExp(rewritten, 'i');
    for (const ua of samples) {
      if (a.test(ua) !== b.test(ua)) {
        throw new Error(`rewrite of ${original} as ${rewritten} disagrees on ${JSON.stringify(ua)}`);
      }
    }
  }
}

function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'refresh-crawlers-'));
  try {
    const isbot = unpack('isbot', ISBOT, tmp);
    const patterns = isbotPatterns(isbot);
    const userAgents = unpack('user-agents', USER_AGENTS, tmp);
    const data = JSON.parse(fs.readFileSync(path.join(userAgents, 'dist', 'user-agents.json'), 'utf8'));
    const distinct = [...new Set(data.map((entry) => entry.userAgent))].sort();
    const woothee = unpack('woothee', WOOTHEE, tmp);
    const labelled = wootheeEntries(woothee);

    const corpus = [
      ...distinct,
      ...fixture(path.join(ROOT, 'tests/ua/isbot-browsers.txt')),
      ...fixture(path.join(ROOT, 'tests/ua/isbot-crawlers.txt')),
    ];
    const upstream = patterns.map((original) => ({ original, rewritten: rewrite(original) }));
    const ours = ourRules().map((rule) => ({ ...rule, rewritten: rewrite(rule.pattern) }));
    checkRewrites([...upstream, ...ours.map((r) => ({ original: r.pattern, rewritten: r.rewritten }))], corpus);

    const lines = [
      `# @generated by scripts/refresh-crawlers.js from the npm package isbot@${ISBOT} (the Unlicense:`,
      '# vendor/isbot/LICENSE) and src/crawler/ours.txt. Do not edit: change those, run the script.',
      '# kind <TAB> pattern (regex-automata syntax, matched ignoring ASCII case) <TAB> where it is from',
      ...upstream.map(({ rewritten }, i) => `crawler\t${wholeFigures(rewritten)}\tisbot #${i}: ${patterns[i]}`),
      ...ours.map((rule) => `${rule.kind}\t${wholeFigures(rule.rewritten)}\tours: ${rule.reason}`),
    ];
    fs.mkdirSync(path.join(ROOT, 'vendor/isbot'), { recursive: true });
    fs.writeFileSync(path.join(ROOT, 'vendor/isbot/patterns.json'), `${JSON.stringify(patterns, null, 2)}\n`);
    fs.copyFileSync(path.join(isbot, 'LICENSE'), path.join(ROOT, 'vendor/isbot/LICENSE'));
    fs.writeFileSync(path.join(ROOT, 'src/crawler/rules.txt'), `${lines.join('\n')}\n`);
    fs.writeFileSync(path.join(ROOT, 'tests/ua/user-agents.txt'), `${distinct.join('\n')}\n`);
    fs.copyFileSync(path.join(userAgents, 'LICENSE'), path.join(ROOT, 'tests/ua/USER-AGENTS-LICENSE'));
    fs.writeFileSync(path.join(ROOT, 'tests/ua/woothee.txt'), `${labelled.map((e) => `${e.category}\t${e.ua}`).join('\n')}\n`);
    fs.copyFileSync(path.join(woothee, 'LICENSE-Apache2'), path.join(ROOT, 'tests/ua/WOOTHEE-LICENSE'));
    console.log(`refresh-crawlers.js: isbot@${ISBOT}: ${patterns.length} patterns` +
      ` (${upstream.filter((p) => p.original !== p.rewritten).length} rewritten), ${ours.length} of ours;` +
      ` user-agents@${USER_AGENTS}: ${distinct.length} distinct User-Agents;` +
      ` woothee@${WOOTHEE}: ${labelled.length} labelled User-Agents`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main();
