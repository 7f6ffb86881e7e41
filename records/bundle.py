"""The Akteneinsicht / Aktenübersendung PDF: cover sheet, table of contents, Blattzahlen.

Layout of the one PDF::

    Blatt 1                 cover sheet (Akte, recipient, purpose, counts, who/when)
    Blatt 2 … 1+t           table of contents: per document its Blatt range, date, title,
                            Dokumentart and whether a redacted copy is used
    Blatt 2+t …             the documents' pages in Akte order, each stamped "Blatt N"

The table of contents is laid out first (its length depends only on the number of
documents), so every Blatt number it prints is the number stamped on that page. Pages are
imported with pdfium one document at a time from a temporary copy that is deleted right
after, so memory holds the output being assembled, never all sources at once; the stamps
are added by pypdf as an incremental update (see :func:`assemble`).

Not PDF/A: the stamp uses the standard Helvetica (not embedded), and the sources (the
archive renditions) are PDF/A-2b only where their pages allow it (see ``ingest/pdfa.py``).
"""

from __future__ import annotations

import ctypes
import io
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from pypdf import PdfWriter
from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, NameObject
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from ingest.pdfium_lock import PDFIUM_LOCK
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
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=1)
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
    pdf.drawString(72, y - 20, "Geschwärzte Stellen sind in den Kopien entfernt, "
                               "nicht nur abgedeckt.")
    _stamp_canvas(pdf, 1)
    pdf.showPage()
    for page_index in range(toc_pages(len(parts))):
        pdf.setFont(fonts.BOLD, 14)
        pdf.drawString(72, height - 80, "Inhaltsverzeichnis")
        pdf.setFont(fonts.REGULAR, 9)
        y = height - 110
        chunk = range(page_index * TOC_LINES_PER_PAGE,
                      min(len(parts), (page_index + 1) * TOC_LINES_PER_PAGE))
        for index in chunk:
            part, (first, last) = parts[index], ranges[index]
            day = part.document_date or part.received_at.date()
            blatt = f"Blatt {first}" if first == last else f"Blatt {first}–{last}"
            flag = " [geschwärzt]" if part.redacted else ""
            pdf.drawString(72, y, blatt)
            pdf.drawString(160, y, day.strftime("%d.%m.%Y"))
            title = fonts.normalise(f"{part.title} ({part.doc_type})" if part.doc_type
                                    else part.title)
            pdf.drawString(220, y, (title[:60] + flag))
            y -= 18
        _stamp_canvas(pdf, 2 + page_index)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _stamp_canvas(pdf: canvas.Canvas, number: int) -> None:
    width, height = A4
    pdf.setFont("Helvetica", STAMP_SIZE)
    pdf.drawRightString(width - 28, height - 24, f"Blatt {number}")


def assemble(front: Path, sources: Iterable[Callable[[], Path]], out: Path,
             on_part: Callable[[int], None] | None = None) -> int:
    """Write the export PDF: ``front`` then each source (a callable that fetches the file
    and returns its path; the file is deleted once imported); every source page is
    stamped with its Blatt. Returns the number of pages.

    Two passes, each the fast tool for its job: pdfium imports the pages natively and
    works out where each page's stamp goes (its displayed top right, whatever its
    ``/Rotate`` and boxes); pypdf then adds the stamps as an *incremental update* — per
    page a small content stream and a font entry, the original content wrapped in
    ``q … Q`` and never parsed. Editing the pages in pdfium instead re-serialises every
    object of every page (measured ~30 ms per page)."""
    joined = out.with_suffix(".joined.pdf")
    anchors: list[tuple[float, ...]] = []
    with PDFIUM_LOCK:
        dst = pdfium.PdfDocument(str(front))
        first = len(dst)
        try:
            for index, fetch in enumerate(sources):
                path = fetch()
                src = pdfium.PdfDocument(str(path))
                try:
                    start = len(dst)
                    dst.import_pages(src)
                finally:
                    src.close()
                    path.unlink(missing_ok=True)
                for page_index in range(start, len(dst)):
                    page = dst[page_index]
                    try:
                        anchors.append(_anchor(page))
                    finally:
                        page.close()
                if on_part is not None:
                    on_part(index + 1)
            dst.save(str(joined))
            total = len(dst)
        finally:
            dst.close()
    _stamp_all(joined, out, first, anchors)
    joined.unlink(missing_ok=True)
    return total


def _anchor(page: pdfium.PdfPage) -> tuple[float, ...]:
    """The stamp's placement in the page's user space: a matrix (a b c d e f) that maps
    the label's own upright coordinates onto the displayed page's top right corner."""
    width, _height = page.get_size()
    label_w = _label_width(99999)
    x, y = _device_to_page(page, width - 24 - label_w, 12 + STAMP_SIZE + 5)
    angle = math.radians(page.get_rotation())
    return (math.cos(angle), math.sin(angle), -math.sin(angle), math.cos(angle), x, y)


def _label_width(number: int) -> float:
    return 6 + len(f"Blatt {number}") * STAMP_SIZE * 0.55


def _stamp_all(joined: Path, out: Path, first: int, anchors: list[tuple[float, ...]]) -> None:
    writer = PdfWriter(str(joined), incremental=True)
    font = writer._add_object(DictionaryObject({
        NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
        NameObject("/BaseFont"): NameObject("/Helvetica"),
        NameObject("/Encoding"): NameObject("/WinAnsiEncoding")}))
    opening = DecodedStreamObject()
    opening.set_data(b"q\n")
    opening_ref = writer._add_object(opening)
    for offset, matrix in enumerate(anchors):
        number = first + offset + 1
        page = writer.pages[first + offset]
        a, b, c, d, e, f = (round(v, 4) for v in matrix)
        stamp = DecodedStreamObject()
        stamp.set_data((
            f"Q\nq {a} {b} {c} {d} {e} {f} cm 1 1 1 rg 0 0 {_label_width(number):.1f} "
            f"{STAMP_SIZE + 5} re f 0 0 0 rg BT /AkteBlatt {STAMP_SIZE} Tf 3 4 Td "
            f"(Blatt {number}) Tj ET Q\n").encode())
        contents = page.get("/Contents")
        parts = ArrayObject([opening_ref])
        if contents is not None:
            resolved = contents.get_object()
            if isinstance(resolved, ArrayObject):
                parts.extend(resolved)
            else:
                parts.append(contents)
        parts.append(writer._add_object(stamp))
        page[NameObject("/Contents")] = parts
        resources = DictionaryObject(_inherited(page, "/Resources") or {})
        fonts = resources.get("/Font")
        fonts = DictionaryObject(fonts.get_object() if fonts is not None else {})
        fonts[NameObject("/AkteBlatt")] = font
        resources[NameObject("/Font")] = fonts
        page[NameObject("/Resources")] = resources
    with out.open("wb") as fh:
        writer.write(fh)


def _inherited(page: DictionaryObject, key: str) -> DictionaryObject | None:
    """A page attribute, looked up through ``/Parent`` as PDF inheritance says."""
    node: DictionaryObject | None = page
    while node is not None:
        if key in node:
            return node[key].get_object()
        parent = node.get("/Parent")
        node = parent.get_object() if parent is not None else None
    return None


def _device_to_page(page: pdfium.PdfPage, dx: float, dy: float) -> tuple[float, float]:
    """A point of the displayed page (points, origin top left) in PDF user space."""
    width, height = page.get_size()
    k = 100
    px, py = ctypes.c_double(), ctypes.c_double()
    pdfium_c.FPDF_DeviceToPage(page.raw, 0, 0, int(width * k), int(height * k), 0,
                               int(dx * k), int(dy * k), ctypes.byref(px), ctypes.byref(py))
    return px.value, py.value
