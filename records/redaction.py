"""Schwärzung that removes: the marked text, image pixels and text layer are gone.

A black rectangle drawn over a PDF page hides nothing: the text under it is still in the
content stream (``pdftotext`` prints it), the image under it still has its pixels, and an
OCR layer (invisible text) is untouched. So a page with a mark is *rebuilt*, never covered:

1. the page is rendered to pixels (``DPI``) and every marked area is painted black in the
   raster — only the blackened raster goes into the copy, never the page's own images;
2. its text (visible or invisible, as pdfium reads it) is taken character by character;
   every character whose box touches a mark is dropped, the rest is written back as an
   invisible text layer at the same place, so the copy stays searchable and selectable;
3. the new page (raster + remaining text) replaces the old one. Annotations, form fields,
   the document's metadata (Info, XMP), attachments and JavaScript are not carried over.

Pages without a mark are copied as they are (born-digital pages keep their quality), minus
their annotations (which may hold text no mark can reach).

Areas are in PDF points in the page as displayed (``/Rotate`` and the crop box applied),
origin top left: ``(x0, top, x1, bottom)``, what a viewer drawing on the rendered page
gets with a scale of 72 dpi. Search terms become areas through pdfium's text search
(case-insensitive), one area per hit line. Text that exists only as pixels (a scan
without OCR layer) cannot be found by a term; mark it by rectangle.
"""

from __future__ import annotations

import ctypes
import io
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image, ImageDraw
from reportlab import rl_config
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas

from ingest import pdfa
from ingest.pdfium_lock import PDFIUM_LOCK
from outbox import fonts

#: Resolution of a rebuilt page: legible for print and OCR, ~0.3–0.6 MB per A4 page.
DPI = 200
#: Marks are widened by this many points, so anti-aliased glyph edges go too.
PAD = 1.5
#: Height of the horizontal bands that index a page's marks (points): a character is tested
#: only against the marks of the bands it overlaps, not against every mark of the page.
BAND = 24.0
#: The invisible layer's font: embedded (a subset per rebuilt page), so a redacted copy of a
#: PDF/A archive can be PDF/A itself, and any Latin letter of a name is kept (Helvetica's
#: WinAnsi could not encode e.g. "ş").
FONT = fonts.REGULAR


@dataclass(frozen=True)
class Area:
    """A marked rectangle on page ``page`` (1-based), display coordinates in points."""

    page: int
    x0: float
    top: float
    x1: float
    bottom: float

    def padded(self, pad: float = PAD) -> Area:
        return Area(self.page, self.x0 - pad, self.top - pad, self.x1 + pad, self.bottom + pad)

    def touches(self, x0: float, top: float, x1: float, bottom: float) -> bool:
        return x0 < self.x1 and x1 > self.x0 and top < self.bottom and bottom > self.top


class MarkIndex:
    """A page's marks by horizontal band: with a thousand marks on a page, testing each
    character against all of them took seconds of the request; a band holds a few."""

    def __init__(self, marks: Iterable[Area], band: float = BAND) -> None:
        self._band = band
        self._bands: dict[int, list[Area]] = {}
        for mark in marks:
            for key in range(int(mark.top // band), int(mark.bottom // band) + 1):
                self._bands.setdefault(key, []).append(mark)

    def touches(self, x0: float, top: float, x1: float, bottom: float) -> bool:
        for key in range(int(top // self._band), int(bottom // self._band) + 1):
            if any(m.touches(x0, top, x1, bottom) for m in self._bands.get(key, ())):
                return True
        return False


@dataclass(frozen=True)
class Hit:
    """One occurrence of a search term: where it is, for a preview before applying."""

    term: str
    page: int
    areas: tuple[Area, ...]


@dataclass
class Result:
    page_count: int
    redacted_pages: list[int] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)


def find_terms(path: Path, terms: Iterable[str]) -> list[Hit]:
    """Every hit of every term (case-insensitive) in the PDF's text, with its areas."""
    wanted = [t.strip() for t in terms if t and t.strip()]
    if not wanted:
        return []
    with PDFIUM_LOCK:
        pdf = pdfium.PdfDocument(str(path))
        try:
            hits: list[Hit] = []
            for index in range(len(pdf)):
                page = pdf[index]
                try:
                    hits.extend(_page_hits(page, index + 1, wanted))
                finally:
                    page.close()
            return hits
        finally:
            pdf.close()


def redact(
    source: Path, out: Path, *, areas: Iterable[Area] = (), terms: Iterable[str] = ()
) -> Result:
    """Write to ``out`` a copy of ``source`` with ``areas`` and every hit of ``terms``
    removed (see the module docstring). ``source`` is never changed."""
    hits = find_terms(source, terms)
    marks: dict[int, list[Area]] = {}
    for area in [*areas, *(a for hit in hits for a in hit.areas)]:
        marks.setdefault(area.page, []).append(area.padded())
    with PDFIUM_LOCK:
        src = pdfium.PdfDocument(str(source))
        dst = pdfium.PdfDocument.new()
        rebuilt: list[pdfium.PdfDocument] = []
        try:
            count = len(src)
            unknown = sorted(p for p in marks if not 1 <= p <= count)
            if unknown:
                raise ValueError(f"page {unknown[0]} does not exist (the PDF has {count})")
            for number in range(1, count + 1):
                if number in marks:
                    page_pdf = pdfium.PdfDocument(_rebuild(src[number - 1], marks[number]))
                    rebuilt.append(page_pdf)
                    dst.import_pages(page_pdf, pages=[0])
                else:  # notes go before the copy: a removed one would stay as an orphan
                    _drop_annotations(src[number - 1])
                    dst.import_pages(src, pages=[number - 1])
            dst.save(str(out))
            declared = _declared_pdfa(source)
        finally:
            for page_pdf in rebuilt:
                page_pdf.close()
            dst.close()
            src.close()
    if declared:
        with pikepdf.open(out, allow_overwriting_input=True) as pdf:
            pdfa.declare(pdf)  # only if the rebuilt pages pass the check, too
            pdf.save(out, deterministic_id=True)
    return Result(count, sorted(marks), hits)


def _declared_pdfa(path: Path) -> bool:
    with pikepdf.open(path) as pdf:
        return pdf.open_metadata().pdfa_status in ("2B", "2U", "2A")


def _page_hits(page: pdfium.PdfPage, number: int, terms: list[str]) -> Iterator[Hit]:
    textpage = page.get_textpage()
    try:
        for term in terms:
            searcher = textpage.search(term, match_case=False)
            try:
                while (found := searcher.get_next()) is not None:
                    start, length = found
                    yield Hit(
                        term, number, tuple(_hit_lines(textpage, page, number, start, length))
                    )
            finally:
                searcher.close()
    finally:
        textpage.close()


def _hit_lines(
    textpage: pdfium.PdfTextPage, page: pdfium.PdfPage, number: int, start: int, length: int
) -> Iterator[Area]:
    """The areas of one hit, one per line it spans. *Loose* character boxes (the font's
    full ascent and descent, not the glyph's ink) are used: an OCR layer's word box is
    the scanned word's box, and the ink of the pixels reaches beyond a tight glyph box."""
    line: Area | None = None
    display = DisplayMap(page)
    for index in range(start, start + length):
        box = textpage.get_charbox(index, loose=True)
        if box[2] - box[0] <= 0 and box[3] - box[1] <= 0:
            continue
        area = display.area(number, box)
        if line is not None and (area.bottom < line.top or area.top > line.bottom):
            yield line
            line = None
        line = (
            area
            if line is None
            else Area(
                number,
                min(line.x0, area.x0),
                min(line.top, area.top),
                max(line.x1, area.x1),
                max(line.bottom, area.bottom),
            )
        )
    if line is not None:
        yield line


class DisplayMap:
    """PDF user space → display points (top left origin, ``/Rotate`` and crop box applied),
    as pdfium maps it. The mapping is affine, so it is read off pdfium once per page (three
    points) instead of four calls per character."""

    #: Distance of the reference points: pdfium answers in whole device pixels.
    SPAN = 10_000.0

    def __init__(self, page: pdfium.PdfPage) -> None:
        self._x0, self._y0 = _page_to_device(page, 0.0, 0.0)
        x1, y1 = _page_to_device(page, self.SPAN, 0.0)
        x2, y2 = _page_to_device(page, 0.0, self.SPAN)
        self._ax, self._ay = (x1 - self._x0) / self.SPAN, (y1 - self._y0) / self.SPAN
        self._bx, self._by = (x2 - self._x0) / self.SPAN, (y2 - self._y0) / self.SPAN

    def point(self, x: float, y: float) -> tuple[float, float]:
        return self._x0 + self._ax * x + self._bx * y, self._y0 + self._ay * x + self._by * y

    def area(self, number: int, box: tuple[float, float, float, float]) -> Area:
        """A box in PDF user space (left, bottom, right, top) → display points."""
        left, bottom, right, top = box
        corners = [
            self.point(x, y)
            for x, y in ((left, bottom), (right, top), (left, top), (right, bottom))
        ]
        xs = [c[0] for c in corners]
        ys = [c[1] for c in corners]
        return Area(number, min(xs), min(ys), max(xs), max(ys))


def _page_to_device(page: pdfium.PdfPage, x: float, y: float) -> tuple[float, float]:
    """pdfium's own mapping (rotation and crop box included) onto a device of the
    displayed size at 1 point per unit; kept in floating point by a large device."""
    width, height = page.get_size()
    k = 100.0
    device_width, device_height = int(width * k), int(height * k)
    dx, dy = ctypes.c_int(), ctypes.c_int()
    pdfium_c.FPDF_PageToDevice(
        page.raw,
        0,
        0,
        device_width,
        device_height,
        0,
        ctypes.c_double(x),
        ctypes.c_double(y),
        ctypes.byref(dx),
        ctypes.byref(dy),
    )
    # the device is a whole number of pixels: scale back by its true size, not by k
    return dx.value * width / device_width, dy.value * height / device_height


def _rebuild(page: pdfium.PdfPage, marks: list[Area]) -> bytes:
    """One-page PDF: the page's pixels with the marks blackened, and its surviving text
    as an invisible layer."""
    fonts.register()
    width, height = page.get_size()
    scale = DPI / 72
    image = page.render(scale=scale, may_draw_forms=True).to_pil().convert("RGB")
    draw = ImageDraw.Draw(image)
    for mark in marks:
        draw.rectangle(
            [mark.x0 * scale, mark.top * scale, mark.x1 * scale, mark.bottom * scale],
            fill=(0, 0, 0),
        )
    runs = list(_surviving_runs(page, marks))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(
        buffer,
        pagesize=(width, height),
        pageCompression=1,
        invariant=1,
        initialFontName=FONT,  # type: ignore[arg-type]  # types-reportlab says float: a stub bug
    )
    with _binary_image_streams():
        pdf.drawImage(ImageReader(_jpeg(image)), 0, 0, width=width, height=height)
    for text, x0, top, x1, bottom in runs:
        size = max(bottom - top, 1.0)
        obj = pdf.beginText()
        obj.setTextRenderMode(3)  # invisible: searchable and selectable, not drawn
        obj.setFont(FONT, size)
        natural = stringWidth(text, FONT, size)
        if natural > 0:
            obj.setHorizScale(max(1.0, 100.0 * (x1 - x0) / natural))
        obj.setTextOrigin(x0, height - bottom + size * 0.2)
        obj.textOut(text)
        pdf.drawText(obj)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


@contextmanager
def _binary_image_streams() -> Iterator[None]:
    """Embed the JPEG as it is: reportlab wraps image streams in ASCII85 by default, a
    quarter larger and, without its C accelerator, encoded in pure Python (seconds per
    page). The setting is read while the image is loaded, inside ``drawImage``."""
    before = rl_config.useA85
    rl_config.useA85 = 0
    try:
        yield
    finally:
        rl_config.useA85 = before


def _jpeg(image: Image.Image) -> io.BytesIO:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85, optimize=True)
    out.seek(0)
    return out


def _surviving_runs(
    page: pdfium.PdfPage, marks: list[Area]
) -> Iterator[tuple[str, float, float, float, float]]:
    """The page's characters that no mark touches, grouped into runs on one line
    (text, x0, top, x1, bottom in display points). A run ends at a dropped character, a
    line break or a jump in position, so nothing is written over a blackened area."""
    number = marks[0].page
    marked = MarkIndex(marks)
    display = DisplayMap(page)
    textpage = page.get_textpage()
    try:
        run: list[str] = []
        box: tuple[float, float, float, float] | None = None
        for index in range(textpage.count_chars()):
            char = textpage.get_text_range(index, 1)
            left, bottom, right, top = textpage.get_charbox(index)
            if char in "\r\n" or (right - left <= 0 and top - bottom <= 0):
                if char == " " and box is not None:
                    run.append(char)
                    continue
                if run and box:
                    yield "".join(run).rstrip(), *box
                run, box = [], None
                continue
            area = display.area(number, (left, bottom, right, top))
            if marked.touches(area.x0, area.top, area.x1, area.bottom):
                if run and box:
                    yield "".join(run).rstrip(), *box
                run, box = [], None
                continue
            if box is not None and (
                area.bottom < box[1] or area.top > box[3] or area.x0 < box[2] - 1
            ):
                if run:
                    yield "".join(run).rstrip(), *box
                run, box = [], None
            if box is None:
                box = (area.x0, area.top, area.x1, area.bottom)
            else:
                box = (
                    box[0],
                    min(box[1], area.top),
                    max(box[2], area.x1),
                    max(box[3], area.bottom),
                )
            run.append(char)
        if run and box:
            yield "".join(run).rstrip(), *box
    finally:
        textpage.close()


def _drop_annotations(page: pdfium.PdfPage) -> None:
    for index in reversed(range(pdfium_c.FPDFPage_GetAnnotCount(page.raw))):
        pdfium_c.FPDFPage_RemoveAnnot(page.raw, index)
    page.gen_content()
    page.close()
