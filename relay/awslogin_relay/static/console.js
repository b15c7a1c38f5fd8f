// The console handover (docs/protocol.md, "Console handover"): make a P-256 key pair in
// WebCrypto (the private half cannot leave this page), post the public half, wait for the
// console sign-in URL sealed to it, open it and go there. Sealing version 2 of
// awslogin_protocol/sealing.py: 0x02 | host P-256 key (65) | nonce (12) | AES-GCM; the
// key from HKDF-SHA256 (salt: both public keys); the pairing id as associated data.
// Served from the relay's own origin (CSP default-src 'self').
(function () {
  "use strict";
  var box = document.getElementById("console");
  var line = document.getElementById("console-status");
  if (!box || !line) { return; }
  function say(text) { line.textContent = text; }
  var back = " Go back to the terminal and run awslogin console again.";
  if (box.getAttribute("data-posted") === "yes") {
    say("This page was opened again after it took the handover; it works once." + back);
    return;
  }
  var subtle = window.crypto && window.crypto.subtle;
  if (!subtle || !window.fetch || !window.TextEncoder) {
    say("This browser cannot receive the handover here (it needs WebCrypto, which browsers" +
        " give only to https pages)." + back);
    return;
  }
  var id = box.getAttribute("data-pairing");
  // The AWS sign-in origins this relay lets the page go to (RELAY_CONSOLE_ORIGINS): the
  // relay cannot read the URL, so the page checks it, and goes nowhere else.
  var origins = (box.getAttribute("data-origins") || "").split(" ");
  var base = "/p/" + encodeURIComponent(id) + "/console/";
  var INFO = new TextEncoder().encode("awslogin relay v1 console url");
  var started = Date.now();
  var LIMIT_MS = 15 * 60 * 1000; // longer than any pairing lives
  var keys = null;
  var ownKey = null;

  function b64url(bytes) {
    var text = "";
    for (var i = 0; i < bytes.length; i++) { text += String.fromCharCode(bytes[i]); }
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function unb64url(text) {
    var plain = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    var bytes = new Uint8Array(plain.length);
    for (var i = 0; i < plain.length; i++) { bytes[i] = plain.charCodeAt(i); }
    return bytes;
  }
  function joined(a, b) {
    var both = new Uint8Array(a.length + b.length);
    both.set(a, 0);
    both.set(b, a.length);
    return both;
  }
  function refused(response) {
    return response.json().then(function (body) {
      var words = {
        already_used: "This handover already took a key (a second tab, or a reload).",
        unconfirmed_browser: "This browser did not confirm the request.",
        gone: "The request ended before the handover.",
      };
      say((words[body && body.error] || "The relay refused the handover.") + back);
    }, function () { say("The relay refused the handover." + back); });
  }
  function open(sealed) {
    var blob;
    try { blob = unb64url(sealed); } catch (e) { blob = new Uint8Array(0); }
    if (blob.length < 1 + 65 + 12 + 16 || blob[0] !== 2) {
      say("The terminal sent something this page cannot open." + back);
      return;
    }
    var hostKey = blob.slice(1, 66);
    var nonce = blob.slice(66, 78);
    var ciphertext = blob.slice(78);
    subtle.importKey("raw", hostKey, { name: "ECDH", namedCurve: "P-256" }, false, [])
      .then(function (peer) {
        return subtle.deriveBits({ name: "ECDH", public: peer }, keys.privateKey, 256);
      })
      .then(function (shared) {
        return subtle.importKey("raw", shared, "HKDF", false, ["deriveKey"]);
      })
      .then(function (secret) {
        return subtle.deriveKey(
          { name: "HKDF", hash: "SHA-256", salt: joined(hostKey, ownKey), info: INFO },
          secret, { name: "AES-GCM", length: 256 }, false, ["decrypt"]);
      })
      .then(function (key) {
        var aad = new TextEncoder().encode(id);
        return subtle.decrypt({ name: "AES-GCM", iv: nonce, additionalData: aad }, key,
                              ciphertext);
      })
      .then(function (plain) {
        var url = new URL(new TextDecoder().decode(plain));
        if (origins.indexOf(url.origin) < 0 || url.pathname !== "/federation") {
          say("The terminal sent a sign-in for another site than AWS (" + url.host +
              "): this page does not go there." + back);
          return;
        }
        say("Opening the AWS console…");
        window.location.replace(url.href); // not kept in this tab's history
      })
      .catch(function () { say("The console sign-in did not open with this page's key." + back); });
  }
  function poll() {
    if (Date.now() - started > LIMIT_MS) { say("The terminal did not send the console sign-in." + back); return; }
    fetch(base + "url", { cache: "no-store", credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : r.status === 503 ? {} : null; })
      .then(function (body) {
        if (body === null) { say("The request ended before the handover." + back); }
        else if (body.status === "ready" && body.sealed) { open(body.sealed); }
        else if (body.status === "ended") { say("The terminal did not send the console sign-in." + back); }
        else { setTimeout(poll, 1000); }
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, false, ["deriveBits"])
    .then(function (pair) {
      keys = pair;
      return subtle.exportKey("raw", pair.publicKey);
    })
    .then(function (raw) {
      ownKey = new Uint8Array(raw);
      return fetch(base + "key", {
        method: "POST",
        cache: "no-store",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ public_key: b64url(ownKey) }),
      });
    })
    .then(function (r) { if (r.status === 204) { poll(); } else { refused(r); } })
    .catch(function () { say("This page could not make its key or reach the relay." + back); });
})();
