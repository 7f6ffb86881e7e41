"""PDF access through pdfium (pypdfium2): open, per-page text layer, bounded rendering.

Why pdfium and not pdfplumber for the text layer: ``bench/extract`` measures pdfplumber
(pdfminer.six, pure Python) at about a hundred times slower than pdfium's native text
extraction on the same pages, with the same words. pdfium also repairs mildly damaged files
(broken cross-reference tables), which pdfminer refuses, and renders the pages we OCR, so
one library opens each file once.

pdfium is not thread-safe: a document is only ever touched by the thread that opened it
(the processor's main thread); OCR threads get rendered bitmaps, never pdfium objects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image

from ingest.limits import Limits, ProcessingFailed

#: A page whose text layer has fewer visible characters than this is OCR'd instead.
MIN_TEXT_CHARS = 20
#: Share of visible characters that must be ordinary letters, digits or punctuation.
MIN_CLEAN_RATIO = 0.85


#: What a person can do about a PDF that does not open. The same words are used by the
#: upload's processing and by a contractor's import, so one file gets one verdict.
PASSWORD_PROTECTED = (
    "the PDF is password-protected: ask the sender for a copy without "  # noqa: S105
    "a password"
)
DAMAGED = "the PDF is damaged and cannot be read: ask the sender for a new copy"
UNREADABLE = "the PDF cannot be opened: ask the sender for a new copy"


def describe_open_error(exc: BaseException) -> str:
    """The reason for a PDF that pdfium refused, in words a person can act on (never the
    library's own message, which names error codes)."""
    message = str(exc).lower()
    if "password" in message:
        return PASSWORD_PROTECTED
    if "format" in message or "file" in message or "data" in message:
        return DAMAGED
    return UNREADABLE


def open_pdf(path: Path) -> pdfium.PdfDocument:
    """Open a PDF or fail with the reason a person can act on."""
    try:
        return pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        raise ProcessingFailed(describe_open_error(exc)) from exc


def page_text(page: pdfium.PdfPage) -> str:
    textpage = page.get_textpage()
    try:
        text = textpage.get_text_range()
    finally:
        textpage.close()
    return clean_text(text)


def clean_text(text: str) -> str:
    """Text the database accepts: no NUL (PostgreSQL refuses it), no lone surrogates
    (broken ToUnicode maps produce them; they cannot be encoded as UTF-8)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return text.encode("utf-8", "replace").decode("utf-8")


def usable_text(text: str) -> bool:
    """Whether a text layer is worth keeping instead of OCR.

    Scanners and converters leave empty layers, a page number only, or glyphs without a
    Unicode mapping (which come out as private-use, replacement or control characters); such
    pages are OCR'd (and the layer is still kept if OCR reads less, see the processor). Everything else is trusted: re-OCRing a born-digital page only loses
    quality. Regular expressions keep this at C speed (``bench/extract``).
    """
    visible = len(text) - sum(len(m) for m in _SPACE.findall(text))
    if visible < MIN_TEXT_CHARS or _UNMAPPED.search(text):
        return False
    unclean = sum(len(m) for m in _UNCLEAN.findall(text))
    return (visible - unclean) / visible >= MIN_CLEAN_RATIO


def useful_chars(text: str) -> int:
    """Letters and digits: what a reading contributes to search (the measure by which a
    short text layer and its OCR reading are compared)."""
    return sum(1 for c in text if c.isalnum())


_SPACE = re.compile(r"\s+")
#: Glyphs pdfium could not map to Unicode come out as control characters (and it drops
#: some of their neighbours): one of them means the layer is missing text, e.g. every
#: umlaut of a subset font without a ToUnicode map. (Private-use code points are not
#: counted here: symbol fonts give them for bullets on perfectly good pages.)
_UNMAPPED = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ufffd\ufffe]")
_UNCLEAN = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\ud800-\udfff\ue000-\uf8ff\ufffd]+")


def _largest_image_pixels(page: pdfium.PdfPage) -> int:
    """Pixels of the largest embedded image: checked before pdfium decodes any of them."""
    largest = 0
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=3):
        try:
            width, height = obj.get_px_size()
        except pdfium.PdfiumError:
            continue
        largest = max(largest, int(width) * int(height))
    return largest


def render_dpi(page: pdfium.PdfPage, page_no: int, limits: Limits) -> int:
    """The resolution to render at: ``limits.dpi`` unless that exceeds the pixel limit."""
    width_pt, height_pt = page.get_size()
    pixels_at = (width_pt / 72 * limits.dpi) * (height_pt / 72 * limits.dpi)
    dpi = limits.dpi
    if pixels_at > limits.max_pixels:
        dpi = int(limits.dpi * (limits.max_pixels / pixels_at) ** 0.5)
    if dpi < limits.min_dpi:
        raise ProcessingFailed(
            f"page {page_no} is too large to render "
            f"({width_pt / 72 * 25.4:,.0f} × {height_pt / 72 * 25.4:,.0f} mm)"
        )
    image_pixels = _largest_image_pixels(page)
    if image_pixels > limits.max_pixels:
        raise ProcessingFailed(
            f"page {page_no} contains an image of {image_pixels / 1e6:,.0f} megapixels "
            f"(limit {limits.max_pixels / 1e6:,.0f})"
        )
    return dpi


def render(page: pdfium.PdfPage, page_no: int, dpi: int, *, grayscale: bool = True) -> Image.Image:
    try:
        bitmap = page.render(scale=dpi / 72, grayscale=grayscale, may_draw_forms=True)
        # A copy: the bitmap's buffer belongs to pdfium and is freed with the bitmap.
        image = bitmap.to_pil().copy()
        bitmap.close()
    except pdfium.PdfiumError as exc:
        raise ProcessingFailed(f"page {page_no} could not be rendered") from exc
    image.info["dpi"] = (dpi, dpi)
    return image


@dataclass(frozen=True)
class Scan:
    """How a scanned page was stored, so its archive page can be stored the same way: the
    resolution of its image (no upscaling to :attr:`Limits.dpi`), bitonal or not, in
    colour or not, and the image's JPEG bytes when they can be kept as they are."""

    dpi: float
    bitonal: bool
    colour: bool
    jpeg: bytes | None = None


def scan_of(page: pdfium.PdfPage) -> Scan | None:
    """The scan a page consists of: exactly one image, upright, covering the page. Any
    other page (text, drawings, several images, a stamp over the scan) gives ``None`` and
    is rendered at the default resolution."""
    if page.get_rotation() % 360:
        return None
    objects = list(page.get_objects(max_depth=3))
    if len(objects) != 1 or objects[0].type != pdfium_c.FPDF_PAGEOBJ_IMAGE:
        return None
    image = objects[0]
    matrix = image.get_matrix()
    width_pt, height_pt = page.get_size()
    if matrix.b or matrix.c or matrix.a <= 0 or matrix.d <= 0:
        return None  # turned, mirrored or sheared on the page
    if abs(matrix.a - width_pt) > 2 or abs(matrix.d - height_pt) > 2:
        return None  # does not cover the page
    try:
        px_width, _ = image.get_px_size()
        meta = image.get_metadata()
        filters = image.get_filters()
    except pdfium.PdfiumError:
        return None
    dpi = px_width / (width_pt / 72)
    bitonal = meta.bits_per_pixel == 1
    colour = meta.bits_per_pixel >= 24
    jpeg = None
    if filters == ["DCTDecode"] and meta.colorspace in (
        pdfium_c.FPDF_COLORSPACE_DEVICEGRAY,
        pdfium_c.FPDF_COLORSPACE_DEVICERGB,
    ):
        jpeg = bytes(image.get_data(decode_simple=False))
    return Scan(dpi, bitonal, colour, jpeg)


def scan_dpi(scan: Scan | None, dpi: int, limits: Limits) -> int:
    """Render a scan at its own resolution (within ``min_dpi``…``dpi``): a 200-dpi scan
    rendered at 300 dpi only grows the archive and shows nothing more."""
    if scan is None:
        return dpi
    return max(limits.min_dpi, min(dpi, round(scan.dpi)))
