'use strict';
// examples/ served as a site owner would publish it, on an origin of its own (the API is on
// another, as on AWS): `make dev` serves it, and so does the browser test.
//
//   const site = await startSite({ apiUrl: 'http://127.0.0.1:3000/counter', port: 3001 });  // → { url, close() }
//
// Every folder serves examples/index.html (so / counts "/" and /a/index.html counts "/a/"), with
// `make dev`'s counter address in it replaced by `apiUrl`; other names are files of examples/.
// `pages` adds routes: { "/plain.html": html } or { "/hook": (req, res) => { ... } }.
// `retryMs` sets the page's data-counter-retry-ms (how long counter.js keeps asking again).

const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const EXAMPLES = path.resolve(__dirname, '../../examples');
// The address examples/index.html is written with: `make dev`'s front on its default port.
const DEV_COUNTER_URL = 'http://127.0.0.1:3000/counter';
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8' };

function examplePage(apiUrl, retryMs) {
  let page = fs.readFileSync(path.join(EXAMPLES, 'index.html'), 'utf8');
  if (!page.includes(DEV_COUNTER_URL)) throw new Error(`examples/index.html no longer mentions ${DEV_COUNTER_URL}`);
  if (retryMs !== undefined) page = page.replace('data-counter-url=', `data-counter-retry-ms="${Number(retryMs)}" data-counter-url=`);
  return page.replaceAll(DEV_COUNTER_URL, apiUrl);
}

async function startSite({ apiUrl, port = 0, pages = {}, retryMs }) {
  const server = http.createServer((req, res) => {
    const pathname = req.url.split('?')[0];
    const page = Object.hasOwn(pages, pathname) ? pages[pathname] : null;
    if (typeof page === 'function') return page(req, res);
    if (page !== null) return res.writeHead(200, { 'content-type': TYPES['.html'] }).end(page);
    const name = pathname.slice(pathname.lastIndexOf('/') + 1) || 'index.html';
    if (name === 'index.html') {
      return res.writeHead(200, { 'content-type': TYPES['.html'] }).end(examplePage(apiUrl, retryMs));
    }
    const file = path.join(EXAMPLES, name);
    if (!file.startsWith(EXAMPLES + path.sep) || !fs.existsSync(file)) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] || 'application/octet-stream' });
    res.end(fs.readFileSync(file));
  });
  await new Promise((resolve, reject) => {
    server.once('error', (err) => {
      if (err.code === 'EADDRINUSE') err.message = `port ${port} on 127.0.0.1 is in use (${err.message}); set SITE_PORT to another port`;
      reject(err);
    });
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

module.exports = { startSite, DEV_COUNTER_URL };
