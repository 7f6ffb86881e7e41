"""Builders for box files: pages with text markers, printed and patch-code separator sheets."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pypdfium2 as pdfium
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from ingest.deliveries.patchcodes import PATTERNS
from tests.deliveries.conftest import barcode_image


@dataclass(frozen=True)
class Sheet:
    """One page of a box: ``text`` page, or a separator ``barcode``/``patch`` (maybe smudged)."""

    kind: str
    text: str = ""
    code: str = "T"
    readable: bool = True


def text(marker: str) -> Sheet:
    return Sheet("text", marker)


def barcode(readable: bool = True) -> Sheet:
    return Sheet("barcode", readable=readable)


def patch(code: str = "T", readable: bool = True) -> Sheet:
    return Sheet("patch", code=code, readable=readable)


def _draw_patch(c: canvas.Canvas, code: str, readable: bool) -> None:
    """Four bars per the patch code spec (0.08 in / 0.20 in wide, 0.20 in apart, 3 in long);
    a smudged sheet loses the lower bars' halves and gets a fifth bar."""
    bars = next(p for p, name in PATTERNS.items() if name == code)
    x = 200.0
    for wide in bars:
        width = 14.4 if wide else 5.76
        c.rect(x, 350, width, 216, stroke=0, fill=1)
        x += width + 14.4
    if not readable:
        c.rect(x, 350, 5.76, 216, stroke=0, fill=1)
        c.setFillColorRGB(1, 1, 1)
        c.rect(190, 350, 120, 130, stroke=0, fill=1)
        c.setFillColorRGB(0, 0, 0)


def _draw_barcode(c: canvas.Canvas, readable: bool) -> None:
    png = io.BytesIO()
    barcode_image("PATCHT").save(png, "PNG")
    png.seek(0)
    c.drawImage(ImageReader(png), 100, 500, width=380, height=160)
    if not readable:  # a torn sheet: the middle of the barcode is gone
        c.setFillColorRGB(1, 1, 1)
        c.rect(200, 490, 180, 180, stroke=0, fill=1)
        c.setFillColorRGB(0, 0, 0)


def box_pdf(sheets: list[Sheet]) -> bytes:
    """A born-digital box PDF; text pages carry their marker as extractable text."""
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    for sheet in sheets:
        if sheet.kind == "text":
            c.setFont("Helvetica", 14)
            c.drawString(72, 760, sheet.text)
            c.drawString(72, 730, "Inhalt der Seite")
        elif sheet.kind == "barcode":
            _draw_barcode(c, sheet.readable)
        elif sheet.kind == "patch":
            _draw_patch(c, sheet.code, sheet.readable)
        c.showPage()
    c.save()
    return buffer.getvalue()


def page_texts(data: bytes) -> list[str]:
    pdf = pdfium.PdfDocument(data)
    try:
        return [pdf[i].get_textpage().get_text_range().strip() for i in range(len(pdf))]
    finally:
        pdf.close()
