"""Reading a box scanned as one file: separator sheets, blank pages, and cutting it up.

Contractors often scan a whole box (Karton) in one pass, with a separator sheet between
documents. A page is a separator when it carries

* a printed barcode zxing-cpp reads (Code 128, QR, …) whose value is one of the separator
  codes (``PATCHT`` by default; a tenant sets others with ``import_separator_codes``), or
* a Kodak patch code (:mod:`ingest.deliveries.patchcodes`) whose name (``PATCHT``,
  ``PATCH2``, …) is one of them.

:func:`scan` renders each page once (PDF at 100 dpi; TIFF frames as stored) and records
for it what separator mark was read and whether it is blank (:mod:`ingest.deliveries.blank`);
only one page is in memory at a time. :func:`runs` turns the page list into the parts
between separators, :func:`write_part` writes one part as a PDF: PDF pages copied unchanged
(no re-encoding), TIFF frames wrapped into PDF pages by Pillow.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
import zxingcpp
from PIL import Image, ImageSequence
from pypdf import PdfReader, PdfWriter
from pypdf.errors import PyPdfError

from ingest.deliveries import blank, patchcodes
from ingest.deliveries.checks import Rejection
from ingest.pdf import describe_open_error
from ingest.pdfium_lock import PDFIUM_LOCK

DEFAULT_CODES = ("PATCHT",)
RENDER_DPI = 100
SPLITTABLE = ("application/pdf", "image/tiff")


@dataclass(frozen=True)
class Page:
    """One page of a box: its 1-based number, the separator mark read on it, blankness."""

    number: int
    mark: str | None = None  # e.g. "barcode PATCHT", "patch code T/2"
    separator: bool = False
    blank: bool = False


def _barcode_mark(gray: Image.Image, codes: frozenset[str]) -> str | None:
    if not codes:
        return None
    if gray.width > 1400:  # bring high-resolution scans down to ~RENDER_DPI
        gray = gray.resize((gray.width // 3, gray.height // 3))
    # separator sheets are printed dark on light at ~RENDER_DPI: no inverted or
    # downscaled passes (they triple the time on text pages and find nothing there)
    for barcode in zxingcpp.read_barcodes(gray, try_invert=False, try_downscale=False):
        if barcode.text.strip().upper() in codes:
            return f"barcode {barcode.text.strip()}"
    return None


def classify(number: int, image: Image.Image, dpi: float, codes: frozenset[str]) -> Page:
    """What one page is: a separator (barcode or patch code), blank, or content."""
    gray = image.convert("L")
    mark = _barcode_mark(gray, codes)
    if mark is None and any(c.startswith("PATCH") and len(c) == 6 for c in codes):
        patch = patchcodes.detect(gray, dpi)
        if patch & codes:
            mark = "patch code " + "/".join(sorted(c.removeprefix("PATCH") for c in patch))
    if mark is not None:
        return Page(number, mark, separator=True)
    return Page(number, blank=blank.is_blank(gray, dpi))


def _pdf_pages(path: Path) -> Iterator[tuple[Image.Image, float]]:
    pdf = pdfium.PdfDocument(str(path))
    try:
        for index in range(len(pdf)):
            page = pdf[index]
            try:
                yield page.render(scale=RENDER_DPI / 72, grayscale=True).to_pil(), RENDER_DPI
            finally:
                page.close()
    finally:
        pdf.close()


def _tiff_pages(path: Path) -> Iterator[tuple[Image.Image, float]]:
    with Image.open(path) as image:
        for frame in ImageSequence.Iterator(image):
            dpi = float((frame.info.get("dpi") or (300, 300))[0] or 300)
            yield frame, dpi


def scan(path: Path, mime: str, codes: Iterable[str]) -> list[Page]:
    """Every page of a PDF or TIFF, classified (:class:`Rejection` if it cannot be read)."""
    wanted = frozenset(c.strip().upper() for c in codes)
    if mime not in SPLITTABLE:
        raise Rejection("unsupported_type", f"only PDF and TIFF files can be split, not {mime}")
    try:
        if mime == "application/pdf":
            with PDFIUM_LOCK:
                return [
                    classify(n, image, dpi, wanted)
                    for n, (image, dpi) in enumerate(_pdf_pages(path), start=1)
                ]
        return [
            classify(n, image, dpi, wanted)
            for n, (image, dpi) in enumerate(_tiff_pages(path), start=1)
        ]
    except pdfium.PdfiumError as exc:  # the same words as the upload's processing
        raise Rejection("unreadable", describe_open_error(exc)) from None
    except (OSError, ValueError) as exc:
        raise Rejection("unreadable", f"the file cannot be split: {exc}") from None


def runs(pages: list[Page]) -> list[list[int]]:
    """Page numbers between separators; empty runs (two separators in a row) vanish."""
    found: list[list[int]] = [[]]
    for page in pages:
        if page.separator:
            found.append([])
        else:
            found[-1].append(page.number)
    return [r for r in found if r]


def write_part(path: Path, mime: str, pages: list[int], target: Path) -> Path:
    """The given 1-based pages of ``path`` as one PDF at ``target``."""
    try:
        if mime == "application/pdf":
            reader = PdfReader(str(path))
            writer = PdfWriter()
            for number in pages:
                writer.add_page(reader.pages[number - 1])
            with target.open("wb") as out:
                writer.write(out)
            return target
        with Image.open(path) as image:
            dpi = image.info.get("dpi", (300, 300))[0] or 300
            frames = []
            for number in pages:
                image.seek(number - 1)
                frames.append(image.copy())
        first, rest = frames[0], frames[1:]
        first.save(target, "PDF", save_all=True, append_images=rest, resolution=float(dpi))
        return target
    except (PyPdfError, OSError, ValueError, IndexError) as exc:
        raise Rejection("unreadable", f"the file cannot be split: {exc}") from None


def split(path: Path, mime: str, codes: Iterable[str], out_dir: Path) -> list[Path]:
    """The parts of ``path`` as PDF files in ``out_dir`` (one part if no separator found)."""
    return [
        write_part(path, mime, run, out_dir / f"part-{n}.pdf")
        for n, run in enumerate(runs(scan(path, mime, codes)), start=1)
    ]


def ranges_text(numbers: Iterable[int]) -> str:
    """``[1, 2, 3, 5]`` → ``"1-3, 5"``."""
    spans: list[list[int]] = []
    for n in sorted(numbers):
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    return ", ".join(f"{a}-{b}" if a != b else str(a) for a, b in spans)
