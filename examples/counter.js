// Page-view counter: on load, one GET to the counter API (another origin, so it relies on the
// API's CORS headers), then the count in the element that carries data-counter-url.
//   data-counter-url   the API's /counter URL (the stack's CounterUrl output)
//   data-counter-path  what to count (default: this page's path, "/index.html" counted as "/")
// The element's data-state becomes "ok" or "error"; on error it shows a neutral "–".
// A browser counts a page once a day: localStorage keeps the local date (YYYY-MM-DD) of the
// last hit the API counted for that path, and until the date changes the page only reads
// (increment=false). Where storage is unavailable (private mode, blocked), every load counts.
(function () {
  'use strict';
  var el = document.querySelector('[data-counter-url]');
  if (!el) return;

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

  var url = new URL(el.getAttribute('data-counter-url'), document.baseURI);
  var path = el.getAttribute('data-counter-path') || pagePath();
  var key = 'page-view-counter:' + path;
  var date = today();
  var countedToday = remembered(key) === date;
  // encodeURIComponent, not URLSearchParams: a space must travel as %20, never as "+".
  url.search =
    (url.search ? url.search.slice(1) + '&' : '') +
    'path=' + encodeURIComponent(path) +
    (countedToday ? '&increment=false' : '');

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
})();
