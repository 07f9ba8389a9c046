'use strict';
// Shared by the end-to-end tests: where the binary is, the event fixtures, plain HTTP requests
// and process bookkeeping (Linux /proc).

const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '../..');
const TABLE = 'CloudResumeCounterHits';

// The shipped binary (what `make build` produces) unless BOOTSTRAP names another one.
function bootstrapPath() {
  const bin = path.resolve(ROOT, process.env.BOOTSTRAP || '.aws-sam/build/CounterFunction/bootstrap');
  if (!fs.existsSync(bin)) {
    throw new Error(
      `${bin} does not exist: run \`make build\` first ` +
        '(or, while developing, `cargo build` and BOOTSTRAP=target/debug/bootstrap)',
    );
  }
  return bin;
}

function readEvent(name) {
  return JSON.parse(fs.readFileSync(path.join(ROOT, 'events', name), 'utf8'));
}

function eventFiles() {
  return fs.readdirSync(path.join(ROOT, 'events')).filter((f) => f.endsWith('.json')).sort();
}

// A plain HTTP request, the way curl would send it: { status, headers, body }.
function request(url, { method = 'GET', headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// Alive means running: a zombie (exited, not yet reaped) does not count.
function isAlive(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

function childPids(pid) {
  const children = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid && isAlive(Number(entry))) children.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return children;
}

// Polls `probe` until it returns a truthy value; fails with `what` if it never does.
async function waitFor(what, probe, { tries = 100, everyMs = 50 } = {}) {
  for (let i = 0; i < tries; i++) {
    const value = await probe();
    if (value) return value;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`gave up waiting for ${what}`);
}

module.exports = { ROOT, TABLE, bootstrapPath, readEvent, eventFiles, request, freePort, isAlive, childPids, waitFor };
