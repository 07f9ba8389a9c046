'use strict';
// Simulated visitors, each from an address of its own: the function adds at most 3 hits per
// page and window from one client (source address and User-Agent), and at most 10 from one
// address (an IPv6 address by its /64), so a harness that expects every hit to count must not
// send them all from one address.
//
//   asVisitor(readEvent('get-counter.json'), 7)   // the event, sent from visitor 7's address

// Visitor n's address, in a /64 of its own inside IPv6's documentation prefix (2001:db8::/32):
// room for 2^32 of them.
function addressOf(n) {
  return `2001:db8:${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}::1`;
}

// A copy of the HTTP API `event` as the gateway would send it from visitor n.
function asVisitor(event, n) {
  const copy = structuredClone(event);
  const address = addressOf(n);
  copy.requestContext.http.sourceIp = address;
  if (copy.headers) copy.headers['x-forwarded-for'] = address;
  return copy;
}

module.exports = { addressOf, asVisitor };
