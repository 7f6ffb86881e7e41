/* Staff pages: warn before the session ends, extend it without reloading, and never let
   a form be sent into an ended session silently (BITV 2.0 / WCAG 2.2.1 "Timing Adjustable").

   The page says how many seconds are left until the idle and the absolute limit
   (data-idle-left, data-absolute-left; empty: no limit). A few minutes before the first of
   them a modal alertdialog opens and takes the focus: "Sitzung verlängern" posts to
   /app/sitzungen/verlaengern (CSRF header) and counts down again from the answer; the
   absolute limit cannot be extended, so then the dialog only advises saving. Closing the
   dialog (button or Escape) returns the focus to where it was, so typing goes on. Once the
   session has ended, sending a form first asks the server whether a session is live again
   (signed in in another tab); if not, the form stays as typed and the dialog says why. */
(function () {
  "use strict";
  var dialog = document.querySelector("[data-staff-session]");
  if (!dialog || typeof dialog.showModal !== "function") return;
  var title = dialog.querySelector("[data-session-title]");
  var text = dialog.querySelector("[data-session-text]");
  var extendButton = dialog.querySelector("[data-session-extend]");
  var closeButton = dialog.querySelector("[data-session-close]");
  var loginLink = dialog.querySelector("[data-session-login]");
  var status = document.querySelector("[data-session-status]");
  var idleEnd = null, absoluteEnd = null, idleLead = 0, absoluteLead = 0;
  var ended = false, timer = null, returnFocus = null, shown = null;

  function seconds(value) {
    return value === "" || value === null || value === undefined ? null : Number(value);
  }
  function clock(ms) {
    return new Date(ms).toLocaleTimeString("de-DE", { hour: "2-digit", minute: "2-digit" });
  }

  function setEnds(idleLeft, absoluteLeft) {
    var now = Date.now();
    idleEnd = idleLeft === null ? null : now + idleLeft * 1000;
    absoluteEnd = absoluteLeft === null ? null : now + absoluteLeft * 1000;
    // a few minutes ahead, but never more than half of the time there is
    idleLead = idleLeft === null ? 0 : Math.min(120, idleLeft / 2) * 1000;
    absoluteLead = absoluteLeft === null ? 0 : Math.min(300, absoluteLeft / 2) * 1000;
    ended = false;
    shown = null;
    tick();
  }

  function next() {
    if (idleEnd === null && absoluteEnd === null) return null;
    if (absoluteEnd !== null && (idleEnd === null || absoluteEnd <= idleEnd)) {
      return { kind: "absolute", end: absoluteEnd, warn: absoluteEnd - absoluteLead };
    }
    return { kind: "idle", end: idleEnd, warn: idleEnd - idleLead };
  }

  function tick() {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    var coming = next();
    if (coming === null || ended) return;
    var now = Date.now();
    if (now >= coming.end) {
      showEnded();
      return;
    }
    if (now >= coming.warn) warn(coming);
    timer = setTimeout(tick, Math.max(250, (now >= coming.warn ? coming.end : coming.warn) - now));
  }

  function open(focusOn) {
    if (!dialog.open) {
      returnFocus = document.activeElement;
      dialog.showModal();
    }
    focusOn.focus();
  }

  function close() {
    if (dialog.open) dialog.close();
  }

  dialog.addEventListener("close", function () {
    if (returnFocus && typeof returnFocus.focus === "function") returnFocus.focus();
    returnFocus = null;
  });

  function warn(coming) {
    if (shown === coming.kind) return;
    shown = coming.kind;
    title.textContent = "Ihre Sitzung endet bald";
    loginLink.hidden = true;
    if (coming.kind === "idle") {
      text.textContent = "Ihre Sitzung endet um " + clock(coming.end) + " Uhr, weil Sie eine " +
        "Weile nichts abgeschickt haben. Verlängern Sie sie, damit Ihre Eingaben erhalten bleiben.";
      extendButton.hidden = false;
      open(extendButton);
    } else {
      text.textContent = "Ihre Sitzung endet um " + clock(coming.end) + " Uhr und kann nicht " +
        "mehr verlängert werden (Höchstdauer erreicht). Bitte speichern Sie Ihre Eingaben jetzt.";
      extendButton.hidden = true;
      open(closeButton);
    }
  }

  function showEnded() {
    ended = true;
    shown = "ended";
    title.textContent = "Ihre Sitzung ist beendet";
    text.textContent = "Was Sie auf dieser Seite eingegeben haben, ist noch da, wurde aber " +
      "nicht gespeichert. Melden Sie sich in einem neuen Tab an und senden Sie das Formular " +
      "danach hier erneut ab.";
    extendButton.hidden = true;
    loginLink.hidden = false;
    open(loginLink);
  }

  function askServer() {
    return fetch("/app/sitzungen/verlaengern", {
      method: "POST",
      credentials: "same-origin",
      redirect: "manual",
      headers: { "X-CSRF-Token": dialog.getAttribute("data-csrf"), Accept: "application/json" },
    }).then(function (response) {
      if (response.type === "opaqueredirect" || !response.ok) return null;
      return response.json();
    }).catch(function () { return null; });
  }

  extendButton.addEventListener("click", function () {
    extendButton.disabled = true;
    askServer().then(function (answer) {
      extendButton.disabled = false;
      if (answer === null) {
        showEnded();
        return;
      }
      setEnds(seconds(answer.idle_left), seconds(answer.absolute_left));
      close();
      if (status && idleEnd !== null) {
        status.textContent = "Sitzung verlängert bis " + clock(idleEnd) + " Uhr.";
      }
    });
  });
  closeButton.addEventListener("click", close);

  // a form sent after the end: keep what was typed unless a session is live again
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!ended || (form.method || "").toLowerCase() !== "post") return;
    if (/\/logout$/.test(form.getAttribute("action") || "")) return;
    event.preventDefault();
    var submitter = event.submitter || null;
    askServer().then(function (answer) {
      if (answer === null) {
        showEnded();
        return;
      }
      setEnds(seconds(answer.idle_left), seconds(answer.absolute_left));
      close();
      if (submitter) form.requestSubmit(submitter); else form.requestSubmit();
    });
  }, true);

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) tick();
  });
  loginLink.href = dialog.getAttribute("data-login");
  setEnds(seconds(dialog.getAttribute("data-idle-left")), seconds(dialog.getAttribute("data-absolute-left")));
})();
