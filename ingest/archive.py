"""The archive PDF (Archivfassung) and the thumbnail, assembled with pdfium.

Pages keep their order. A page with a usable text layer is copied from the original
unchanged (re-rendering a born-digital page would only lose quality and size); an OCR'd
page is built by :mod:`ingest.pagepdf`: the upright page image, stored no larger than the
scan, under an invisible text layer in Tesseract's embedded GlyphLessFont, so selecting
and searching works in any viewer.

pdfium (``FPDF_ImportPages``) is used rather than pypdf: the original was already opened —
and if need be repaired — by pdfium, and importing runs of pages is native code (a
2,000-page document is assembled in about a second).

The assembled file is then rewritten once with qpdf (pikepdf): linearised, compact,
byte-reproducible, and declared PDF/A-2b where its pages allow (see :func:`_finish`).
"""

from __future__ import annotations

import io
import os
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
from PIL import Image, ImageDraw, ImageFont

from ingest import pagetree, pdfa
from ingest.limits import ProcessingFailed


@dataclass(frozen=True)
class SourcePage:
    """Where an archive page comes from: page ``index`` of ``pdf`` (original or OCR)."""

    pdf: pdfium.PdfDocument
    index: int


def build(pages: list[SourcePage], out: Path) -> list[str]:
    """Write the archive PDF; consecutive pages of one source are imported in one call.
    Returns what keeps it from being PDF/A-2b (empty: it is declared PDF/A-2b)."""
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
    return _finish(out)


def _finish(path: Path) -> list[str]:
    """Rewrite the assembled file for the line and for keeping, in place.

    - Linearised ("fast web view"): the first page's objects come first and a hint table
      says where each page is, so a viewer shows page 1 of a 200-page scan after fetching
      that page with Range requests, not the whole file.
    - A balanced page tree (:mod:`ingest.pagetree`), so a viewer reaching page 418
      fetches a few tree nodes, not a piece of every page before it.
    - Object streams and compressed streams: pdfium writes every object plain, and the
      small objects of a text layer (a few kB a page) matter next to a 30 kB fax page.
    - PDF/A-2b where the pages allow it (:mod:`ingest.pdfa`).
    - Same pages in, same bytes out: no dates, and a file id derived from the content, so
      a job that is killed after writing the archive blob and rerun stores the *same*
      content-addressed blob rather than an orphaned near-copy.
    """
    # Written next to the input and renamed over it: ``allow_overwriting_input`` would read
    # the whole file into memory first (90 MB of a 200-page scan on top of qpdf's own).
    rewritten = path.with_name(path.name + ".qpdf")
    with pikepdf.open(path) as pdf:
        for key in ("/CreationDate", "/ModDate", "/Producer", "/Creator"):
            if key in pdf.docinfo:
                del pdf.docinfo[key]
        if pikepdf.Name.ID in pdf.trailer:
            del pdf.trailer.ID  # pdfium's is random, and qpdf would keep its first half
        _share_glyphless_font(pdf)
        pdf.remove_unreferenced_resources()
        pagetree.balance(pdf)
        found = pdfa.declare(pdf)
        pdf.save(
            rewritten,
            linearize=True,
            deterministic_id=True,
            compress_streams=True,
            object_stream_mode=pikepdf.ObjectStreamMode.generate,
        )
    os.replace(rewritten, path)
    return found


def _share_glyphless_font(pdf: pikepdf.Pdf) -> None:
    """Every OCR page brings its own copy of Tesseract's GlyphLessFont (about 1 kB); one
    copy serves them all."""
    shared: pikepdf.Object | None = None
    for page in pdf.pages:
        fonts = page.obj.get(pikepdf.Name.Resources, {}).get(pikepdf.Name.Font, {})
        for name, font in list(fonts.items()):
            if font.get(pikepdf.Name.BaseFont) != pikepdf.Name.GlyphLessFont:
                continue
            if shared is None:
                shared = font
            elif not font.is_indirect or font.objgen != shared.objgen:
                fonts[name] = shared


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
