// Page-view counter: on load, one GET to the counter API (another origin, so it relies on the
// API's CORS headers), then the count in the element that carries data-counter-url.
//   data-counter-url   the API's /counter URL (the stack's CounterUrl output)
//   data-counter-path  what to count (default: this page's path, "/index.html" counted as "/")
// The element's data-state becomes "ok" or "error"; on error it shows a neutral "–".
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

  var url = new URL(el.getAttribute('data-counter-url'), document.baseURI);
  var path = el.getAttribute('data-counter-path') || pagePath();
  // encodeURIComponent, not URLSearchParams: a space must travel as %20, never as "+".
  url.search = (url.search ? url.search.slice(1) + '&' : '') + 'path=' + encodeURIComponent(path);

  fetch(url.href)
    .then(function (res) {
      if (!res.ok) throw new Error('counter answered HTTP ' + res.status);
      return res.json();
    })
    .then(function (json) {
      if (typeof json.count !== 'number' || !Number.isSafeInteger(json.count)) {
        throw new Error('counter answered without a count');
      }
      el.textContent = String(json.count);
      el.setAttribute('data-state', 'ok');
    })
    .catch(function (err) {
      el.textContent = '–';
      el.setAttribute('data-state', 'error');
      if (window.console) console.warn('page-view counter unavailable:', err.message);
    });
})();
