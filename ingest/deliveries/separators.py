"""Splitting a box scanned as one file at its separator sheets (Trennblätter).

Contractors often scan a whole box in one pass, with a separator sheet between documents:
a page carrying a barcode (``PATCHT`` by default; a tenant sets others with the option
``import_separator_codes``). Each page is rendered at a modest resolution (barcodes on a
separator sheet are large) and read with zxing-cpp; separator pages are dropped and the
pages between them become the parts, each written as a new PDF. PDF pages are copied
unchanged (no re-encoding); TIFF frames are wrapped into PDF pages by Pillow.

Only one page is held in memory at a time while detecting; a part is written page by page.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import pypdfium2 as pdfium
import zxingcpp
from PIL import Image, ImageSequence
from pypdf import PdfReader, PdfWriter
from pypdf.errors import PyPdfError

from ingest.deliveries.checks import Rejection
from ingest.pdfium_lock import PDFIUM_LOCK

DEFAULT_CODES = ("PATCHT",)
RENDER_DPI = 100


def _is_separator(image: Image.Image, codes: frozenset[str]) -> bool:
    gray = image.convert("L")
    if gray.width > 1400:  # bring high-resolution scans down to ~RENDER_DPI
        gray = gray.resize((gray.width // 3, gray.height // 3))
    return any(b.text.strip().upper() in codes for b in zxingcpp.read_barcodes(gray))


def _pdf_pages(path: Path) -> Iterator[Image.Image]:
    pdf = pdfium.PdfDocument(str(path))
    try:
        for index in range(len(pdf)):
            page = pdf[index]
            try:
                yield page.render(scale=RENDER_DPI / 72, grayscale=True).to_pil()
            finally:
                page.close()
    finally:
        pdf.close()


def _tiff_pages(path: Path) -> Iterator[Image.Image]:
    with Image.open(path) as image:
        yield from ImageSequence.Iterator(image)


def _runs(flags: Iterable[bool]) -> list[list[int]]:
    """Page indexes between separators; empty runs (two separators in a row) vanish."""
    runs: list[list[int]] = [[]]
    for index, is_sep in enumerate(flags):
        if is_sep:
            runs.append([])
        else:
            runs[-1].append(index)
    return [r for r in runs if r]


def split(path: Path, mime: str, codes: Iterable[str], out_dir: Path) -> list[Path]:
    """The parts of ``path`` as PDF files in ``out_dir`` (one part if no separator found)."""
    wanted = frozenset(c.strip().upper() for c in codes)
    try:
        if mime == "application/pdf":
            with PDFIUM_LOCK:
                runs = _runs(_is_separator(p, wanted) for p in _pdf_pages(path))
            return [_write_pdf_part(path, run, out_dir / f"part-{n}.pdf")
                    for n, run in enumerate(runs, start=1)]
        if mime == "image/tiff":
            runs = _runs(_is_separator(p, wanted) for p in _tiff_pages(path))
            return [_write_tiff_part(path, run, out_dir / f"part-{n}.pdf")
                    for n, run in enumerate(runs, start=1)]
    except (pdfium.PdfiumError, PyPdfError, OSError, ValueError) as exc:
        raise Rejection("unreadable", f"the file cannot be split: {exc}") from None
    raise Rejection("unsupported_type", f"only PDF and TIFF files can be split, not {mime}")


def _write_pdf_part(path: Path, pages: list[int], target: Path) -> Path:
    reader = PdfReader(str(path))
    writer = PdfWriter()
    for index in pages:
        writer.add_page(reader.pages[index])
    with target.open("wb") as out:
        writer.write(out)
    return target


def _write_tiff_part(path: Path, pages: list[int], target: Path) -> Path:
    with Image.open(path) as image:
        dpi = image.info.get("dpi", (300, 300))[0] or 300
        frames = []
        for index in pages:
            image.seek(index)
            frames.append(image.copy())
    first, rest = frames[0], frames[1:]
    first.save(target, "PDF", save_all=True, append_images=rest, resolution=float(dpi))
    return target
