"""PDFs with something to hide: visible text, an image, an invisible OCR layer over a
scanned name, an annotation and metadata that name people."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFont
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

WIDTH, HEIGHT = A4
#: The red image on page 1, display coordinates (x0, top, x1, bottom) in points.
RED_BOX = (300.0, 267.0, 450.0, 342.0)
#: The scanned surname on page 2 (pixels in an image, an invisible OCR word over it).
SCAN_BOX = (160.0, 212.0, 330.0, 242.0)
SECRET_WORDS = ("Mustermann", "Musterfrau", "2020 51")
KEPT_WORDS = ("Antragsteller", "bleibt lesbar", "Seite zwei bleibt", "Anlage ohne Treffer")


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",):
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            continue
    return ImageFont.load_default()


def scanned_word(word: str) -> Image.Image:
    """``word`` as pixels, dark grey on white, cropped to the ink (as a scanner sees it)."""
    image = Image.new("RGB", (1200, 120), "white")
    ImageDraw.Draw(image).text((10, 10), word, fill=(40, 40, 40), font=_font(80))
    left, top, right, bottom = image.convert("L").point(lambda v: 255 - v).getbbox()
    return image.crop((left - 4, top - 4, right + 4, bottom + 4))


def _scanned_words(pdf: canvas.Canvas, words: list[tuple[str, tuple[float, ...]]]) -> None:
    """Each word as an image with the OCR layer's invisible word exactly over it (what
    Tesseract's PDF output does per word)."""
    for word, (x0, top, x1, bottom) in words:
        pdf.drawImage(
            ImageReader(scanned_word(word)), x0, HEIGHT - bottom, width=x1 - x0, height=bottom - top
        )
        text = pdf.beginText()
        text.setTextRenderMode(3)
        size = bottom - top
        text.setFont("Helvetica", size)
        text.setHorizScale(100 * (x1 - x0) / pdf.stringWidth(word, "Helvetica", size))
        text.setTextOrigin(x0, HEIGHT - bottom + size * 0.2)
        text.textOut(word + " ")
        pdf.drawText(text)


def secret_pdf() -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setTitle("Akte Max Mustermann")
    pdf.setAuthor("Erika Musterfrau")
    # page 1: born-digital text, an IBAN, a red photo, a note
    pdf.setFont("Helvetica", 14)
    pdf.drawString(72, 750, "Antragsteller: Max Mustermann")
    pdf.drawString(72, 720, "IBAN DE02 1203 0000 0000 2020 51")
    pdf.drawString(72, 690, "Dieser Satz bleibt lesbar.")
    red = Image.new("RGB", (300, 150), (230, 20, 20))
    pdf.drawImage(ImageReader(red), 300, 500, width=150, height=75)
    pdf.textAnnotation("Notiz zu Mustermann", Rect=(72, 400, 200, 450))
    pdf.showPage()
    # page 2: a "scan" of a name with an OCR layer (invisible text) exactly over it
    _scanned_words(pdf, [("Erika", (72.0, 212.0, 150.0, 242.0)), ("Musterfrau", SCAN_BOX)])
    pdf.setFont("Helvetica", 14)
    pdf.drawString(72, 500, "Seite zwei bleibt sichtbar.")
    pdf.showPage()
    # page 3: nothing to mark in its text, but a note that names the witness
    pdf.setFont("Helvetica", 14)
    pdf.drawString(72, 750, "Anlage ohne Treffer im Text.")
    pdf.textAnnotation("Zeugin Musterfrau anrufen", Rect=(72, 600, 200, 650))
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
