/* The start page of the citizen portal, opened from the QR code on a letter:
   /upload#code=ABCD-EFGH-JKMN-PQRS. Browsers never send the part after "#" to a server,
   so the code is in no access log; this script moves it into the code field and removes
   it from the address bar and the history (a screenshot or the back button does not keep
   it). Nothing is submitted: the citizen presses "Continue". Without JavaScript the field
   stays empty and the citizen types the code printed beside the QR code. */
(function () {
  "use strict";
  var match = /^#code=([A-Za-z0-9 -]{1,64})$/.exec(window.location.hash || "");
  if (!match) return;
  function fill() {
    var field = document.getElementById("code");
    if (field && !field.value) field.value = decodeURIComponent(match[1]).toUpperCase();
    if (window.history && window.history.replaceState) {
      window.history.replaceState(null, "", window.location.pathname + window.location.search);
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", fill);
  } else {
    fill();
  }
})();
