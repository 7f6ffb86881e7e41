/* The document viewer: PDF.js draws one page at a time from byte ranges of the archive PDF.

   Why not the browser's viewer: it downloads the whole file (188 MB for a 200-page scan)
   before page 1 appears. Here the script asks for the first 64 KiB (Range), hands PDF.js a
   transport that fetches further 64 KiB chunks only when a page needs them
   (disableAutoFetch, no streaming), and never issues a plain GET for the file. The archive
   is linearised, so page 1 lies at the front.

   Markup (document.html): #pdfviewer with data-src (the download URL), data-page (the
   page to open; #page=N in the address wins), data-lib/data-worker/data-fonts (PDF.js).
   Without script, or when PDF.js fails to load, the <noscript>/fallback link opens the PDF
   in the browser's viewer. */
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
  return pdfjs.getDocument(params).promise;
}

function setup(root) {
  const canvas = root.querySelector("[data-canvas]");
  const pageInput = root.querySelector("[data-page-input]");
  const count = root.querySelector("[data-count]");
  const zoomOut = root.querySelector("[data-zoom-value]");
  const status = root.querySelector("[data-status]");
  const thumbs = root.querySelector("[data-thumbs]");
  const stage = root.querySelector("[data-stage]");
  let pdf = null;
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

  async function render(number) {
    if (task) { pending = number; return; }
    const page = await pdf.getPage(number);
    const scale = fitScale(page);
    const ratio = window.devicePixelRatio || 1;
    const viewport = page.getViewport({ scale: scale * ratio });
    canvas.width = Math.floor(viewport.width);
    canvas.height = Math.floor(viewport.height);
    canvas.style.width = `${Math.floor(viewport.width / ratio)}px`;
    canvas.style.height = `${Math.floor(viewport.height / ratio)}px`;
    task = page.render({ canvasContext: canvas.getContext("2d"), viewport });
    try {
      await task.promise;
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
  window.addEventListener("hashchange", () => {
    const number = pageFromHash();
    if (number && number !== current) go(number);
  });
  stage.addEventListener("keydown", (event) => {
    if (event.key === "PageDown" || event.key === "ArrowRight") { go(current + 1); event.preventDefault(); }
    if (event.key === "PageUp" || event.key === "ArrowLeft") { go(current - 1); event.preventDefault(); }
  });

  status.textContent = "Lädt …";
  open(root).then((loaded) => {
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
