"""The archive PDF (Archivfassung) and the thumbnail, assembled with pdfium.

Pages keep their order. A page with a usable text layer is copied from the original
unchanged (re-rendering a born-digital page would only lose quality and size); an OCR'd
page is Tesseract's one-page PDF: the deskewed, upright page image with an invisible text
layer in Tesseract's embedded GlyphLessFont, so selecting and searching works in any viewer.

pdfium (``FPDF_ImportPages``) is used rather than pypdf: the original was already opened —
and if need be repaired — by pdfium, and importing runs of pages is native code (a
2,000-page document is assembled in about a second).

PDF/A: the file is *not* declared PDF/A-2b. Tesseract's pages embed their font and carry
no transparency, but there is no OutputIntent/XMP and copied born-digital pages may use
non-embedded fonts; claiming conformance without a validator (veraPDF) would be dishonest.
"""

from __future__ import annotations

import hashlib
import io
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image, ImageDraw, ImageFont

from ingest.limits import ProcessingFailed


@dataclass(frozen=True)
class SourcePage:
    """Where an archive page comes from: page ``index`` of ``pdf`` (original or OCR)."""

    pdf: pdfium.PdfDocument
    index: int


def build(pages: list[SourcePage], out: Path) -> None:
    """Write the archive PDF; consecutive pages of one source are imported in one call."""
    archive = pdfium.PdfDocument.new()
    try:
        run: list[int] = []
        run_pdf: pdfium.PdfDocument | None = None
        for page in pages:
            if run_pdf is not None and page.pdf is not run_pdf:
                archive.import_pages(run_pdf, pages=run)
                run = []
            run_pdf = page.pdf
            run.append(page.index)
        if run_pdf is not None and run:
            archive.import_pages(run_pdf, pages=run)
        if len(archive) != len(pages):
            raise ProcessingFailed("the archive PDF could not be assembled")
        archive.save(str(out))
    finally:
        archive.close()
    _make_reproducible(out)


_CREATION_DATE = re.compile(rb"/CreationDate\s*\(D:[^)]*\)")
_FILE_ID = re.compile(rb"/ID\s*\[\s*<([0-9A-Fa-f]{32})>\s*<([0-9A-Fa-f]{32})>\s*\]")


def _make_reproducible(path: Path) -> None:
    """Same pages in, same bytes out: pdfium stamps the save time and a random file id.

    A job that is killed after writing the archive blob and rerun must produce the *same*
    blob (content-addressed, so nothing new is stored) rather than an orphaned near-copy.
    The date is blanked and the id derived from the content, both in place with the same
    length, so the cross-reference offsets stay valid.
    """
    data = path.read_bytes()
    data = _CREATION_DATE.sub(lambda m: b" " * len(m.group(0)), data)
    blank = _FILE_ID.sub(lambda m: b"/ID[<" + b"0" * 32 + b"><" + b"0" * 32 + b">]", data)
    digest = hashlib.md5(blank, usedforsecurity=False).hexdigest().upper().encode()

    def _stamp(match: re.Match[bytes]) -> bytes:
        start, end = match.span(1)[0] - match.start(), match.span(2)[1] - match.start()
        whole = match.group(0)
        return whole[:start] + digest + b"><" + digest + whole[end:]

    path.write_bytes(_FILE_ID.sub(_stamp, data))


def placeholder(page_no: int, problem: str, workdir: Path) -> pdfium.PdfDocument:
    """An A4 page that stands in the archive for a page that could not be processed, so
    archive page N is still original page N; it says why and that the original is kept."""
    dpi = 100
    image = Image.new("L", (827, 1169), 255)  # A4 at 100 dpi
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=22)
    lines = [f"Seite {page_no} konnte nicht verarbeitet werden.", ""]
    lines += textwrap.wrap(problem, 60)[:12]
    lines += ["", "Das Original ist unverändert gespeichert und kann", "heruntergeladen werden."]
    y = 120
    for line in lines:
        draw.text((80, y), line, fill=0, font=font)
        y += 34
    path = workdir / f"placeholder-{page_no:05d}.pdf"
    image.save(path, "PDF", resolution=float(dpi))
    return pdfium.PdfDocument(str(path))


def thumbnail(archive_path: Path, width: int) -> bytes:
    """A PNG of page 1 of the archive (already upright), ``width`` pixels wide."""
    pdf = pdfium.PdfDocument(str(archive_path))
    try:
        page = pdf[0]
        page_width, _ = page.get_size()
        bitmap = page.render(scale=width / max(page_width, 1.0))
        image = bitmap.to_pil().convert("RGB")
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", optimize=True)
        return buffer.getvalue()
    finally:
        pdf.close()
