/* Per-file upload progress for forms marked data-upload. Files over data-max-bytes or of
   a type outside data-types are marked at once and not sent (saves a slow connection);
   the server checks every file again anyway. Without this script the form
   posts normally; with it, one XHR sends all files and the bytes sent so far are mapped
   onto the files in order (multipart sends them one after another), so each file shows
   its own progress. The server answers JSON: {redirect, messages}; any other answer marks the files failed.
   (The citizen portal has its own, stricter script: portal.js.) */
(function () {
  "use strict";

  function fmt(size) {
    if (size < 1024) return size + " B";
    if (size < 1048576) return (size / 1024).toFixed(1) + " KB";
    return (size / 1048576).toFixed(1) + " MB";
  }

  function setup(form) {
    var input = form.querySelector("input[type=file]");
    var list = form.querySelector("[data-progress]");
    var errors = form.querySelector("[data-errors]");
    var dropzone = form.querySelector("[data-dropzone]");
    var picked = null;
    var rows = [];
    if (!errors.id) errors.id = (input.id || "upload") + "-errors";

    /* the message beside the form, and tied to the file field (aria-invalid,
       aria-describedby) so a screen reader reads it with the field */
    function fail(message) {
      errors.textContent = message;
      errors.hidden = false;
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", errors.id);
    }

    function clear() {
      errors.hidden = true;
      input.removeAttribute("aria-invalid");
      input.removeAttribute("aria-describedby");
    }

    var maxBytes = parseInt(form.dataset.maxBytes || "0", 10);
    var types = (form.dataset.types || "").split(",").filter(Boolean);

    function files() {
      return picked || Array.prototype.slice.call(input.files || []);
    }

    function problem(file) {
      if (maxBytes && file.size > maxBytes) return form.dataset.tooLarge;
      if (types.length && file.type && types.indexOf(file.type) < 0) return form.dataset.badType;
      return "";
    }

    function show() {
      list.textContent = "";
      rows = files().map(function (file) {
        var li = document.createElement("li");
        var name = document.createElement("span");
        name.className = "name";
        name.textContent = file.name + " (" + fmt(file.size) + ")";
        var bar = document.createElement("progress");
        bar.max = 100;
        bar.value = 0;
        bar.setAttribute("aria-label", file.name);
        var state = document.createElement("span");
        state.className = "state";
        var bad = problem(file);
        state.textContent = bad;
        li.appendChild(name);
        li.appendChild(bar);
        li.appendChild(state);
        list.appendChild(li);
        return { file: file, bar: bar, state: state, bad: bad };
      });
    }

    input.addEventListener("change", function () {
      picked = null;
      clear();
      show();
    });

    if (dropzone) {
      ["dragenter", "dragover"].forEach(function (type) {
        dropzone.addEventListener(type, function (event) {
          event.preventDefault();
          dropzone.classList.add("over");
        });
      });
      ["dragleave", "drop"].forEach(function (type) {
        dropzone.addEventListener(type, function () {
          dropzone.classList.remove("over");
        });
      });
      dropzone.addEventListener("drop", function (event) {
        event.preventDefault();
        picked = Array.prototype.slice.call(event.dataTransfer.files || []);
        input.required = false;
        show();
      });
    }

    form.addEventListener("submit", function (event) {
      if (!files().length || !window.FormData) return; /* let the browser validate / post */
      event.preventDefault();
      if (!rows.length) show();
      var sending = rows.filter(function (row) { return !row.bad; });
      var chosen = sending.map(function (row) { return row.file; });
      if (!chosen.length) {
        fail(form.dataset.failed);
        return;
      }
      var data = new FormData();
      form.querySelectorAll("input[type=hidden], input[type=text], select, textarea").forEach(
        function (field) { if (field.name) data.append(field.name, field.value); }
      );
      chosen.forEach(function (file) { data.append(input.name, file, file.name); });
      var total = chosen.reduce(function (sum, f) { return sum + f.size; }, 0) || 1;
      var button = form.querySelector("button[type=submit]");
      button.disabled = true;
      clear();
      sending.forEach(function (row) { row.state.textContent = form.dataset.uploading; });
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.onprogress = function (e) {
        var sent = e.lengthComputable ? e.loaded * total / e.total : 0;
        var before = 0;
        sending.forEach(function (row) {
          var part = Math.min(Math.max(sent - before, 0), row.file.size);
          row.bar.value = row.file.size ? Math.round(100 * part / row.file.size) : 100;
          before += row.file.size;
        });
      };
      xhr.onload = function () {
        var body = null;
        try { body = JSON.parse(xhr.responseText); } catch (err) { body = null; }
        if (!body || typeof body !== "object") {
          /* not the JSON this script asked for (an ended session's login page): nothing
             here says the files were stored, so none is shown as done */
          sending.forEach(function (row) {
            row.bar.value = 0;
            row.state.textContent = form.dataset.failed;
          });
          fail(form.dataset.failed);
          button.disabled = false;
          return;
        }
        var refused = (body.refused || []).map(function (r) { return r.filename; });
        sending.forEach(function (row) {
          var bad = xhr.status >= 400 || refused.indexOf(row.file.name) >= 0;
          row.bar.value = bad ? 0 : 100;
          row.state.textContent = bad ? form.dataset.failed : form.dataset.done;
        });
        if (body.messages && body.messages.length) {
          fail(body.messages.join(" · "));
        } else if (xhr.status >= 400) {
          fail(body.detail || form.dataset.failed);
        }
        button.disabled = false;
        if (body.redirect) window.location.assign(body.redirect);
      };
      xhr.onerror = function () {
        fail(form.dataset.failed);
        button.disabled = false;
      };
      xhr.send(data);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-upload]").forEach(setup);
  });
})();
