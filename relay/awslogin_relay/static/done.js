// Keeps the done page current while the terminal finishes: polls the public status and
// reloads the page once it changes, so the server renders what the host reported (and
// only this browser, which holds the binding cookie, is shown the details). Served from
// the relay's own origin (CSP default-src 'self'); without JavaScript a reload does it.
(function () {
  "use strict";
  var box = document.getElementById("status");
  if (!box || !window.fetch) { return; }
  var id = box.getAttribute("data-pairing");
  var shown = box.getAttribute("data-state");
  var started = Date.now();
  var LIMIT_MS = 15 * 60 * 1000; // longer than any pairing finishes
  function later(ms) {
    if (Date.now() - started < LIMIT_MS) { setTimeout(check, ms); }
  }
  function check() {
    fetch("/p/" + encodeURIComponent(id) + "/status", { cache: "no-store", credentials: "omit" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        var state = body && body.status;
        if (state && state !== shown && state !== "authorized" && state !== "finishing") {
          window.location.reload();
        } else {
          later(1000);
        }
      })
      .catch(function () { later(3000); });
  }
  later(1000);
})();
