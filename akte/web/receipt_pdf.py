"""The Eingangsbestätigung as a PDF the citizen keeps.

DejaVu Sans is embedded so file names in any script the font covers (Latin with umlauts,
Cyrillic, Greek, Arabic letters) print instead of boxes. reportlab does not shape Arabic,
so such names appear with unjoined letters; the SHA-256 beside each name is what proves
which file it was.
"""

from __future__ import annotations

import io
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from akte.case_files.models import CaseFile
from akte.web.models import UploadReceipt
from akte.web.templating import human_size, local_time

FONT_DIRS = [Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu")]
_registered: dict[str, str] = {}


def _fonts() -> tuple[str, str]:
    """Regular and bold font names; Helvetica if DejaVu is not installed."""
    if not _registered:
        for folder in FONT_DIRS:
            regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
            if regular.exists() and bold.exists():
                pdfmetrics.registerFont(TTFont("DejaVuSans", str(regular)))
                pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(bold)))
                _registered.update(regular="DejaVuSans", bold="DejaVuSans-Bold")
                break
        else:
            _registered.update(regular="Helvetica", bold="Helvetica-Bold")
    return _registered["regular"], _registered["bold"]


def _fit(c: canvas.Canvas, text: str, font: str, size: float, width: float) -> str:
    if c.stringWidth(text, font, size) <= width:
        return text
    while text and c.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


def render(receipt: UploadReceipt, case_file: CaseFile, tenant_name: str) -> bytes:
    regular, bold = _fonts()
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    c.setTitle(f"Eingangsbestätigung {case_file.aktenzeichen}")
    c.setAuthor(tenant_name)
    width, height = A4
    left, right = 20 * mm, width - 20 * mm
    y = height - 25 * mm

    def line(text: str, font: str = regular, size: float = 10, gap: float = 6 * mm) -> None:
        nonlocal y
        if y < 25 * mm:
            c.showPage()
            y = height - 25 * mm
        c.setFont(font, size)
        c.drawString(left, y, _fit(c, text, font, size, right - left))
        y -= gap

    line(tenant_name, bold, 11)
    line("Eingangsbestätigung", bold, 16, 10 * mm)
    line(f"Aktenzeichen: {case_file.aktenzeichen}")
    line(f"Eingegangen am: {local_time(receipt.created_at, '%d.%m.%Y um %H:%M:%S')} Uhr")
    line(f"Belegnummer: {receipt.id}", gap=10 * mm)
    line(f"Wir haben {len(receipt.items)} Datei(en) erhalten:", bold, 11, 8 * mm)
    for number, item in enumerate(receipt.items, start=1):
        line(f"{number}. {item['filename']}", bold, 10, 5 * mm)
        line(f"   Größe: {human_size(item['size'])} ({item['size']} Bytes)", gap=5 * mm)
        line(f"   SHA-256: {item['sha256']}", regular, 8, 8 * mm)
    y -= 4 * mm
    line("Die Dateien werden geprüft und Ihrer Akte zugeordnet.", gap=5 * mm)
    line("Diese Bestätigung belegt den Eingang, nicht die Vollständigkeit der Unterlagen.")
    c.showPage()
    c.save()
    return buffer.getvalue()
