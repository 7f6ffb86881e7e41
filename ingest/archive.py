"""The archive PDF (Archivfassung) and the thumbnail, assembled with qpdf (pikepdf).

Pages keep their order. A page with a usable text layer is copied from the original
unchanged (re-rendering a born-digital page would only lose quality and size); an OCR'd
page is built by :mod:`ingest.pagepdf`: the upright page image, stored no larger than the
scan, under an invisible text layer in Tesseract's embedded GlyphLessFont, so selecting
and searching works in any viewer.

Memory flat per page: the pages are put together by the ``qpdf`` command (``--empty
--pages``), which copies a page's objects (dictionaries, a few kB) but streams images and
content from the source files while it writes. Assembling in pdfium (``FPDF_ImportPages``),
as before, held every copied stream in memory until the save, and so does pikepdf's
``pages.append`` (it copies foreign streams immediately): the processing child's peak grew
with the file (``bench.processing_memory``). A source that qpdf cannot read (pdfium repairs
more) is still assembled with pdfium.

The assembled file is then rewritten once with pikepdf: linearised, compact,
byte-reproducible, and declared PDF/A-2b where its pages allow (see :func:`_finish`); that
pass reads one file and streams its data as well.
"""

from __future__ import annotations

import io
import logging
import os
import shutil
import subprocess
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
from PIL import Image, ImageDraw, ImageFont

from ingest import pagetree, pdfa
from ingest.limits import ProcessingFailed

log = logging.getLogger("akte.ingest")
#: ``False`` assembles in pdfium as before (``bench.processing_memory``'s baseline).
QPDF = True
#: Debian's ``qpdf`` (scripts/install-system-deps.sh, the Dockerfile).
QPDF_COMMAND = "qpdf"


@dataclass(frozen=True)
class SourcePage:
    """Where an archive page comes from: page ``index`` (0-based) of the PDF at ``path``
    (the original, an OCR page, a placeholder)."""

    path: Path
    index: int


def build(pages: list[SourcePage], out: Path) -> list[str]:
    """Write the archive PDF. Returns what keeps it from being PDF/A-2b (empty: it is
    declared PDF/A-2b)."""
    if not pages:
        raise ProcessingFailed("the archive PDF could not be assembled")
    assembled = False
    if QPDF and shutil.which(QPDF_COMMAND):
        assembled = _assemble_qpdf(pages, out)
    if not assembled:
        _assemble_pdfium(pages, out)
    return _finish(out)


def _runs(pages: list[SourcePage]) -> list[tuple[Path, list[int]]]:
    """Consecutive pages of one file, as (file, 0-based page indexes)."""
    runs: list[tuple[Path, list[int]]] = []
    for page in pages:
        if runs and runs[-1][0] == page.path:
            runs[-1][1].append(page.index)
        else:
            runs.append((page.path, [page.index]))
    return runs


def _ranges(indexes: list[int]) -> str:
    """``[0, 1, 2, 5]`` → ``"1-3,6"`` (qpdf's 1-based page ranges)."""
    parts: list[str] = []
    begin = prev = indexes[0]
    for index in [*indexes[1:], None]:
        if index is not None and index == prev + 1:
            prev = index
            continue
        parts.append(f"{begin + 1}-{prev + 1}" if prev > begin else f"{begin + 1}")
        if index is not None:
            begin = prev = index
    return ",".join(parts)


def _assemble_qpdf(pages: list[SourcePage], out: Path) -> bool:
    """``qpdf --empty --pages …``: pages copied by reference, stream data streamed from
    the sources while the file is written (qpdf opens at most a few hundred sources at a
    time). ``False`` when qpdf cannot read a source (pdfium then assembles)."""
    args = ["--empty", "--pages"]
    for path, indexes in _runs(pages):
        args += [str(path), _ranges(indexes)]
    args += ["--", str(out)]
    argfile = out.with_name(out.name + ".args")
    argfile.write_text("\n".join(args) + "\n", encoding="utf-8")
    try:
        done = subprocess.run(
            [QPDF_COMMAND, f"@{argfile}"], capture_output=True, text=True, check=False
        )
    finally:
        argfile.unlink(missing_ok=True)
    if done.returncode not in (0, 3):  # 3: done, with warnings about damaged input
        log.warning(
            "qpdf cannot assemble the archive (%s); pdfium assembles it",
            (done.stderr or "").strip()[:500],
        )
        out.unlink(missing_ok=True)
        return False
    return True


def _assemble_pdfium(pages: list[SourcePage], out: Path) -> None:
    """Consecutive pages of one source imported in one call. Holds every imported stream
    in memory until saved, so only for what qpdf cannot read (pdfium repairs more)."""
    opened: dict[Path, pdfium.PdfDocument] = {}
    archive = pdfium.PdfDocument.new()
    try:
        for path, indexes in _runs(pages):
            source = opened.get(path)
            if source is None:
                source = opened[path] = pdfium.PdfDocument(str(path))
            archive.import_pages(source, pages=indexes)
        if len(archive) != len(pages):
            raise ProcessingFailed("the archive PDF could not be assembled")
        archive.save(str(out))
    finally:
        archive.close()
        for source in opened.values():
            source.close()


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
        found = _prepare(pdf)
        _save(pdf, rewritten)
    os.replace(rewritten, path)
    return found


def _prepare(pdf: pikepdf.Pdf) -> list[str]:
    """Everything of :func:`_finish` but the writing; returns the PDF/A problems."""
    for key in ("/CreationDate", "/ModDate", "/Producer", "/Creator"):
        if key in pdf.docinfo:
            del pdf.docinfo[key]
    if pikepdf.Name.ID in pdf.trailer:
        del pdf.trailer.ID  # pdfium's is random, and qpdf would keep its first half
    _share_glyphless_font(pdf)
    pdf.remove_unreferenced_resources()
    pagetree.balance(pdf)
    return pdfa.declare(pdf)


def _save(pdf: pikepdf.Pdf, out: Path) -> None:
    pdf.save(
        out,
        linearize=True,
        deterministic_id=True,
        compress_streams=True,
        object_stream_mode=pikepdf.ObjectStreamMode.generate,
        min_version="1.7",  # PDF/A-2 is based on PDF 1.7 (a new file would say 1.3)
    )


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


def placeholder(page_no: int, problem: str, workdir: Path) -> SourcePage:
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
    return SourcePage(path, 0)


def thumbnail(archive_path: Path, width: int) -> bytes:
    """A PNG of page 1 of the archive (already upright), ``width`` pixels wide.

    zlib level 1, not Pillow's ``optimize`` (level 9): on a 300 px text page 17 ms and
    60.6 kB against 111 ms and 66.2 kB, on a noisy scan 38 ms and 117.6 kB against 789 ms
    and 118.4 kB — anti-aliased and noisy pixels do not compress better at level 9, and
    every upload paid for it."""
    pdf = pdfium.PdfDocument(str(archive_path))
    try:
        page = pdf[0]
        page_width, _ = page.get_size()
        bitmap = page.render(scale=width / max(page_width, 1.0))
        image = bitmap.to_pil().convert("RGB")
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", compress_level=1)
        return buffer.getvalue()
    finally:
        pdf.close()
