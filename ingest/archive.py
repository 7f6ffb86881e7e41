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

import io
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium

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
