"""From a file on disk to page texts, an archive PDF and a thumbnail; no database here.

:func:`process_file` is the whole pipeline and is what ``bench/ocr`` measures. It never
changes its input and writes only into ``workdir``. Deterministic bad input raises
:class:`~ingest.limits.ProcessingFailed` with a reason for people; anything else that
escapes is an environment problem (disk full, Tesseract missing) and worth a retry.

Page by page: PDF pages with a usable text layer are read directly; every other page (and
every page of a TIFF, JPEG or PNG) is rendered or decoded here, on the calling thread (pdfium
is not thread-safe), and handed to a pool of ``limits.ocr_workers`` threads, each driving
one single-threaded Tesseract process. At most two pages per OCR thread wait in memory, so
a 2,000-page scan needs no more memory than a 4-page one.
"""

from __future__ import annotations

import contextlib
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image

from akte.documents.mediatypes import SNIFF_BYTES, is_accepted, sniff
from ingest import archive, images, pdf
from ingest.limits import Limits, ProcessingFailed
from ingest.ocr import OcrPage, ocr_page
from ingest.pdfium_lock import PDFIUM_LOCK


@dataclass
class PageResult:
    page_no: int
    text: str
    method: str  # "text-layer", "ocr" or "failed"
    confidence: float | None = None
    rotated: int = 0
    skew: float = 0.0
    #: Why this page could not be processed (``method == "failed"``); the others were.
    problem: str | None = None


@dataclass
class Processed:
    mime_type: str
    pages: list[PageResult]
    archive_path: Path
    thumbnail_png: bytes
    #: What keeps the archive from being PDF/A-2b, in the order found; empty: declared.
    pdfa_problems: list[str] = field(default_factory=list)

    @property
    def pdfa(self) -> bool:
        return not self.pdfa_problems

    @property
    def page_count(self) -> int:
        return len(self.pages)

    @property
    def problems(self) -> list[PageResult]:
        return [page for page in self.pages if page.method == "failed"]

    def summary(self) -> str | None:
        """ "ready with problems: page 2: …" for the document's status, or ``None``."""
        failed = self.problems
        if not failed:
            return None
        shown = "; ".join(page.problem or f"page {page.page_no} failed" for page in failed[:5])
        more = f" (and {len(failed) - 5} more pages)" if len(failed) > 5 else ""
        return f"ready with problems: {shown}{more}"[:1000]


def detect(path: Path) -> str:
    """The content type by the file's bytes (the upload sniffed it too; files get replaced)."""
    with path.open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
    if not head:
        raise ProcessingFailed("the file is empty (0 bytes)")
    mime = sniff(head)
    if not is_accepted(mime):
        raise ProcessingFailed(f"not a supported file type: {mime}")
    return mime


@dataclass
class _OcrPool:
    workdir: Path
    limits: Limits
    futures: dict[int, Future[OcrPage]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.executor = ThreadPoolExecutor(
            max(1, self.limits.ocr_workers), thread_name_prefix="akte-ocr"
        )

    def submit(
        self,
        image: Image.Image,
        page_no: int,
        dpi: int,
        jpeg: bytes | None = None,
        *,
        lossless: bool = False,
    ) -> None:
        """Queue a page; blocks while enough pages are waiting (bounded memory)."""
        self._raise_failures()
        while sum(not f.done() for f in self.futures.values()) >= 2 * self.limits.ocr_workers:
            wait([f for f in self.futures.values() if not f.done()], return_when=FIRST_COMPLETED)
            self._raise_failures()
        self.futures[page_no] = self.executor.submit(
            ocr_page,
            image,
            page_no=page_no,
            dpi=dpi,
            workdir=self.workdir,
            limits=self.limits,
            jpeg=jpeg,
            lossless=lossless,
        )

    def _raise_failures(self) -> None:
        """Stops the document for trouble of the machine (disk full, Tesseract missing);
        a page that cannot be recognised (``ProcessingFailed``) fails only that page."""
        for future in self.futures.values():
            if future.done():
                error = future.exception()
                if error is not None and not isinstance(error, ProcessingFailed):
                    raise error

    def results(self) -> dict[int, OcrPage | ProcessingFailed]:
        """Each page's reading, or the reason it has none."""
        wait(list(self.futures.values()))
        self._raise_failures()
        return {
            page_no: future.exception() or future.result()  # type: ignore[misc]
            for page_no, future in self.futures.items()
        }

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)


def process_file(path: Path, workdir: Path, limits: Limits | None = None) -> Processed:
    """The whole pipeline. A page that cannot be processed is marked failed with its
    reason and the others go on; only when no page can be processed does the document
    fail (:class:`ProcessingFailed` with the first pages' reasons)."""
    limits = limits or Limits()
    workdir.mkdir(parents=True, exist_ok=True)
    mime = detect(path)
    pool = _OcrPool(workdir, limits)
    try:
        with PDFIUM_LOCK:
            if mime == "application/pdf":
                return _process_pdf(path, workdir, limits, pool)
            return _process_image(path, mime, workdir, limits, pool)
    finally:
        pool.close()


def _ocr_result(page: OcrPage) -> PageResult:
    return PageResult(page.page_no, page.text, "ocr", page.confidence, page.rotated, page.skew)


def _failed(page_no: int, problem: str) -> PageResult:
    return PageResult(page_no, "", "failed", problem=problem)


def _all_failed(results: list[PageResult]) -> None:
    """Nothing could be processed: the document fails, with the reason of its pages."""
    if results and all(page.method == "failed" for page in results):
        reasons = list(dict.fromkeys(page.problem or "" for page in results))
        more = f" (and {len(reasons) - 3} more reasons)" if len(reasons) > 3 else ""
        raise ProcessingFailed("; ".join(reasons[:3]) + more)


#: The source PDF is closed and opened again after so many pages: pdfium keeps what it
#: parsed (content streams, images, fonts) until the document is closed, about 0.5 MB a
#: page, so a 2,000-page file would otherwise grow the process by a gigabyte.
RECYCLE_PAGES = 25


def _process_pdf(path: Path, workdir: Path, limits: Limits, pool: _OcrPool) -> Processed:
    """Per page: a usable text layer is kept; every other page is OCR'd. A short or
    partly unmapped text layer is kept too when OCR reads no more letters and digits
    from the page than the layer has (a bare "Anlage 3" must not become an empty page)."""
    source = pdf.open_pdf(path)
    try:
        count = len(source)
        if count == 0:
            raise ProcessingFailed("PDF has no pages")
        if count > limits.max_pages:
            raise ProcessingFailed(
                f"PDF has {count:,} pages, more than the limit of {limits.max_pages:,}"
            )
        text_pages: dict[int, PageResult] = {}
        layers: dict[int, str] = {}  # short or unclean layers, kept if OCR does no better
        problems: dict[int, str] = {}
        for index in range(count):
            page_no = index + 1
            if index and index % RECYCLE_PAGES == 0:
                source.close()
                source = pdf.open_pdf(path)
            try:
                page = source[index]
            except pdfium.PdfiumError:
                problems[page_no] = f"page {page_no} could not be read (damaged page)"
                continue
            try:
                text = pdf.page_text(page)
                if pdf.usable_text(text):
                    text_pages[page_no] = PageResult(page_no, text.strip(), "text-layer")
                    continue
                if pdf.useful_chars(text):
                    layers[page_no] = text.strip()
                try:
                    _submit_page(pool, page, page_no, limits)
                except ProcessingFailed as exc:
                    problems[page_no] = str(exc)
            finally:
                page.close()
    finally:
        source.close()
    ocr = pool.results()
    sources: list[archive.SourcePage] = []
    results: list[PageResult] = []
    for page_no in range(1, count + 1):
        reading = ocr.get(page_no)
        layer = layers.get(page_no)
        if page_no in text_pages:
            results.append(text_pages[page_no])
        elif isinstance(reading, OcrPage) and not (
            layer and pdf.useful_chars(layer) >= pdf.useful_chars(reading.text)
        ):
            results.append(_ocr_result(reading))
            sources.append(archive.SourcePage(reading.pdf_path, 0))
            continue
        elif layer:  # OCR read less, or could not run: the layer is the better text
            results.append(PageResult(page_no, layer, "text-layer"))
        else:
            problem = problems.get(page_no) or str(reading)
            results.append(_failed(page_no, problem))
            sources.append(archive.placeholder(page_no, problem, workdir))
            continue
        sources.append(archive.SourcePage(path, page_no - 1))
    _all_failed(results)
    return _finish("application/pdf", results, sources, workdir, limits)


def _submit_page(pool: _OcrPool, page: pdfium.PdfPage, page_no: int, limits: Limits) -> None:
    """Render a page for OCR. A scanned page is rendered as it was scanned (its own
    resolution, bitonal or grey or colour) and hands on its JPEG, so the archive page is
    no larger than the scan; other pages are rendered grey at ``limits.dpi``."""
    scan = pdf.scan_of(page)
    dpi = pdf.scan_dpi(scan, pdf.render_dpi(page, page_no, limits), limits)
    image = pdf.render(page, page_no, dpi, grayscale=not (scan and scan.colour))
    if scan and scan.bitonal:
        image = image.convert("L").convert("1", dither=Image.Dither.NONE)
        image.info["dpi"] = (dpi, dpi)
    pool.submit(image, page_no, dpi, scan.jpeg if scan else None)


def _process_image(
    path: Path, mime: str, workdir: Path, limits: Limits, pool: _OcrPool
) -> Processed:
    problems: dict[int, str] = {}
    count = 0
    for raster in images.iter_pages(path, limits):
        count = raster.page_no
        if raster.image is None:
            problems[raster.page_no] = raster.problem or f"page {raster.page_no} failed"
        else:
            pool.submit(
                raster.image, raster.page_no, raster.dpi, raster.jpeg, lossless=raster.lossless
            )
    if count == 0:
        raise ProcessingFailed("the image has no pages")
    ocr = pool.results()
    results: list[PageResult] = []
    sources: list[archive.SourcePage] = []
    for page_no in range(1, count + 1):
        reading = ocr.get(page_no)
        if isinstance(reading, OcrPage):
            results.append(_ocr_result(reading))
            sources.append(archive.SourcePage(reading.pdf_path, 0))
        else:
            problem = problems.get(page_no) or str(reading)
            results.append(_failed(page_no, problem))
            sources.append(archive.placeholder(page_no, problem, workdir))
    _all_failed(results)
    return _finish(mime, results, sources, workdir, limits)


def _finish(
    mime: str,
    results: list[PageResult],
    sources: list[archive.SourcePage],
    workdir: Path,
    limits: Limits,
) -> Processed:
    out = workdir / "archive.pdf"
    with contextlib.suppress(FileNotFoundError):
        out.unlink()
    found = archive.build(sources, out)
    return Processed(mime, results, out, archive.thumbnail(out, limits.thumbnail_width), found)
