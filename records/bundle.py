"""The Akteneinsicht / Aktenübersendung PDF: cover sheet, table of contents, Blattzahlen.

Layout of the one PDF::

    Blatt 1                 cover sheet (Akte, recipient, purpose, counts, who/when)
    Blatt 2 … 1+t           table of contents: per document its Blatt range, date, title,
                            Dokumentart and whether a redacted copy is used
    Blatt 2+t …             the documents' pages in Akte order, each stamped "Blatt N"

The table of contents is laid out first (its length depends only on the number of
documents), so every Blatt number it prints is the number stamped on that page. Pages are
joined and stamped by qpdf (pikepdf) as objects: nothing is rendered or parsed, streams
pass through undecoded, and the sources stay on disk until the output is written.

PDF/A-2b: every font of the cover, contents and stamps is embedded (DejaVu Sans), so the
export is declared PDF/A-2b exactly when every source (an archive rendition, or a redacted
copy) is declared so and the joined pages pass ``ingest/pdfa.py``'s check.
"""

from __future__ import annotations

import functools
import io
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pikepdf
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from ingest import pdfa
from outbox import fonts

TOC_LINES_PER_PAGE = 38
STAMP_SIZE = 9.0


@dataclass(frozen=True)
class Part:
    """One document of the export and the file its pages come from."""

    title: str
    doc_type: str | None
    document_date: date | None
    received_at: datetime
    page_count: int
    redacted: bool


@dataclass(frozen=True)
class Cover:
    heading: str  # "Aktenübersendung" / "Akteneinsicht"
    aktenzeichen: str
    betreff: str | None
    recipient: str
    reference: str | None
    created_by: str
    created_at: datetime
    tenant_name: str


def toc_pages(count: int) -> int:
    return max(1, math.ceil(count / TOC_LINES_PER_PAGE))


def blatt_ranges(parts: list[Part]) -> list[tuple[int, int]]:
    """The first and last Blatt of each part (cover and contents come first)."""
    first = 2 + toc_pages(len(parts))
    ranges = []
    for part in parts:
        ranges.append((first, first + part.page_count - 1))
        first += part.page_count
    return ranges


def front_matter(cover: Cover, parts: list[Part]) -> bytes:
    """Cover sheet and table of contents as a PDF, already stamped with their Blatt."""
    fonts.register()
    ranges = blatt_ranges(parts)
    total = ranges[-1][1] if ranges else 1 + toc_pages(len(parts))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(
        buffer,
        pagesize=A4,
        invariant=1,
        initialFontName=fonts.REGULAR,  # type: ignore[arg-type]  # types-reportlab says float: a stub bug
    )
    pdf.setTitle(f"{cover.heading} {cover.aktenzeichen}")
    _width, height = A4
    y = height - 90
    pdf.setFont(fonts.BOLD, 18)
    pdf.drawString(72, y, fonts.normalise(cover.heading))
    pdf.setFont(fonts.REGULAR, 11)
    rows = [
        ("Aktenzeichen", cover.aktenzeichen),
        ("Betreff", cover.betreff or "–"),
        ("Behörde", cover.tenant_name),
        ("Empfänger", cover.recipient),
        ("Zeichen des Empfängers", cover.reference or "–"),
        ("Dokumente", str(len(parts))),
        ("Blätter", f"1–{total}"),
        ("Geschwärzte Dokumente", str(sum(p.redacted for p in parts))),
        ("Erstellt von", cover.created_by),
        ("Erstellt am", cover.created_at.strftime("%d.%m.%Y %H:%M UTC")),
    ]
    y -= 40
    for label, value in rows:
        pdf.drawString(72, y, fonts.normalise(label))
        pdf.drawString(230, y, fonts.normalise(value)[:70])
        y -= 20
    pdf.drawString(
        72, y - 20, "Geschwärzte Stellen sind in den Kopien entfernt, nicht nur abgedeckt."
    )
    _stamp_canvas(pdf, 1)
    pdf.showPage()
    for page_index in range(toc_pages(len(parts))):
        pdf.setFont(fonts.BOLD, 14)
        pdf.drawString(72, height - 80, "Inhaltsverzeichnis")
        pdf.setFont(fonts.REGULAR, 9)
        y = height - 110
        chunk = range(
            page_index * TOC_LINES_PER_PAGE, min(len(parts), (page_index + 1) * TOC_LINES_PER_PAGE)
        )
        for index in chunk:
            part, (first, last) = parts[index], ranges[index]
            day = part.document_date or part.received_at.date()
            blatt = f"Blatt {first}" if first == last else f"Blatt {first}–{last}"
            flag = " [geschwärzt]" if part.redacted else ""
            pdf.drawString(72, y, blatt)
            pdf.drawString(160, y, day.strftime("%d.%m.%Y"))
            title = fonts.normalise(
                f"{part.title} ({part.doc_type})" if part.doc_type else part.title
            )
            pdf.drawString(220, y, (title[:60] + flag))
            y -= 18
        _stamp_canvas(pdf, 2 + page_index)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _stamp_canvas(pdf: canvas.Canvas, number: int) -> None:
    width, height = A4
    pdf.setFont(fonts.REGULAR, STAMP_SIZE)
    pdf.drawRightString(width - 28, height - 24, f"Blatt {number}")


def assemble(
    front: Path,
    sources: Iterable[Callable[[], Path]],
    out: Path,
    on_part: Callable[[int], None] | None = None,
) -> int:
    """Write the export PDF: ``front`` then each source (a callable that fetches the file
    and returns its path); every source page is stamped with its Blatt. Returns the number
    of pages. The fetched files are deleted once the output is written.

    One pass in qpdf (pikepdf): pages are copied as objects, never parsed or re-rendered;
    each gets a small content stream that draws its Blatt with one shared, embedded font
    subset, its original content wrapped in ``q … Q``. qpdf reads the sources' streams only
    while writing, so the sources stay on disk (not in memory) until then, and streams are
    passed through without being decoded. (The earlier pdfium import + pypdf incremental
    update took 11-19x a plain join; see the package README.)"""
    opened: list[pikepdf.Pdf] = []
    fetched: list[Path] = []
    try:
        with pikepdf.open(front) as dst:
            first = len(dst.pages)
            font = dst.make_indirect(_stamp_font(dst))
            opening = dst.make_stream(b"q\n")
            for index, fetch in enumerate(sources):
                path = fetch()
                fetched.append(path)
                src = pikepdf.open(path)
                opened.append(src)
                dst.pages.extend(src.pages)
                if on_part is not None:
                    on_part(index + 1)
            for offset in range(first, len(dst.pages)):
                _stamp(dst, dst.pages[offset], offset + 1, font, opening)
            total = len(dst.pages)
            if _sources_pdfa(opened):
                pdfa.declare(dst)  # checks the joined pages itself; declares only if clean
            dst.save(
                out,
                stream_decode_level=pikepdf.StreamDecodeLevel.none,
                object_stream_mode=pikepdf.ObjectStreamMode.generate,
                deterministic_id=True,
            )
    finally:
        for src in opened:
            src.close()
        for path in fetched:
            path.unlink(missing_ok=True)
    return total


def _sources_pdfa(sources: list[pikepdf.Pdf]) -> bool:
    """Whether every source is declared PDF/A-2 (its archive met the requirements, see
    ``ingest/pdfa.py``): only then may the export be declared PDF/A-2b."""
    return all(src.open_metadata().pdfa_status in ("2B", "2U", "2A") for src in sources)


def _stamp(
    dst: pikepdf.Pdf, page: pikepdf.Page, number: int, font: pikepdf.Object, opening: pikepdf.Stream
) -> None:
    a, b, c, d, e, f = (round(v, 4) for v in _anchor(page))
    label = f"Blatt {number}"
    stamp = (
        f"Q\nq {a} {b} {c} {d} {e} {f} cm 1 1 1 rg 0 0 {_label_width(number):.1f} "
        f"{STAMP_SIZE + 5} re f 0 0 0 rg BT /AkteBlatt {STAMP_SIZE} Tf 3 4 Td "
        f"({label}) Tj ET Q\n"
    ).encode()
    page.contents_add(opening, prepend=True)
    page.contents_add(dst.make_stream(stamp), prepend=False)
    resources = page.obj.get(pikepdf.Name.Resources)
    if resources is None:
        page.obj.Resources = resources = pikepdf.Dictionary()
    fonts = resources.get(pikepdf.Name.Font)
    if fonts is None:
        resources.Font = pikepdf.Dictionary()
    elif fonts.is_indirect:  # shared with other pages: give this one its own copy
        resources.Font = pikepdf.Dictionary({k: v for k, v in fonts.items()})
    resources.Font.AkteBlatt = font


def _anchor(page: pikepdf.Page) -> tuple[float, ...]:
    """The stamp's placement in the page's user space: a matrix (a b c d e f) that maps
    the label's own upright coordinates onto the displayed page's top right corner,
    whatever the page's ``/Rotate`` and crop box."""
    x0, y0, x1, y1 = (float(v) for v in page.cropbox)
    x0, x1 = min(x0, x1), max(x0, x1)
    y0, y1 = min(y0, y1), max(y0, y1)
    rotation = int(page.obj.get(pikepdf.Name.Rotate, 0)) % 360 // 90 * 90
    width = x1 - x0 if rotation in (0, 180) else y1 - y0
    dx, dy = width - 24 - _label_width(99999), 12 + STAMP_SIZE + 5  # displayed, from top left
    x, y = {
        0: (x0 + dx, y1 - dy),
        90: (x0 + dy, y0 + dx),
        180: (x1 - dx, y0 + dy),
        270: (x1 - dy, y1 - dx),
    }[rotation]
    angle = math.radians(rotation)
    return (math.cos(angle), math.sin(angle), -math.sin(angle), math.cos(angle), x, y)


def _label_width(number: int) -> float:
    return 6 + len(f"Blatt {number}") * STAMP_SIZE * 0.55


#: The characters a stamp draws; the embedded subset holds only these glyphs.
STAMP_CHARS = "Blatt 0123456789"


@functools.cache
def _font_program() -> tuple[bytes, dict[int, int], dict[str, float]]:
    """DejaVu Sans cut down to the stamp's characters (a few KB, embedded once per
    export), its code → width table (1/1000 em) and its metrics."""
    from fontTools import subset  # loaded on the first export only
    from fontTools.ttLib import TTFont

    path = fonts._find(fonts._FILES[fonts.REGULAR])
    options = subset.Options()
    options.notdef_outline = True
    options.hinting = False  # a 9 pt label; without hints the subset is 2.7 KB, not 6
    options.layout_features = []  # no shaping for "Blatt 17": skips the slow GSUB closure
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "kern", "FFTM"]
    font = TTFont(str(path), lazy=True)  # ~0.1 s instead of ~0.9 s parsing every table
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=STAMP_CHARS)
    subsetter.subset(font)
    scale = 1000 / font["head"].unitsPerEm
    cmap = font.getBestCmap()
    widths = {ord(ch): round(font["hmtx"][cmap[ord(ch)]][0] * scale) for ch in set(STAMP_CHARS)}
    head, hhea = font["head"], font["hhea"]
    metrics = {
        "bbox": [head.xMin * scale, head.yMin * scale, head.xMax * scale, head.yMax * scale],
        "ascent": hhea.ascent * scale,
        "descent": hhea.descent * scale,
    }
    buffer = io.BytesIO()
    font.save(buffer)
    return buffer.getvalue(), widths, metrics


def _stamp_font(dst: pikepdf.Pdf) -> pikepdf.Dictionary:
    """A simple TrueType font with WinAnsi encoding and the subset embedded: text stays
    extractable ("Blatt 17") and the export can be PDF/A (every font embedded)."""
    program, widths, metrics = _font_program()
    first, last = min(widths), max(widths)
    descriptor = pikepdf.Dictionary(
        Type=pikepdf.Name.FontDescriptor,
        FontName=pikepdf.Name("/AKTEBL+DejaVuSans"),
        Flags=32,
        FontBBox=metrics["bbox"],
        ItalicAngle=0,
        Ascent=metrics["ascent"],
        Descent=metrics["descent"],
        CapHeight=metrics["ascent"],
        StemV=80,
        FontFile2=dst.make_stream(program, Length1=len(program)),
    )
    return pikepdf.Dictionary(
        Type=pikepdf.Name.Font,
        Subtype=pikepdf.Name.TrueType,
        BaseFont=pikepdf.Name("/AKTEBL+DejaVuSans"),
        FirstChar=first,
        LastChar=last,
        Widths=[widths.get(code, 0) for code in range(first, last + 1)],
        Encoding=pikepdf.Name.WinAnsiEncoding,
        FontDescriptor=dst.make_indirect(descriptor),
    )
