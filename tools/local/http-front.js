'use strict';
// A local stand-in for the API Gateway HTTP API in template.yaml: plain HTTP on 127.0.0.1 in,
// an HTTP API payload v2 event to the function, its proxy result back out as HTTP.
//
//   const front = await startHttpFront({ invoke: rt.invoke, port: 3000 });  // → { url, port, close() }
//
// Like the template's API: one route, `GET /counter` (anything else is 404 {"message":"Not
// Found"} without invoking the function); a function error or timeout is 500
// {"message":"Internal Server Error"}; the template's CorsConfiguration (read from it: AllowOrigins
// '*', its AllowMethods and MaxAge) answers preflight itself and sets the CORS headers on responses to
// requests that carry an Origin header, ignoring any the function sets.
// `allowedOrigins` (the template's AllowedOrigins, split at commas as its Fn::Split does; empty:
// '*') allows only those: a listed Origin is echoed back, any other gets no CORS headers, and
// the request still reaches the function, as CORS does not stop a request.
// `cors: false` turns that off (the browser test's negative control).
// The stage's throttle (DefaultRouteSettings in template.yaml: a token bucket of
// ThrottlingBurstLimit tokens refilled at ThrottlingRateLimit a second) applies to every request
// before any route, and the excess gets 429 {"message":"Too Many Requests"} without CORS headers,
// as the gateway's own answers may come: a page's fetch then sees a network error.
// `throttle: false` turns it off (load tests); `throttle: { rate, burst }` sets another.

const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { randomBytes } = require('node:crypto');
const { performance } = require('node:perf_hooks');

const ROUTE = { method: 'GET', path: '/counter' };
const TEMPLATE = path.resolve(__dirname, '../../template.yaml');
const readTemplate = () => fs.readFileSync(TEMPLATE, 'utf8');

// The HTTP API's CorsConfiguration, read from the template: its branch without AllowedOrigins
// (AllowOrigins '*'), whose methods, max age and headers the branch with them must share, as
// this front applies one set to both. A template without AllowHeaders gives preflight answers
// no access-control-allow-headers: a page that adds a non-simple request header fails here as
// it would against the real API.
function corsConfiguration(template = readTemplate()) {
  const block = template.match(/\n( +)CorsConfiguration: !If\n((?:\1 +.*\n)+)/);
  if (!block) throw new Error('template.yaml: no CorsConfiguration: !If');
  const all = (name) => [...block[2].matchAll(new RegExp(`^[ -]+${name}: (.*)$`, 'gm'))].map((m) => m[1]);
  const one = (name, fallback) => {
    const values = [...new Set(all(name))];
    if (values.length > 1) throw new Error(`template.yaml: the CorsConfiguration branches differ in ${name}`);
    return values.length ? values[0] : fallback;
  };
  const list = (text) => text.replace(/^\[|\]$/g, '').split(',').map((v) => v.trim()).filter(Boolean).join(',');
  if (!all('AllowOrigins').includes('["*"]')) throw new Error('template.yaml: no CorsConfiguration branch allows "*"');
  return { allowOrigin: '*', allowMethods: list(one('AllowMethods', '')), allowHeaders: list(one('AllowHeaders', '')), maxAge: one('MaxAge', '') };
}
const CORS = corsConfiguration();

// The stage's rate and burst, read from the template rather than copied from it.
function stageThrottle(template = readTemplate()) {
  const settings = template.match(/\n( +)DefaultRouteSettings:\n((?:\1 +.*\n)+)/);
  const limit = (name) => {
    const m = settings && settings[2].match(new RegExp(`^ +${name}: (\\d+(?:\\.\\d+)?)$`, 'm'));
    if (!m) throw new Error(`template.yaml: no ${name} under DefaultRouteSettings`);
    return Number(m[1]);
  };
  return { rate: limit('ThrottlingRateLimit'), burst: limit('ThrottlingBurstLimit') };
}

// A token bucket: `burst` requests at once, then `rate` a second. Returns take() → whether
// this request may pass.
function tokenBucket({ rate, burst }, now = () => performance.now()) {
  let tokens = burst;
  let last = now();
  return () => {
    const t = now();
    tokens = Math.min(burst, tokens + ((t - last) / 1000) * rate);
    last = t;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  };
}

const utf8 = new TextDecoder('utf-8'); // not fatal: invalid sequences become U+FFFD

// Percent-decodes to bytes first, so "%E2%82%AC" is one "€" and a stray "%FF" is kept visible.
function decodeComponent(text) {
  const bytes = [];
  for (let i = 0; i < text.length; i++) {
    const hex = text.slice(i + 1, i + 3);
    if (text[i] === '%' && /^[0-9a-fA-F]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(text[i], 'utf8'));
    }
  }
  return utf8.decode(Buffer.from(bytes));
}

// API Gateway joins repeated parameters with commas: "path=a&path=b" → { path: "a,b" }.
function queryParameters(rawQuery) {
  if (!rawQuery) return undefined;
  const params = {};
  for (const pair of rawQuery.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const name = decodeComponent(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? '' : decodeComponent(pair.slice(eq + 1));
    params[name] = name in params ? `${params[name]},${value}` : value;
  }
  return params;
}

function apiGatewayTime(date) {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n) => String(n).padStart(2, '0');
  return (
    `${p(date.getUTCDate())}/${months[date.getUTCMonth()]}/${date.getUTCFullYear()}:` +
    `${p(date.getUTCHours())}:${p(date.getUTCMinutes())}:${p(date.getUTCSeconds())} +0000`
  );
}

// Builds the payload v2 event API Gateway would send for this request.
function toEvent(req, body, { requestId, port }) {
  const [rawPath, ...rest] = req.url.split('?');
  const rawQueryString = rest.join('?');
  const headers = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i].toLowerCase();
    const value = req.rawHeaders[i + 1];
    headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }
  const cookies = headers.cookie ? headers.cookie.split(/;\s*/) : undefined;
  delete headers.cookie;
  const sourceIp = req.socket.remoteAddress.replace(/^::ffff:/, '');
  Object.assign(headers, {
    'x-forwarded-for': sourceIp,
    'x-forwarded-port': String(port),
    'x-forwarded-proto': 'http',
    'x-amzn-trace-id': `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(12).toString('hex')}`,
  });
  const now = new Date();
  const routeKey = `${ROUTE.method} ${ROUTE.path}`;
  const event = {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString,
    cookies,
    headers,
    queryStringParameters: queryParameters(rawQueryString),
    requestContext: {
      accountId: '123456789012',
      apiId: 'local',
      domainName: headers.host || `127.0.0.1:${port}`,
      domainPrefix: 'local',
      http: {
        method: req.method,
        path: rawPath,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp,
        userAgent: headers['user-agent'] || '',
      },
      requestId,
      routeKey,
      stage: '$default',
      time: apiGatewayTime(now),
      timeEpoch: now.getTime(),
    },
    body: body.length ? body.toString('base64') : undefined,
    isBase64Encoded: body.length > 0,
  };
  return JSON.parse(JSON.stringify(event)); // drops the undefined fields, as API Gateway omits them
}

// Turns the function's answer into { status, headers, body } the way payload format 2.0 does.
function fromResult(result) {
  const internal = { status: 500, headers: { 'content-type': 'application/json' }, body: '{"message":"Internal Server Error"}' };
  if (result.error) return internal;
  const p = result.payload;
  if (p && typeof p === 'object' && 'statusCode' in p) {
    const headers = {};
    for (const [k, v] of Object.entries(p.headers || {})) headers[k.toLowerCase()] = String(v);
    for (const [k, v] of Object.entries(p.multiValueHeaders || {})) headers[k.toLowerCase()] = v.join(',');
    const body = p.body == null ? '' : String(p.body);
    return {
      status: Number(p.statusCode),
      headers,
      cookies: p.cookies || [],
      body: p.isBase64Encoded ? Buffer.from(body, 'base64') : body,
    };
  }
  // A result without statusCode is taken as a 200 JSON body.
  return { status: 200, headers: { 'content-type': 'application/json' }, body: typeof p === 'string' ? p : JSON.stringify(p) };
}

// The Access-Control-Allow-Origin answer for `origin`, or null when CORS allows it nothing.
function allowOriginFor(origin, allowedOrigins) {
  if (!origin) return null;
  if (!allowedOrigins) return CORS.allowOrigin;
  return allowedOrigins.includes(origin) ? origin : null;
}

// The AllowedOrigins text as the template hands it to the gateway: '' allows every origin.
const originsFrom = (text) => (text ? text.split(',') : null);

async function startHttpFront({ invoke, port = 0, cors = true, allowedOrigins = '', throttle = stageThrottle(), onRequest = null }) {
  if (typeof invoke !== 'function') throw new Error('startHttpFront: `invoke` is required');
  const origins = originsFrom(allowedOrigins);
  const admits = throttle ? tokenBucket(throttle) : () => true;

  async function handle(req, res, body) {
    const requestId = randomBytes(8).toString('base64').replace(/=+$/, '');
    const origin = req.headers.origin;
    const pathname = req.url.split('?')[0];
    let out;
    const allowOrigin = allowOriginFor(origin, origins);
    if (!admits()) {
      out = { status: 429, headers: { 'content-type': 'application/json' }, body: '{"message":"Too Many Requests"}' };
    } else if (cors && req.method === 'OPTIONS' && origin && req.headers['access-control-request-method']) {
      out = { status: 204, headers: {}, body: '' };
      if (allowOrigin) {
        Object.assign(out.headers, {
          'access-control-allow-origin': allowOrigin,
          'access-control-allow-methods': CORS.allowMethods,
          'access-control-max-age': CORS.maxAge,
        });
        if (CORS.allowHeaders) out.headers['access-control-allow-headers'] = CORS.allowHeaders;
      }
    } else if (req.method !== ROUTE.method || pathname !== ROUTE.path) {
      out = { status: 404, headers: { 'content-type': 'application/json' }, body: '{"message":"Not Found"}' };
    } else {
      out = fromResult(await invoke(toEvent(req, body, { requestId, port: server.address().port })));
      if (cors) {
        for (const name of Object.keys(out.headers)) if (name.startsWith('access-control-')) delete out.headers[name];
        if (allowOrigin) out.headers['access-control-allow-origin'] = allowOrigin;
      }
    }
    out.headers['apigw-requestid'] = requestId;
    out.headers['content-length'] = String(Buffer.byteLength(out.body));
    if (out.cookies && out.cookies.length) out.headers['set-cookie'] = out.cookies;
    res.writeHead(out.status, out.headers);
    res.end(out.body);
    if (onRequest) {
      const purpose = req.headers['sec-purpose']; // "prefetch;prerender" from a prerendered page
      onRequest({ method: req.method, url: req.url, origin, purpose, status: out.status, headers: out.headers, body: String(out.body) });
    }
  }

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      handle(req, res, Buffer.concat(chunks)).catch((err) => {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: 'Internal Server Error', detail: err.message }));
      });
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', (err) => {
      if (err.code === 'EADDRINUSE') err.message = `port ${port} on 127.0.0.1 is in use (${err.message}); set PORT to another port`;
      reject(err);
    });
    server.listen(port, '127.0.0.1', resolve);
  });
  const actualPort = server.address().port;
  return {
    port: actualPort,
    url: `http://127.0.0.1:${actualPort}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

module.exports = { startHttpFront, stageThrottle, corsConfiguration, tokenBucket, toEvent, fromResult, queryParameters, allowOriginFor };
