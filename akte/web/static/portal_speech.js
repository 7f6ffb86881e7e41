/* Read the portal page aloud in the page's language.

   What is read: the portal's own texts of this page (listed by the server in
   <script type="application/json" id="speak-texts">), never file names or what the office
   wrote, so nothing personal goes to a speech service.

   How: the browser's speech synthesis where the device has a local voice for the language
   (a voice that would send the text to a cloud service is not used); otherwise, where the
   server can speak the language ("server": true, espeak-ng), the audio of each text from
   /upload/speech/<lang>/<key>, one after the other. Where neither exists the button stays
   hidden. */
(function () {
  "use strict";

  var button = document.getElementById("read-aloud");
  var data = document.getElementById("speak-texts");
  if (!button || !data) return;
  var page = JSON.parse(data.textContent);
  var lang = (document.documentElement.lang || "de").toLowerCase();
  var synth = window.speechSynthesis || null;
  var active = null;

  function localVoice() {
    if (!synth || !synth.getVoices) return null;
    var voices = synth.getVoices();
    for (var i = 0; i < voices.length; i++) {
      var voiceLang = (voices[i].lang || "").toLowerCase().split(/[-_]/)[0];
      if (voiceLang === lang && voices[i].localService) return voices[i];
    }
    return null;
  }

  function mode() {
    if (!page.items.length) return null;
    if (localVoice()) return "browser";
    return page.server ? "server" : null;
  }

  function show() {
    var how = mode();
    button.hidden = !how;
    button.dataset.mode = how || "";
  }

  function setPlaying(playing) {
    button.setAttribute("aria-pressed", playing ? "true" : "false");
    button.textContent = playing ? button.dataset.stop : button.dataset.start;
  }

  function stop() {
    if (active) active.stop();
    active = null;
    setPlaying(false);
  }

  function readInBrowser() {
    var voice = localVoice();
    var cancelled = false;
    page.items.forEach(function (item, index) {
      var utterance = new SpeechSynthesisUtterance(item.text);
      utterance.lang = lang;
      utterance.voice = voice;
      if (index === page.items.length - 1) {
        utterance.onend = function () { if (!cancelled) stop(); };
      }
      synth.speak(utterance);
    });
    return { stop: function () { cancelled = true; synth.cancel(); } };
  }

  function readFromServer() {
    var index = 0;
    var audio = new Audio();
    var stopped = false;
    function next() {
      if (stopped) return;
      if (index >= page.items.length) { stop(); return; }
      audio.src = "/upload/speech/" + encodeURIComponent(lang) + "/" +
        encodeURIComponent(page.items[index].key);
      index += 1;
      var played = audio.play();
      if (played && played.catch) played.catch(function () { stop(); });
    }
    audio.addEventListener("ended", next);
    audio.addEventListener("error", function () { stop(); });
    next();
    return { stop: function () { stopped = true; audio.pause(); } };
  }

  button.addEventListener("click", function () {
    if (active) { stop(); return; }
    var how = mode();
    if (!how) return;
    setPlaying(true);
    active = how === "browser" ? readInBrowser() : readFromServer();
  });

  show();
  if (synth && synth.addEventListener) synth.addEventListener("voiceschanged", show);
}());
