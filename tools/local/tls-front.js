'use strict';
// A TLS front for dynalite with a certificate chain shaped like AWS's: an RSA-2048 leaf for
// 127.0.0.1 and localhost, issued by an RSA-2048 intermediate, issued by a root made for the
// occasion. The HTTPS tests (tests/https.rs) and the benchmark reach DynamoDB through it, so
// the function's TLS handshake runs here as it does on AWS. Needs the openssl command.
//
// As a module:
//   const pki = makeTestPki(dir);                        // → { root, chain, key } file paths
//   const front = await startTlsFront({ to: port, pki }); // → { endpoint, port, counts(), close() }
// As a command:
//   node tools/local/tls-front.js --to PORT --pki DIR [--leaf-only]
//   node tools/local/tls-front.js --pki DIR --pki-only     (makes the PKI, prints {"root": ...})
// makes the PKI in DIR (kept if there), prints {"endpoint": "https://127.0.0.1:N", "root":
// "DIR/root.pem"} and serves until its standard input closes. Each line `counts` on standard
// input is answered by {"handshakes": N, "refused": M}: handshakes completed, and those the
// client broke off (a client that does not trust the chain). --leaf-only sends the leaf without
// its intermediate: a misconfigured server, whose chain no client can follow to the root.

const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const tls = require('node:tls');
const readline = require('node:readline');
const { execFileSync } = require('node:child_process');

function openssl(args, cwd) {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    if (err.code === 'ENOENT') throw new Error('the openssl command is missing: apt-get install openssl');
    throw new Error(`openssl ${args.join(' ')}: ${err.stderr || err.message}`);
  }
}

// One certificate: a fresh RSA-2048 key, signed by `issuer` (a self-signed root without one).
function issue(dir, name, { subject, issuer, extensions }) {
  fs.writeFileSync(path.join(dir, `${name}.ext`), extensions.join('\n') + '\n');
  openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject], dir);
  const signer = issuer ? ['-CA', `${issuer}.pem`, '-CAkey', `${issuer}.key`, '-set_serial', String(Date.now())] : ['-signkey', `${name}.key`];
  openssl(['x509', '-req', '-in', `${name}.csr`, ...signer, '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.pem`], dir);
}

// Root → intermediate → leaf in `dir`, made once: later calls reuse the files.
function makeTestPki(dir) {
  const files = { root: path.join(dir, 'root.pem'), chain: path.join(dir, 'chain.pem'), leaf: path.join(dir, 'leaf.pem'), key: path.join(dir, 'leaf.key') };
  if (fs.existsSync(files.chain)) return files;
  fs.mkdirSync(dir, { recursive: true });
  const ca = (pathlen) => [
    `basicConstraints=critical,CA:TRUE${pathlen === undefined ? '' : `,pathlen:${pathlen}`}`,
    'keyUsage=critical,keyCertSign,cRLSign',
    'subjectKeyIdentifier=hash',
  ];
  const tag = path.basename(dir);
  issue(dir, 'root', { subject: `/O=cloudresumecounter tests/CN=Test Root ${tag}`, extensions: ca() });
  issue(dir, 'intermediate', {
    subject: `/O=cloudresumecounter tests/CN=Test RSA 2048 ${tag}`,
    issuer: 'root',
    extensions: [...ca(0), 'authorityKeyIdentifier=keyid'],
  });
  issue(dir, 'leaf', {
    subject: '/CN=localhost',
    issuer: 'intermediate',
    extensions: [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      'authorityKeyIdentifier=keyid',
    ],
  });
  fs.writeFileSync(files.chain, fs.readFileSync(files.leaf, 'utf8') + fs.readFileSync(path.join(dir, 'intermediate.pem'), 'utf8'));
  return files;
}

// TLS on 127.0.0.1, each connection piped to `to` (a port on 127.0.0.1) once the handshake is done.
async function startTlsFront({ to, pki, leafOnly = false }) {
  const counts = { handshakes: 0, refused: 0 };
  // No Nagle on either side: it would hold a flight's last segment for the client's delayed
  // ACK, 40 ms a time on loopback, where AWS's servers add no such wait.
  const server = tls.createServer(
    { key: fs.readFileSync(pki.key), cert: fs.readFileSync(leafOnly ? pki.leaf : pki.chain), noDelay: true },
    (socket) => {
      counts.handshakes++;
      const upstream = net.connect({ host: '127.0.0.1', port: to, noDelay: true });
      socket.pipe(upstream).pipe(socket);
      const end = () => (socket.destroy(), upstream.destroy());
      socket.on('error', end);
      upstream.on('error', end);
      socket.on('close', end);
      upstream.on('close', end);
    },
  );
  server.on('tlsClientError', () => counts.refused++);
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  return {
    port,
    endpoint: `https://127.0.0.1:${port}`,
    counts: () => ({ ...counts }),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function parseArgs(argv) {
  const args = { leafOnly: false, pkiOnly: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--to' && argv[i + 1]) args.to = Number(argv[++i]);
    else if (argv[i] === '--pki' && argv[i + 1]) args.pki = path.resolve(argv[++i]);
    else if (argv[i] === '--leaf-only') args.leafOnly = true;
    else if (argv[i] === '--pki-only') args.pkiOnly = true;
    else throw new Error(`usage: tls-front.js --to PORT --pki DIR [--leaf-only] | --pki DIR --pki-only (got ${argv[i]})`);
  }
  if ((!args.pkiOnly && !Number.isInteger(args.to)) || !args.pki) throw new Error('usage: tls-front.js --to PORT --pki DIR [--leaf-only] | --pki DIR --pki-only');
  return args;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const pki = makeTestPki(args.pki);
  if (args.pkiOnly) return process.stdout.write(JSON.stringify({ root: pki.root }) + '\n');
  const front = await startTlsFront({ to: args.to, pki, leafOnly: args.leafOnly });
  process.stdout.write(JSON.stringify({ endpoint: front.endpoint, root: pki.root }) + '\n');
  // Served until whoever started it has gone: the pipe to our standard input closes then.
  const input = readline.createInterface({ input: process.stdin });
  input.on('line', (line) => {
    if (line.trim() === 'counts') process.stdout.write(JSON.stringify(front.counts()) + '\n');
  });
  input.on('close', () => front.close().then(() => process.exit(0)));
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`tls-front.js: ${err.message}\n`);
    process.exit(1);
  });
}

module.exports = { makeTestPki, startTlsFront };
