"""Checks a letter must pass before it is queued; each failure names the check.

1. ``pdf``: the bytes are a PDF by content (magic bytes, then a parser that can open it);
2. ``a4_portrait``: every page is A4 (±2 mm) and upright after ``/Rotate``;
3. ``page_limit``: at most the tenant's ``max_pages``;
4. ``notes_zone``: the Vermerkzone (upper 4 lines of the window, :mod:`outbox.geometry`)
   is blank — no text, image or drawing — and the Rücksendeangabe line holds at most one
   line of text. The provider prints franking and postal notes there;
5. ``address_zone``: the Anschriftzone (20 … 105 mm × 62.7 … 90 mm on page 1) holds 3 … 9
   text lines, none crossing the window edge, ending with (optional country after) a line
   ``NNNNN City`` with a five-digit postcode, preceded by a street line (with a house
   number, or Postfach) and at least one name line above it.

A failure raises :class:`LetterInvalid` (422, ``{"error": "letter_invalid", ...}``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import BinaryIO

import pdfplumber
from pypdf import PdfReader
from pypdf.errors import PdfReadError

from akte.core.errors import Unprocessable
from outbox import geometry as g

_POSTCODE_CITY = re.compile(r"^(D-)?\d{5}\s+\S.*$")
_STREET = re.compile(r"(\d+\s*[a-zA-Z]?\b|postfach|packstation)", re.IGNORECASE)
_COUNTRY = re.compile(r"^[A-ZÄÖÜ ]{4,}$")


class LetterInvalid(Unprocessable):
    code = "letter_invalid"


@dataclass(frozen=True)
class CheckedLetter:
    page_count: int
    recipient_lines: list[str]


def _fail(check: str, why: str) -> LetterInvalid:
    return LetterInvalid(f"{check}: {why}", code="letter_invalid")


def require_pdf(fileobj: BinaryIO) -> None:
    """Check 1 by content, before anything else reads the upload."""
    fileobj.seek(0)
    head = fileobj.read(1024).lstrip()
    fileobj.seek(0)
    if not head.startswith(b"%PDF-"):
        raise _fail("pdf", "the file is not a PDF")


def check_letter(fileobj: BinaryIO, *, max_pages: int) -> CheckedLetter:
    require_pdf(fileobj)
    try:
        reader = PdfReader(fileobj)
        if reader.is_encrypted:
            raise _fail("pdf", "the PDF is encrypted")
        pages = list(reader.pages)
        sizes = [
            (float(p.mediabox.width), float(p.mediabox.height), int(p.get("/Rotate", 0) or 0))
            for p in pages
        ]
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise _fail("pdf", f"the PDF cannot be read ({type(exc).__name__})") from exc
    if not pages:
        raise _fail("pdf", "the PDF has no pages")
    for number, (width, height, rotate) in enumerate(sizes, start=1):
        if rotate % 180:
            width, height = height, width
        tol = g.A4_TOLERANCE_MM * g.MM
        if abs(width - g.A4_WIDTH_MM * g.MM) > tol or abs(height - g.A4_HEIGHT_MM * g.MM) > tol:
            raise _fail(
                "a4_portrait",
                f"page {number} is {width / g.MM:.0f} × {height / g.MM:.0f} mm, "
                "not A4 portrait (210 × 297 mm)",
            )
    if len(pages) > max_pages:
        raise _fail("page_limit", f"{len(pages)} pages, the limit is {max_pages}")
    fileobj.seek(0)
    recipient = _check_window(fileobj)
    fileobj.seek(0)
    return CheckedLetter(page_count=len(pages), recipient_lines=recipient)


def _lines(page) -> list[str]:
    text = page.extract_text(layout=False) or ""
    return [line.strip() for line in text.splitlines() if line.strip()]


def _check_window(fileobj: BinaryIO) -> list[str]:
    try:
        pdf = pdfplumber.open(fileobj)
    except Exception as exc:  # pdfminer raises many unrelated types on broken files
        raise _fail("pdf", f"the PDF cannot be read ({type(exc).__name__})") from exc
    with pdf:
        page = pdf.pages[0]
        if page.rotation % 180:
            raise _fail("a4_portrait", "page 1 is rotated")
        notes = page.crop(
            g.bbox_pt(g.WINDOW_LEFT_MM, g.WINDOW_TOP_MM, g.WINDOW_RIGHT_MM, g.NOTES_BOTTOM_MM)
        )
        if notes.chars or notes.images or notes.rects or notes.curves or notes.lines:
            raise _fail(
                "notes_zone",
                "the Vermerkzone (45 … 57.7 mm from the top, 20 … 105 mm from the left) "
                "must be blank: the print provider franks there",
            )
        return_line = page.crop(
            g.bbox_pt(g.WINDOW_LEFT_MM, g.NOTES_BOTTOM_MM, g.WINDOW_RIGHT_MM,
                      g.RETURN_LINE_BOTTOM_MM)
        )
        if len(_lines(return_line)) > 1 or return_line.images:
            raise _fail("notes_zone", "only one return-address line may sit above the address")
        box = g.bbox_pt(g.WINDOW_LEFT_MM, g.ADDRESS_TOP_MM, g.WINDOW_RIGHT_MM, g.ADDRESS_BOTTOM_MM)
        zone = page.crop(box)
        inside = page.within_bbox(box)
        if len(zone.chars) != len(inside.chars):
            raise _fail("address_zone", "text crosses the edge of the address window")
        lines = _lines(inside)
    return _check_address(lines)


def _check_address(lines: list[str]) -> list[str]:
    if not lines:
        raise _fail("address_zone", "no text in the address window (Anschriftzone)")
    if len(lines) > g.ADDRESS_MAX_LINES:
        raise _fail("address_zone", f"{len(lines)} lines; the window holds 9")
    body = lines[:-1] if _COUNTRY.match(lines[-1]) and len(lines) > 3 else lines
    city_at = max((i for i, line in enumerate(body) if _POSTCODE_CITY.match(line)), default=None)
    if city_at is None:
        raise _fail("address_zone", "no line with a five-digit postcode and city")
    if city_at < 2:
        raise _fail("address_zone", "a name line and a street line must precede postcode/city")
    if not _STREET.search(body[city_at - 1]):
        raise _fail("address_zone", f"no street line above the postcode: {body[city_at - 1]!r}")
    return lines
