/* The document viewer: PDF.js draws one page at a time from byte ranges of the archive PDF.

   Why not the browser's viewer: it downloads the whole file (188 MB for a 200-page scan)
   before page 1 appears. Here the script asks for the first 64 KiB (Range), hands PDF.js a
   transport that fetches further 64 KiB chunks only when a page needs them
   (disableAutoFetch, no streaming), and never issues a plain GET for the file. The archive
   is linearised, so page 1 lies at the front.

   Markup (document.html): #pdfviewer with data-src (the download URL), data-page (the
   page to open; #page=N in the address wins), data-lib/data-worker/data-fonts (PDF.js),
   data-text (one page's recognised text as JSON) and data-find (the words searched for).
   Without script, or when PDF.js fails to load, the <noscript>/fallback link opens the PDF
   in the browser's viewer.

   Each drawn page gets a PDF.js text layer (selectable, invisible text over the image).
   With data-find, the words are highlighted in it: the server answers, per page, the word
   forms of that page's recognised text that the search's own analysis matches (stems,
   folded umlauts: "Kontoauszüge" for "kontoauszug"), and the script marks those forms.
   The same answer fills the recognised-text panel beside the viewer ([data-text-panel]),
   so the panel always shows the page in view, one page per request. */
const CHUNK = 65536;
const ZOOMS = [0.5, 0.75, 1, 1.25, 1.5, 2, 3];

function pageFromHash() {
  const match = /(?:^|[#&])page=(\d+)/.exec(window.location.hash);
  return match ? parseInt(match[1], 10) : null;
}

async function fetchRange(url, begin, end) {
  const response = await fetch(url, {
    headers: { Range: `bytes=${begin}-${end - 1}` },
    credentials: "same-origin",
    cache: "no-store",
  });
  if (response.status !== 206 && response.status !== 200) {
    throw new Error(`HTTP ${response.status}`);
  }
  const total = response.status === 206
    ? parseInt((response.headers.get("Content-Range") || "").split("/")[1], 10)
    : parseInt(response.headers.get("Content-Length") || "0", 10);
  return { status: response.status, total, data: new Uint8Array(await response.arrayBuffer()) };
}

async function open(root) {
  const url = root.dataset.src;
  // the library and the file's first chunk load side by side (one round trip less)
  const [pdfjs, first] = await Promise.all([import(root.dataset.lib), fetchRange(url, 0, CHUNK)]);
  pdfjs.GlobalWorkerOptions.workerSrc = root.dataset.worker;
  const params = {
    isEvalSupported: false,
    disableAutoFetch: true,
    disableStream: true,
    rangeChunkSize: CHUNK,
    standardFontDataUrl: root.dataset.fonts,
  };
  if (first.status === 206 && first.total > first.data.length) {
    const transport = new pdfjs.PDFDataRangeTransport(first.total, first.data);
    transport.requestDataRange = (begin, end) => {
      fetchRange(url, begin, end).then(
        (chunk) => transport.onDataRange(begin, chunk.data),
        (error) => root.dispatchEvent(new CustomEvent("viewer-error", { detail: error })),
      );
    };
    params.range = transport;
    params.length = first.total;
  } else {
    params.data = first.data; // a small file came whole
  }
  return [pdfjs, await pdfjs.getDocument(params).promise];
}

const WORD = "[\\p{L}\\p{N}_]";

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/* The occurrences of the word forms in text, as a regex (whole words only), or null. */
function formsPattern(forms) {
  if (!forms || !forms.length) return null;
  const sorted = [...forms].sort((a, b) => b.length - a.length).map(escapeRegExp);
  return new RegExp(`(?<!${WORD})(?:${sorted.join("|")})(?!${WORD})`, "gu");
}

/* Wrap each match of pattern in the element's text nodes in <mark>. */
function markIn(element, pattern, className) {
  const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
  const nodes = [];
  while (walker.nextNode()) nodes.push(walker.currentNode);
  let count = 0;
  for (const node of nodes) {
    const text = node.nodeValue;
    pattern.lastIndex = 0;
    let match = pattern.exec(text);
    if (!match) continue;
    const parts = document.createDocumentFragment();
    let at = 0;
    while (match) {
      parts.append(text.slice(at, match.index));
      const mark = document.createElement("mark");
      mark.className = className;
      mark.textContent = match[0];
      parts.append(mark);
      count += 1;
      at = match.index + match[0].length;
      match = pattern.exec(text);
    }
    parts.append(text.slice(at));
    node.replaceWith(parts);
  }
  return count;
}

/* The recognised-text panel, one page at a time, following the viewer. */
function textPanel(root) {
  const panel = document.querySelector("[data-text-panel]");
  const url = root.dataset.text;
  const find = root.dataset.find || "";
  let asked = 0;
  const cache = new Map(); // page -> answer, the last few only
  async function load(number) {
    if (cache.has(number)) return cache.get(number);
    const query = new URLSearchParams({ page: String(number) });
    if (find.trim()) query.set("q", find);
    const response = await fetch(`${url}?${query}`, { credentials: "same-origin" });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const answer = await response.json();
    cache.set(number, answer);
    if (cache.size > 8) cache.delete(cache.keys().next().value);
    return answer;
  }
  function show(answer) {
    if (!panel) return;
    const position = panel.querySelector("[data-text-position]");
    if (position) position.textContent = `Seite ${answer.page} von ${answer.pages}`;
    for (const step of panel.querySelectorAll("[data-text-step]")) {
      const target = answer.page + parseInt(step.dataset.textStep, 10);
      step.closest("li").hidden = target < 1 || target > answer.pages;
      step.href = `?page=${target}#text-h`;
    }
    const box = panel.querySelector("[data-text-pages]");
    if (!box) return;
    const heading = document.createElement("h3");
    heading.id = `seite-${answer.page}`;
    heading.textContent = `Seite ${answer.page} `;
    const meta = document.createElement("span");
    meta.className = "meta";
    meta.textContent = answer.method === "ocr" ? "(Texterkennung)" : "(Textebene)";
    heading.append(meta);
    const body = document.createElement("div");
    body.className = "ocr";
    body.tabIndex = 0;
    body.setAttribute("role", "region");
    body.setAttribute("aria-label", `Text Seite ${answer.page}`);
    body.dataset.textBody = "";
    if (answer.damaged) {
      body.textContent = "Der gespeicherte Text dieser Seite ist beschädigt und wird nicht angezeigt.";
    } else if (answer.method === null) {
      body.textContent = "Für diese Seite ist kein Text erkannt.";
    } else {
      body.textContent = answer.text;
      const pattern = formsPattern(answer.forms);
      if (pattern) markIn(body, pattern, "hit");
    }
    box.replaceChildren(heading, body);
    panel.dataset.textPage = String(answer.page);
  }
  return {
    /* The page's answer (for the highlights), shown in the panel unless the viewer has
       moved on meanwhile. */
    async follow(number) {
      asked = number;
      try {
        const answer = await load(number);
        if (asked === number) show(answer);
        return answer;
      } catch (error) {
        return null;
      }
    },
    panel,
  };
}

function setup(root) {
  const canvas = root.querySelector("[data-canvas]");
  const textLayer = root.querySelector("[data-textlayer]");
  const texts = textPanel(root);
  const pageInput = root.querySelector("[data-page-input]");
  const count = root.querySelector("[data-count]");
  const zoomOut = root.querySelector("[data-zoom-value]");
  const status = root.querySelector("[data-status]");
  const thumbs = root.querySelector("[data-thumbs]");
  const stage = root.querySelector("[data-stage]");
  let pdf = null;
  let pdfjs = null;
  let current = pageFromHash() || parseInt(root.dataset.page || "1", 10) || 1;
  let zoom = 2; // index into ZOOMS: 1 = fit width
  let task = null;
  let pending = null;

  root.addEventListener("viewer-error", () => {
    status.textContent = "Die Datei konnte nicht geladen werden.";
  });

  function fitScale(page) {
    const width = Math.max(stage.clientWidth - 8, 200);
    return (width / page.getViewport({ scale: 1 }).width) * ZOOMS[zoom];
  }

  /* The page's text layer, and the searched words marked in it. */
  async function drawText(page, number, scale, words) {
    textLayer.replaceChildren();
    textLayer.style.setProperty("--scale-factor", String(scale));
    const layer = new pdfjs.TextLayer({
      textContentSource: page.streamTextContent(),
      container: textLayer,
      viewport: page.getViewport({ scale }),
    });
    await layer.render();
    const answer = await words;
    const pattern = answer && formsPattern(answer.forms);
    const marked = pattern ? markIn(textLayer, pattern, "pv-hit") : 0;
    root.dataset.textPage = String(number);
    root.dataset.hits = String(marked);
    const first = textLayer.querySelector("mark.pv-hit");
    if (first) first.scrollIntoView({ block: "center", inline: "nearest" });
  }

  async function render(number) {
    if (task) { pending = number; return; }
    const words = texts.follow(number); // the panel and the highlights, side by side
    const page = await pdf.getPage(number);
    const scale = fitScale(page);
    const ratio = window.devicePixelRatio || 1;
    const viewport = page.getViewport({ scale: scale * ratio });
    canvas.width = Math.floor(viewport.width);
    canvas.height = Math.floor(viewport.height);
    canvas.style.width = `${Math.floor(viewport.width / ratio)}px`;
    canvas.style.height = `${Math.floor(viewport.height / ratio)}px`;
    textLayer.replaceChildren();
    task = page.render({ canvasContext: canvas.getContext("2d"), viewport });
    try {
      await task.promise;
      await drawText(page, number, scale, words).catch(() => {}); // the image counts
    } catch (error) {
      if (error && error.name !== "RenderingCancelledException") throw error;
    } finally {
      task = null;
      page.cleanup();
    }
    canvas.setAttribute("aria-label", `Seite ${number} von ${pdf.numPages}`);
    root.dataset.rendered = String(number);
    performance.mark(`akte-page-${number}`); // for tests and bench.viewer: bytes before it
    status.textContent = "";
    if (pending !== null) {
      const next = pending;
      pending = null;
      if (next !== number) await render(next);
    }
  }

  function go(number) {
    if (!pdf) return;
    current = Math.min(Math.max(1, number), pdf.numPages);
    pageInput.value = String(current);
    history.replaceState(null, "", `#page=${current}`);
    markThumb();
    render(current);
  }

  function markThumb() {
    for (const item of thumbs.querySelectorAll("[aria-current]")) item.removeAttribute("aria-current");
    const thumb = thumbs.querySelector(`[data-thumb="${current}"]`);
    if (thumb) {
      thumb.setAttribute("aria-current", "page");
      thumbs.scrollTop = thumb.offsetTop - thumbs.offsetTop - 8;
    }
  }

  /* Thumbnails: one button per page, drawn only when scrolled into view (each needs
     that page's bytes), after the page being read has been drawn. */
  function buildThumbs() {
    const seen = new IntersectionObserver((entries) => {
      for (const entry of entries) {
        if (!entry.isIntersecting) continue;
        seen.unobserve(entry.target);
        drawThumb(entry.target);
      }
    }, { root: thumbs, rootMargin: "200px 0px" });
    const items = document.createDocumentFragment();
    for (let n = 1; n <= pdf.numPages; n += 1) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "thumb";
      button.dataset.thumb = String(n);
      button.setAttribute("aria-label", `Seite ${n}`);
      const label = document.createElement("span");
      label.textContent = String(n);
      button.append(document.createElement("canvas"), label);
      button.addEventListener("click", () => go(n));
      items.append(button);
    }
    thumbs.append(items);
    markThumb();
    for (const button of thumbs.children) seen.observe(button);
  }

  const thumbQueue = [];
  let drawing = false;
  function drawThumb(button) {
    thumbQueue.push(button);
    if (!drawing) drainThumbs();
  }
  async function drainThumbs() {
    drawing = true;
    while (thumbQueue.length) {
      const button = thumbQueue.shift();
      const page = await pdf.getPage(parseInt(button.dataset.thumb, 10));
      const base = page.getViewport({ scale: 1 });
      const viewport = page.getViewport({ scale: 96 / base.width });
      const small = button.querySelector("canvas");
      small.width = Math.floor(viewport.width);
      small.height = Math.floor(viewport.height);
      try {
        await page.render({ canvasContext: small.getContext("2d"), viewport }).promise;
      } finally {
        page.cleanup();
      }
      button.dataset.drawn = "true";
    }
    drawing = false;
  }

  root.querySelector("[data-prev]").addEventListener("click", () => go(current - 1));
  root.querySelector("[data-next]").addEventListener("click", () => go(current + 1));
  root.querySelector("[data-goto]").addEventListener("submit", (event) => {
    event.preventDefault();
    go(parseInt(pageInput.value, 10) || 1);
  });
  root.querySelector("[data-zoom-in]").addEventListener("click", () => {
    zoom = Math.min(zoom + 1, ZOOMS.length - 1);
    zoomOut.textContent = `${Math.round(ZOOMS[zoom] * 100)} %`;
    render(current);
  });
  root.querySelector("[data-zoom-out]").addEventListener("click", () => {
    zoom = Math.max(zoom - 1, 0);
    zoomOut.textContent = `${Math.round(ZOOMS[zoom] * 100)} %`;
    render(current);
  });
  root.querySelector("[data-print]").addEventListener("click", () => window.print());
  for (const link of document.querySelectorAll("a[data-jump]")) {
    link.addEventListener("click", (event) => {
      if (!pdf) return;
      event.preventDefault();
      go(parseInt(link.dataset.jump, 10));
      root.scrollIntoView({ block: "start" });
    });
  }
  if (texts.panel) {
    for (const step of texts.panel.querySelectorAll("[data-text-step]")) {
      step.addEventListener("click", (event) => {
        if (!pdf) return;
        event.preventDefault();
        go(current + parseInt(step.dataset.textStep, 10));
      });
    }
  }
  window.addEventListener("hashchange", () => {
    const number = pageFromHash();
    if (number && number !== current) go(number);
  });
  stage.addEventListener("keydown", (event) => {
    if (event.key === "PageDown" || event.key === "ArrowRight") { go(current + 1); event.preventDefault(); }
    if (event.key === "PageUp" || event.key === "ArrowLeft") { go(current - 1); event.preventDefault(); }
  });

  status.textContent = "Lädt …";
  open(root).then(([library, loaded]) => {
    pdfjs = library;
    pdf = loaded;
    count.textContent = `von ${pdf.numPages}`;
    pageInput.max = String(pdf.numPages);
    root.dataset.pages = String(pdf.numPages);
    current = Math.min(current, pdf.numPages);
    pageInput.value = String(current);
    return render(current);
  }).then(buildThumbs).catch(() => {
    status.textContent = "Die Ansicht ist nicht verfügbar; bitte die Datei über den Link öffnen.";
    root.querySelector("[data-fallback]").hidden = false;
  });
}

const viewer = document.getElementById("pdfviewer");
if (viewer) {
  viewer.hidden = false;
  setup(viewer);
}
