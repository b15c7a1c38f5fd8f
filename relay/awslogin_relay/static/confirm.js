// One tap is one confirmation. A second tap (a double tap, an impatient one) while the
// first is on its way would reach the relay without the binding cookie that the first
// one's answer sets, and be refused as another browser
// (docs/security.md, "Browser binding"). Without JavaScript the first tap still counts;
// only the page after a double tap can differ.
(function () {
  "use strict";
  var sent = false;
  document.addEventListener("submit", function (event) {
    if (sent) { event.preventDefault(); return; }
    sent = true;
  });
  // Back to this page (the back button, bfcache): a tap there is a new one.
  window.addEventListener("pageshow", function () { sent = false; });
})();
