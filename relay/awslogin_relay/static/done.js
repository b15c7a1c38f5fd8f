// Turns "Done. Go back to your terminal" into "<host> is signed in" once the host has
// collected its result. Served from the relay's own origin (CSP default-src 'self').
(function () {
  "use strict";
  var box = document.getElementById("status");
  if (!box || !window.fetch) { return; }
  var id = box.getAttribute("data-pairing");
  var host = box.getAttribute("data-host");
  var tries = 0;
  function show(title, text) {
    var h = document.createElement("h1");
    h.textContent = title;
    var p = document.createElement("p");
    p.textContent = text;
    box.replaceChildren(h, p);
  }
  function check() {
    tries += 1;
    fetch("/p/" + encodeURIComponent(id) + "/status", { cache: "no-store", credentials: "omit" })
      .then(function (r) { return r.json(); })
      .then(function (body) {
        if (body.status === "collected") {
          show(host + " is signed in", "You can close this page.");
        } else if (body.status === "expired" || body.status === "cancelled") {
          show("This sign-in request ended", "Go back to your terminal on " + host + ".");
        } else if (tries < 120) {
          setTimeout(check, 1000);
        }
      })
      .catch(function () { if (tries < 120) { setTimeout(check, 3000); } });
  }
  check();
})();
