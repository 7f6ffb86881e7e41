"""The letter fonts: DejaVu Sans, embedded in every rendered letter.

The PDF base fonts (Helvetica) only know WinAnsi, so "Ayşe Yılmaz", "Łukasz Wąsik" or
"Nguyễn Văn Thắng" printed with black boxes and the manifest read them back wrong. DejaVu
Sans covers the Latin, Greek and Cyrillic blocks including Vietnamese; reportlab embeds a
subset of it with a ToUnicode map, so the text read back from the PDF is the text written.
The files come from Debian's ``fonts-dejavu-core`` (installed by
``scripts/install-system-deps.sh`` and the Dockerfile); its licence (Bitstream Vera /
public domain additions) allows embedding and redistribution.
"""

from __future__ import annotations

import os
import threading
import unicodedata
from functools import cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

REGULAR = "AkteSans"
BOLD = "AkteSans-Bold"

_FILES = {REGULAR: "DejaVuSans.ttf", BOLD: "DejaVuSans-Bold.ttf"}
_DIRS = (
    os.environ.get("AKTE_FONT_DIR", ""),
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/dejavu",
    "/usr/local/share/fonts/dejavu",
)
_lock = threading.Lock()


class FontMissing(RuntimeError):
    """The DejaVu files are not installed: a deployment error, not a user's."""


def _find(filename: str) -> Path:
    for folder in _DIRS:
        if folder and (path := Path(folder) / filename).is_file():
            return path
    raise FontMissing(
        f"{filename} not found in {[d for d in _DIRS if d]}; "
        "install fonts-dejavu-core or set AKTE_FONT_DIR"
    )


@cache
def _face(name: str) -> TTFont:
    return TTFont(name, str(_find(_FILES[name])))


def register() -> None:
    """Register both fonts with reportlab (idempotent, thread-safe)."""
    with _lock:
        registered = pdfmetrics.getRegisteredFontNames()
        for name in _FILES:
            if name not in registered:
                pdfmetrics.registerFont(_face(name))


def normalise(text: str) -> str:
    """NFC: reportlab places no combining marks, so "e" + U+0302 + U+0303 must become "ễ"."""
    return unicodedata.normalize("NFC", text)


def missing_glyphs(text: str, name: str = REGULAR) -> list[str]:
    """The characters of ``text`` the font cannot print (they would come out as boxes)."""
    widths = _face(name).face.charWidths
    return sorted(
        {ch for ch in normalise(text) if ch.isprintable() and ch != " " and ord(ch) not in widths}
    )


def width_mm(text: str, size: float, name: str = REGULAR) -> float:
    register()
    return pdfmetrics.stringWidth(normalise(text), name, size) * 25.4 / 72
