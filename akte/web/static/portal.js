/* The citizen portal's upload page: a file list that grows, per-file progress and result,
   and a session that warns before it ends.

   The one rule: a file is shown as accepted only when the server's JSON answer lists it
   under "stored" with a document id and a SHA-256 that matches the bytes this page sent
   (hashed here first where the browser can). Anything else -- an ended session (JSON 401
   "session_expired"), a lost connection, an answer that is not the expected JSON -- leaves
   the file in the list as not sent, says so in the page's language and lets the citizen
   try again (after typing the code again, on this page, if the session ended). Files of a
   type or size the portal does not take are marked refused at once, with the reason and
   what to do instead, and are not sent.

   Texts come from the page (<script type="application/json" id="portal-texts">). Without
   this script the form posts normally and the server answers with pages. */
(function () {
  "use strict";

  var T = {};
  var lang = document.documentElement.lang || "de";

  function t(key, values) {
    var text = T[key] || key;
    Object.keys(values || {}).forEach(function (name) {
      text = text.split("{" + name + "}").join(values[name]);
    });
    return text;
  }

  function fmtSize(size) {
    if (size < 1024) return size + " B";
    if (size < 1048576) return (size / 1024).toFixed(1) + " KB";
    return (size / 1048576).toFixed(1) + " MB";
  }

  function fmtTime(epoch) {
    try {
      return new Date(epoch * 1000).toLocaleTimeString(lang, {
        hour: "2-digit", minute: "2-digit", timeZone: "Europe/Berlin"
      });
    } catch (err) {
      return new Date(epoch * 1000).toTimeString().slice(0, 5);
    }
  }

  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  /* The file's SHA-256, or null where the browser offers no digest (plain http). */
  function sha256(file) {
    if (!window.crypto || !window.crypto.subtle || !file.arrayBuffer) {
      return Promise.resolve(null);
    }
    return file.arrayBuffer()
      .then(function (data) { return window.crypto.subtle.digest("SHA-256", data); })
      .then(hex, function () { return null; });
  }

  function csrfToken(form) {
    var field = form.querySelector("input[name=csrf_token]");
    return field ? field.value : "";
  }

  function showAlert(box, text) {
    box.textContent = text;
    box.hidden = !text;
  }

  /* ---- the session: warn before it ends, extend it, type the code again ---- */

  function Session(root, reenter, onRenewed) {
    var ends = parseInt(root.dataset.ends || "0", 10);
    var warnBefore = parseInt(root.dataset.warn || "600", 10);
    var text = root.querySelector("[data-session-text]");
    var extend = root.querySelector("form[data-extend]");
    var self = this;

    function now() { return Math.floor(Date.now() / 1000); }

    this.ended = function () {
      ends = 0;
      root.classList.add("warn");
      text.textContent = t("session_over");
      if (extend) extend.hidden = true;
      if (reenter) {
        reenter.hidden = false;
        reenter.querySelector("input[name=code]").focus();
      }
    };

    this.renewed = function (newEnd, message) {
      ends = newEnd;
      root.classList.remove("warn");
      text.textContent = message;
      if (extend) extend.hidden = false;
      if (reenter) reenter.hidden = true;
      onRenewed(message);
    };

    function tick() {
      var left = ends - now();
      if (left <= 0) {
        if (!reenter || reenter.hidden) self.ended();
      } else if (left <= warnBefore) {
        root.classList.add("warn");
        text.textContent = t("session_warning", { time: fmtTime(ends) });
      }
    }

    if (extend) {
      extend.addEventListener("submit", function (event) {
        event.preventDefault();
        post(extend.action, new URLSearchParams({ csrf_token: csrfToken(extend) }), csrfToken(extend))
          .then(function (answer) {
            if (answer.status === 200 && answer.body && answer.body.session_ends) {
              self.renewed(answer.body.session_ends,
                t("extended", { time: fmtTime(answer.body.session_ends) }));
            } else {
              self.ended();
            }
          }, function () { text.textContent = t("network_error"); });
      });
    }

    if (reenter) {
      var problem = reenter.querySelector("[data-reenter-error]");
      reenter.addEventListener("submit", function (event) {
        event.preventDefault();
        var data = new URLSearchParams(new FormData(reenter));
        post(reenter.action, data, csrfToken(reenter)).then(function (answer) {
          if (answer.status === 200 && answer.body && answer.body.session_ends) {
            showAlert(problem, "");
            reenter.querySelector("input[name=code]").value = "";
            self.renewed(answer.body.session_ends, t("code_ok"));
          } else {
            showAlert(problem, (answer.body && answer.body.detail) || t("unexpected_answer"));
          }
        }, function () { showAlert(problem, t("network_error")); });
      });
    }

    tick();
    window.setInterval(tick, 15000);
  }

  /* POST and read a JSON answer; resolves {status, body} (body null if not JSON). */
  function post(url, body, token) {
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      xhr.open("POST", url);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.setRequestHeader("X-CSRF-Token", token);
      xhr.onload = function () { resolve({ status: xhr.status, body: parse(xhr) }); };
      xhr.onerror = reject;
      xhr.send(body);
    });
  }

  function parse(xhr) {
    if ((xhr.getResponseHeader("Content-Type") || "").indexOf("application/json") < 0) {
      return null;
    }
    try { return JSON.parse(xhr.responseText); } catch (err) { return null; }
  }

  /* ---- the upload form ---- */

  function setup(form) {
    var input = form.querySelector("input[type=file]");
    var list = form.querySelector("[data-progress]");
    var errors = form.querySelector("[data-errors]");
    var button = form.querySelector("button[type=submit]");
    var together = form.querySelector("[data-together]");
    var maxBytes = parseInt(form.dataset.maxBytes || "0", 10);
    var types = (form.dataset.types || "").split(",").filter(Boolean);
    var rows = [];
    var busy = false;
    var session = null;
    var sessionRoot = document.querySelector("[data-session]");
    var reenter = document.querySelector("form[data-reenter]");
    if (sessionRoot) {
      session = new Session(sessionRoot, reenter, function (message) {
        showAlert(errors, message);
      });
    }
    input.required = false; /* the list, not the input, holds the choice */

    function problem(file) {
      if (!file.size) return "empty";
      if (maxBytes && file.size > maxBytes) return "too_large";
      if (types.length && file.type && types.indexOf(file.type) < 0) return "bad_type";
      return "";
    }

    function setState(row, state, text, advice) {
      row.state = state;
      row.li.dataset.state = state;
      row.status.textContent = text;
      row.advice.textContent = advice || "";
      row.advice.hidden = !advice;
      row.remove.hidden = state === "accepted" || state === "sending";
    }

    function add(file) {
      var same = rows.some(function (row) {
        return row.file.name === file.name && row.file.size === file.size &&
          row.file.lastModified === file.lastModified && row.state !== "refused";
      });
      if (same) return;
      var li = document.createElement("li");
      var name = document.createElement("span");
      name.className = "name";
      name.textContent = file.name + " (" + fmtSize(file.size) + ")";
      var bar = document.createElement("progress");
      bar.max = 100;
      bar.value = 0;
      bar.setAttribute("aria-label", file.name);
      var status = document.createElement("span");
      status.className = "state";
      var advice = document.createElement("span");
      advice.className = "advice";
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "link";
      remove.textContent = t("remove");
      remove.setAttribute("aria-label", t("remove") + ": " + file.name);
      var up = document.createElement("button");
      up.type = "button";
      up.className = "link";
      up.textContent = "↑ " + t("move_up");
      up.setAttribute("aria-label", t("move_up") + ": " + file.name);
      li.appendChild(name);
      li.appendChild(bar);
      li.appendChild(status);
      li.appendChild(advice);
      li.appendChild(up);
      li.appendChild(remove);
      list.appendChild(li);
      var row = { file: file, li: li, bar: bar, status: status, advice: advice, remove: remove };
      /* the page order of photos sent as one document is the order of this list */
      up.addEventListener("click", function () {
        var at = rows.indexOf(row);
        if (at <= 0) return;
        rows.splice(at, 1);
        rows.splice(at - 1, 0, row);
        list.insertBefore(li, rows[at].li);
        up.focus();
      });
      remove.addEventListener("click", function () {
        rows = rows.filter(function (r) { return r !== row; });
        list.removeChild(li);
      });
      rows.push(row);
      var bad = problem(file);
      if (bad) setState(row, "refused", t(bad), t("advice_" + bad));
      else setState(row, "pending", "");
    }

    input.addEventListener("change", function () {
      Array.prototype.forEach.call(input.files || [], add);
      input.value = ""; /* picking again adds to the list, also the same file */
    });

    function markUnsent(sending, state, text) {
      sending.forEach(function (row) {
        row.bar.value = 0;
        setState(row, state, text);
      });
    }

    function confirmed(row, entry) {
      return entry && /^[0-9a-f-]{36}$/.test(entry.document_id || "") &&
        /^[0-9a-f]{64}$/.test(entry.sha256 || "") &&
        (!row.sha256 || row.sha256 === entry.sha256);
    }

    function byIndex(entries, index) {
      if (!Array.isArray(entries)) return null;
      return entries.filter(function (e) { return e && e.index === index; })[0] || null;
    }

    function answered(sending, status, body) {
      if (!body || typeof body !== "object") {
        markUnsent(sending, "failed", t("not_confirmed"));
        showAlert(errors, t("unexpected_answer"));
        return;
      }
      if (status === 401 && body.error === "session_expired") {
        markUnsent(sending, "failed", t("not_sent"));
        showAlert(errors, body.detail || t("session_expired"));
        if (session) session.ended();
        return;
      }
      if (status !== 201 && !(Array.isArray(body.refused) && body.refused.length)) {
        markUnsent(sending, "failed", t("not_sent"));
        var said = Array.isArray(body.messages) ? body.messages.join(" ") : "";
        showAlert(errors, said || body.detail || t("unexpected_answer"));
        return;
      }
      var unconfirmed = 0;
      sending.forEach(function (row, index) {
        var stored = byIndex(body.stored, index);
        var refused = byIndex(body.refused, index);
        if (confirmed(row, stored)) {
          row.bar.value = 100;
          row.documentId = stored.document_id;
          setState(row, "accepted", t("accepted"));
        } else if (refused) {
          row.bar.value = 0;
          setState(row, "refused", refused.message || t(refused.reason),
            refused.advice || t("advice_" + refused.reason));
        } else {
          unconfirmed += 1;
          row.bar.value = 0;
          setState(row, "failed", t("not_confirmed"));
        }
      });
      if (unconfirmed) {
        showAlert(errors, t("unexpected_answer"));
      } else if (body.redirect) {
        window.location.assign(body.redirect);
      } else {
        showAlert(errors, Array.isArray(body.messages) ? body.messages.join(" ") : "");
      }
    }

    function send(sending) {
      var data = new FormData();
      data.append("csrf_token", csrfToken(form));
      sending.forEach(function (row) { data.append(input.name, row.file, row.file.name); });
      var mail = form.querySelector("input[name=notify_email]");
      if (mail && mail.value) data.append("notify_email", mail.value);
      if (together && together.checked) {
        /* photos of one paper: one document, pages in the list's order (positions in
           this request); PDFs among them stay documents of their own */
        var photos = [];
        sending.forEach(function (row, index) {
          if (/^image\//.test(row.file.type || "") || /\.(jpe?g|png)$/i.test(row.file.name)) {
            photos.push(index);
          }
        });
        if (photos.length > 1) data.append("bundle", photos.join(","));
      }
      rows.filter(function (row) { return row.state === "refused" && !row.reported; })
        .forEach(function (row) {
          data.append("declined_name", row.file.name);
          data.append("declined_reason", problem(row.file) || "bad_type");
        });
      var total = sending.reduce(function (sum, row) { return sum + row.file.size; }, 0) || 1;
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.setRequestHeader("X-CSRF-Token", csrfToken(form));
      xhr.upload.onprogress = function (e) {
        var sent = e.lengthComputable ? e.loaded * total / e.total : 0;
        var before = 0;
        sending.forEach(function (row) {
          var part = Math.min(Math.max(sent - before, 0), row.file.size);
          row.bar.value = row.file.size ? Math.round(99 * part / row.file.size) : 0;
          before += row.file.size;
        });
      };
      function done() { busy = false; button.disabled = false; }
      xhr.onload = function () {
        done();
        var body = parse(xhr);
        if (body && (xhr.status === 201 || xhr.status === 415)) {
          rows.forEach(function (row) { if (row.state === "refused") row.reported = true; });
        }
        try {
          answered(sending, xhr.status, body);
        } catch (err) { /* an answer of an unexpected shape: nothing is confirmed */
          answered(sending, xhr.status, null);
        }
      };
      xhr.onerror = xhr.ontimeout = xhr.onabort = function () {
        done();
        markUnsent(sending, "failed", t("not_sent"));
        showAlert(errors, t("network_error"));
      };
      xhr.send(data);
    }

    form.addEventListener("submit", function (event) {
      if (!window.FormData || !window.Promise) return; /* the browser posts the form */
      event.preventDefault();
      if (busy) return;
      var sending = rows.filter(function (row) {
        return row.state === "pending" || row.state === "failed";
      });
      if (!sending.length) {
        showAlert(errors, rows.length ? t("no_file_valid") : t("no_files"));
        return;
      }
      busy = true;
      button.disabled = true;
      showAlert(errors, "");
      sending.forEach(function (row) { setState(row, "sending", t("uploading")); });
      /* one file at a time: a phone holds one file's bytes, not all twenty at once */
      sending.reduce(function (chain, row) {
        return chain.then(function () {
          return sha256(row.file).then(function (digest) { row.sha256 = digest; });
        });
      }, Promise.resolve()).then(function () { send(sending); }, function () { send(sending); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var texts = document.getElementById("portal-texts");
    if (texts) {
      try { T = JSON.parse(texts.textContent); } catch (err) { T = {}; }
    }
    document.querySelectorAll("form[data-portal-upload]").forEach(setup);
  });
})();
