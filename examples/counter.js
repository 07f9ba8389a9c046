// Page-view counter: one GET to the counter API (another origin, so it relies on the API's
// CORS headers), then the count in the element that carries data-counter-url.
//   data-counter-url   the API's /counter URL (the stack's CounterUrl output)
//   data-counter-path  what to count (default: this page's path, "/index.html" counted as "/")
// The element's data-state becomes "ok" or "error"; on error it shows a neutral "–".
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
  var el = document.querySelector('[data-counter-url]');
  if (!el) return;

  var PREFIX = 'page-view-counter:';
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

  function show() {
    applyOwnersSwitch();
    var url = new URL(el.getAttribute('data-counter-url'), document.baseURI);
    var path = el.getAttribute('data-counter-path') || pagePath();
    var key = PREFIX + path;
    var date = today();
    var reads =
      remembered(key) === date || remembered(IGNORE_KEY) === 'true' || navigator.webdriver === true;
    // encodeURIComponent, not URLSearchParams: a space must travel as %20, never as "+".
    url.search =
      (url.search ? url.search.slice(1) + '&' : '') +
      'path=' + encodeURIComponent(path) +
      (reads ? '&increment=false' : '');

    fetch(url.href)
      .then(function (res) {
        if (!res.ok) throw new Error('counter answered HTTP ' + res.status);
        return res.json();
      })
      .then(function (json) {
        if (typeof json.count !== 'number' || !Number.isSafeInteger(json.count)) {
          throw new Error('counter answered without a count');
        }
        // Remembered only when the API says it counted: after a crawler's read, or from an API
        // that predates "counted", the next load asks to count again.
        if (json.counted === true) remember(key, date);
        el.textContent = String(json.count);
        el.setAttribute('data-state', 'ok');
      })
      .catch(function (err) {
        el.textContent = '–';
        el.setAttribute('data-state', 'error');
        if (window.console) console.warn('page-view counter unavailable:', err.message);
      });
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
