// Page-view counter: one GET to the counter API (another origin, so it relies on the API's
// CORS headers) per page path, then the count in every element that carries data-counter-url.
//   data-counter-url   the API's /counter URL (the stack's CounterUrl output)
//   data-counter-path  what to count (default: this page's path, "/index.html" counted as "/")
//   data-counter-retry-ms  how long to keep asking again, in ms (default 15000; 0: never)
// Elements that ask the same API for the same path share one request (the first one's retry
// budget); the script included twice asks once. Each element's data-state becomes "ok" or
// "error"; on error, or an answer whose count is not a whole number from 0 up, it shows "–".
// An answer that may come later (429 from the gateway's throttle, a 5xx, or a failed fetch,
// which is what a gateway error without CORS headers looks like to a page) is asked again after
// a jittered, doubling pause (from 125-250 ms) until the pauses would pass that budget; the count
// shows as soon as one answer comes. A retry after an answer that was lost may count twice.
// It counts what a person sees, and only reads (increment=false) otherwise:
// - once a day: localStorage keeps the local date (YYYY-MM-DD) of the last hit the API counted
//   for that path; until the date changes the page only reads;
// - a prerendered page waits until it is shown (activated); one restored from the back/forward
//   cache runs nothing again;
// - a browser driven by automation (navigator.webdriver) reads;
// - the owner's switch: open any page with #counter=ignore and this browser reads from then
//   on; #counter=count undoes it.
// Where storage is unavailable (private mode, blocked), every load counts.
(function () {
  'use strict';
  // Shared by every copy of this script on the page: the requests asked so far, by address, and
  // the elements already given one. Under a symbol, which no element's id can shadow.
  var SHARED = Symbol.for('page-view-counter');
  var shared = (window[SHARED] = window[SHARED] || { asked: {}, claimed: [] });

  var PREFIX = 'page-view-counter:';
  var FIRST_PAUSE_MS = 250;
  var RETRY_MS = 15000;
  // Not a path: every counted path starts with "/" (or is the page's own data-counter-path).
  var IGNORE_KEY = 'page-view-counter-ignore';

  function pagePath() {
    var p = location.pathname.replace(/\/index\.html$/, '/');
    try {
      return decodeURIComponent(p);
    } catch (e) {
      return p;
    }
  }

  // The local calendar date: a visitor's "day" ends at their midnight, not at UTC's.
  function today() {
    var d = new Date();
    var m = d.getMonth() + 1;
    var day = d.getDate();
    return d.getFullYear() + '-' + (m < 10 ? '0' : '') + m + '-' + (day < 10 ? '0' : '') + day;
  }

  // Reading or writing storage may throw (blocked, private mode): then nothing is remembered.
  function remembered(key) {
    try {
      return window.localStorage.getItem(key);
    } catch (e) {
      return null;
    }
  }

  function remember(key, value) {
    try {
      window.localStorage.setItem(key, value);
    } catch (e) {
      // nothing kept: the next load counts again
    }
  }

  function forget(key) {
    try {
      window.localStorage.removeItem(key);
    } catch (e) {
      // nothing was kept
    }
  }

  // #counter=ignore or #counter=count: kept for this browser, then taken off the address so
  // that a link copied from it does not switch a visitor's browser off too.
  function applyOwnersSwitch() {
    var wish = /^#counter=(ignore|count)$/.exec(location.hash);
    if (!wish) return;
    if (wish[1] === 'ignore') remember(IGNORE_KEY, 'true');
    else forget(IGNORE_KEY);
    if (window.console) console.info('page-view counter: #counter=' + wish[1] + ' kept for this browser');
    history.replaceState(history.state, '', location.pathname + location.search);
  }

  function retryBudget(el) {
    var given = parseInt(el.getAttribute('data-counter-retry-ms'), 10);
    return given >= 0 ? given : RETRY_MS;
  }

  // The answer's JSON; asked again while the failure may pass and the budget lasts. The pauses
  // are summed rather than read from the clock, which a page may not trust (or a test fixes).
  function ask(href, budget, attempt, paused) {
    var again = function (err) {
      var pause = FIRST_PAUSE_MS * Math.pow(2, attempt) * (0.5 + Math.random() / 2);
      if (paused + pause > budget) throw err;
      return new Promise(function (resolve) {
        setTimeout(resolve, pause);
      }).then(function () {
        return ask(href, budget, attempt + 1, paused + pause);
      });
    };
    return fetch(href).then(function (res) {
      var err = new Error('counter answered HTTP ' + res.status);
      if (res.status === 429 || res.status >= 500) return again(err);
      if (!res.ok) throw err;
      return res.json();
    }, again);
  }

  // The count in an answer: a whole number from 0 up, or an error.
  function countIn(json) {
    var count = json && json.count;
    if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0) {
      throw new Error('counter answered without a count');
    }
    return count;
  }

  // One request for `path` from the API at `base`, shared by every element that shows it: the
  // count, once an answer has one.
  function countOf(base, path, budget) {
    var url = new URL(base, document.baseURI);
    var id = url.href + ' ' + path;
    if (shared.asked[id]) return shared.asked[id];
    var key = PREFIX + path;
    var date = today();
    var reads =
      remembered(key) === date || remembered(IGNORE_KEY) === 'true' || navigator.webdriver === true;
    // encodeURIComponent, not URLSearchParams: a space must travel as %20, never as "+".
    url.search =
      (url.search ? url.search.slice(1) + '&' : '') +
      'path=' + encodeURIComponent(path) +
      (reads ? '&increment=false' : '');
    shared.asked[id] = ask(url.href, budget, 0, 0).then(function (json) {
      var count = countIn(json);
      // Remembered only when the API says it counted: after a crawler's read, or from an API
      // that predates "counted", the next load asks to count again.
      if (json.counted === true) remember(key, date);
      return count;
    });
    return shared.asked[id];
  }

  function fill(el) {
    shared.claimed.push(el);
    var path = el.getAttribute('data-counter-path') || pagePath();
    var count;
    try {
      count = countOf(el.getAttribute('data-counter-url'), path, retryBudget(el));
    } catch (err) {
      count = Promise.reject(err); // an address that is no URL: this element only
    }
    count.then(
      function (count) {
        el.textContent = String(count);
        el.setAttribute('data-state', 'ok');
      },
      function (err) {
        el.textContent = '–';
        el.setAttribute('data-state', 'error');
        if (window.console) console.warn('page-view counter unavailable:', err.message);
      }
    );
  }

  // Every element that asks for a count and has none yet.
  function show() {
    applyOwnersSwitch();
    var els = document.querySelectorAll('[data-counter-url]');
    for (var i = 0; i < els.length; i++) {
      if (shared.claimed.indexOf(els[i]) < 0) fill(els[i]);
    }
  }

  // The switch typed into the address bar of a page already open takes effect at once too.
  window.addEventListener('hashchange', applyOwnersSwitch);
  // A prerendered page may never be seen: it asks nothing until it is activated.
  if (document.prerendering) {
    document.addEventListener('prerenderingchange', show, { once: true });
  } else {
    show();
  }
})();
