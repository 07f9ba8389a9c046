'use strict';
// The arm64 (Graviton) bootstrap, run as Lambda runs it but under user-mode QEMU
// (qemu-aarch64 with Debian's aarch64 glibc): what could differ between architectures in a
// binary (its build, its start, the SDK's HTTP and signing, the crawler DFAs, the SVG, the log
// lines) through one of each kind of answer. Emulated time and instructions mean nothing, so
// the emulator's own limits are wide; every assertion is about behaviour.
//   ARM64_BOOTSTRAP=path   another arm64 binary (default: make build-arm64's artifact)

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { ROOT, EXPECTED, read, image, assertResponse, readEvent, hitEvent, hits, countOf, freePort, useFunction } =
  require('../e2e/helpers');

const SYSROOT = '/usr/aarch64-linux-gnu';
const EM_AARCH64 = 183; // ELF e_machine

function arm64Bootstrap() {
  const bin = path.resolve(ROOT, process.env.ARM64_BOOTSTRAP || '.aws-sam/arm64/CounterFunction/bootstrap');
  if (!fs.existsSync(bin)) throw new Error(`${bin} does not exist: run \`make build-arm64\` first`);
  return bin;
}

function qemu() {
  const found = (process.env.PATH || '').split(':').map((dir) => path.join(dir, 'qemu-aarch64')).find((p) => fs.existsSync(p));
  if (!found || !fs.existsSync(path.join(SYSROOT, 'lib/ld-linux-aarch64.so.1'))) {
    throw new Error(`qemu-aarch64 or ${SYSROOT} missing: run scripts/setup-arm64.sh qemu (Debian's qemu-user and libc6-arm64-cross)`);
  }
  return [found, '-L', SYSROOT];
}

// A 5xx answer: the status and error code given, with the headers every JSON error carries.
const failed = (status, error) => ({ ...EXPECTED['missing-path.json'], status, error });

const bootstrap = arm64Bootstrap();
const launcher = qemu();
const fn = useFunction({}, { bootstrap, launcher, timeoutMs: 60_000, initTimeoutMs: 60_000 });

test('the artifact is an aarch64 ELF, so QEMU, not this machine, runs it', () => {
  const header = Buffer.alloc(20);
  const fd = fs.openSync(bootstrap, 'r');
  fs.readSync(fd, header, 0, header.length, 0);
  fs.closeSync(fd);
  assert.equal(header.toString('latin1', 0, 4), '\x7fELF');
  assert.equal(header.readUInt16LE(18), EM_AARCH64, `${bootstrap}: e_machine`);
});

test('counts rise, one per visitor, each answer the count the table then holds', async () => {
  const page = '/arm64/counted';
  const asked = fn.db.writesTo(page).asked;
  let previous = (await hits(fn.db, page)) ?? 0;
  for (let visitor = 1; visitor <= 5; visitor++) {
    const result = await fn.rt.invoke(hitEvent(page, { sourceIp: `198.51.100.${visitor}` }));
    assert.equal(result.error, undefined, JSON.stringify(result.error));
    assert.equal(result.payload.statusCode, 200, result.payload.body);
    const { count, counted } = JSON.parse(result.payload.body);
    assert.equal(counted, true);
    // An SDK retry may add a second hit: exact is "one more hit asked, more than before, as the
    // table says".
    assert.ok(count > previous, `count ${count} after ${previous}`);
    assert.equal(count, await countOf(fn.db, page, asked + visitor), 'the answer is the count the table holds');
    previous = count;
    const line = await fn.rt.lineOf(result.requestId);
    assert.deepEqual([line.status, line.counted], [200, true], 'its JSON log line');
  }
});

for (const [label, file] of [['a read (increment=false)', 'view-count.json'], ['a crawler', 'crawler-get.json']]) {
  test(`${label} gets the count and adds nothing`, async () => {
    const page = new URLSearchParams(readEvent(file).rawQueryString).get('path');
    const before = (await hits(fn.db, page)) ?? 0;
    assertResponse(await fn.rt.invoke(readEvent(file)), read(before), file);
    assert.equal((await hits(fn.db, page)) ?? 0, before, 'the table');
  });
}

for (const file of ['control-char-path.json', 'post-counter.json']) {
  test(`a refusal: events/${file} → ${EXPECTED[file].status} ${EXPECTED[file].error}`, async () => {
    assertResponse(await fn.rt.invoke(readEvent(file)), EXPECTED[file], file);
  });
}

test('the SVG badge draws the count it added', async () => {
  const file = 'svg-counter.json';
  const page = new URLSearchParams(readEvent(file).rawQueryString).get('path');
  // Emulated, the function is slow enough for an attempt to outlive its 500 ms and be retried:
  // the count drawn is what the table holds after one more hit asked, which a retry raises by one.
  const before = fn.db.writesTo(page).asked;
  const result = await fn.rt.invoke(readEvent(file));
  assertResponse(result, image(await countOf(fn.db, page, before + 1), true), file);
});

test('DynamoDB faults: a missing table is 500, an unreachable endpoint 503, as JSON', async (t) => {
  const missing = await fn.start(t, { DYNAMODB_TABLE: 'NoSuchTable' });
  assertResponse(await missing.invoke(hitEvent('/arm64/fault')), failed(500, 'internal_error'), 'missing table');
  assert.equal(await hits(fn.db, '/arm64/fault'), undefined, 'nothing written');

  const unreachable = await fn.start(t, { DYNAMODB_ENDPOINT: `http://127.0.0.1:${await freePort()}` });
  assertResponse(await unreachable.invoke(hitEvent('/arm64/fault')), failed(503, 'storage_unavailable'), 'unreachable');
});
