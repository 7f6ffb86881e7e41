"""The Akteneinsicht / Aktenübersendung PDF: cover sheet, table of contents, Blattzahlen.

Layout of the one PDF::

    Blatt 1                 cover sheet (Akte, recipient, purpose, counts, who/when)
    Blatt 2 … 1+t           table of contents: per document its Blatt range, date, title,
                            Dokumentart and whether a redacted copy is used
    Blatt 2+t …             the documents' pages in Akte order, each stamped "Blatt N"

The table of contents is laid out first (its length depends only on the number of
documents), so every Blatt number it prints is the number stamped on that page. Pages are
imported with pdfium one document at a time from a temporary copy that is deleted right
after, so memory holds the output being assembled, never all sources at once; the stamp is
a text object added to each page (no re-rendering).

Not PDF/A: the stamp uses the standard Helvetica (not embedded) and the sources are the
archive renditions, which are not declared PDF/A either (see ``ingest/archive.py``).
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
    stamped with its Blatt. Returns the number of pages."""
    with PDFIUM_LOCK:
        dst = pdfium.PdfDocument(str(front))
        font = pdfium_c.FPDFText_LoadStandardFont(dst.raw, b"Helvetica")
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
                        _stamp_page(dst, font, page, page_index + 1)
                    finally:
                        page.close()
                if on_part is not None:
                    on_part(index + 1)
            dst.save(str(out))
            return len(dst)
        finally:
            dst.close()


def _stamp_page(pdf: pdfium.PdfDocument, font: object, page: pdfium.PdfPage,
                number: int) -> None:
    """"Blatt N" on a white label at the displayed page's top right, upright whatever the
    page's ``/Rotate``: placed through pdfium's device→page mapping."""
    width, _height = page.get_size()
    text = f"Blatt {number}"
    label_w, label_h = 6 + len(text) * STAMP_SIZE * 0.55, STAMP_SIZE + 5
    x, y = _device_to_page(page, width - 24 - label_w, 12 + label_h)
    rotation = page.get_rotation()
    angle = math.radians(rotation)
    a, b, c, d = math.cos(angle), math.sin(angle), -math.sin(angle), math.cos(angle)
    rect = pdfium_c.FPDFPageObj_CreateNewRect(0, 0, label_w, label_h)
    pdfium_c.FPDFPageObj_SetFillColor(rect, 255, 255, 255, 255)
    pdfium_c.FPDFPath_SetDrawMode(rect, pdfium_c.FPDF_FILLMODE_WINDING, 0)
    pdfium_c.FPDFPageObj_Transform(rect, a, b, c, d, x, y)
    pdfium_c.FPDFPage_InsertObject(page.raw, rect)
    obj = pdfium_c.FPDFPageObj_CreateTextObj(pdf.raw, font, ctypes.c_float(STAMP_SIZE))
    encoded = (text + "\0").encode("utf-16-le")
    buffer = ctypes.create_string_buffer(encoded, len(encoded))
    pdfium_c.FPDFText_SetText(obj, ctypes.cast(buffer, pdfium_c.FPDF_WIDESTRING))
    pdfium_c.FPDFPageObj_SetFillColor(obj, 0, 0, 0, 255)
    pdfium_c.FPDFPageObj_Transform(obj, 1, 0, 0, 1, 3, 4)
    pdfium_c.FPDFPageObj_Transform(obj, a, b, c, d, x, y)
    pdfium_c.FPDFPage_InsertObject(page.raw, obj)
    pdfium_c.FPDFPage_GenerateContent(page.raw)


def _device_to_page(page: pdfium.PdfPage, dx: float, dy: float) -> tuple[float, float]:
    """A point of the displayed page (points, origin top left) in PDF user space."""
    width, height = page.get_size()
    k = 100
    px, py = ctypes.c_double(), ctypes.c_double()
    pdfium_c.FPDF_DeviceToPage(page.raw, 0, 0, int(width * k), int(height * k), 0,
                               int(dx * k), int(dy * k), ctypes.byref(px), ctypes.byref(py))
    return px.value, py.value
