"""Checks a letter must pass before it is queued; each failure names the check.

1. ``pdf``: the bytes are a PDF by content (magic bytes, then a parser that can open it);
   encrypted with permissions only, it is re-written unencrypted (:func:`prepare_letter`);
2. ``a4_portrait``: every page is A4 (±2 mm) and upright after ``/Rotate``, in MediaBox,
   CropBox (the visible area) and TrimBox; a page turned by 180° is named as such;
3. ``page_limit``: at most the tenant's ``max_pages``;
4. ``fonts``, ``forms``, ``javascript``, ``annotations``, ``transparency``: see
   :mod:`outbox.printcheck`;
5. ``color``: a letter ordered black-and-white holds no colour image, text or drawing
   (refused rather than converted: the caseworker decides between grey and colour print);
6. ``margin``: nothing visible within :data:`~outbox.geometry.MARGIN_MM` (5 mm) of an edge;
7. ``notes_zone``: the Vermerkzone (upper 4 lines of the window, :mod:`outbox.geometry`)
   is blank — no visible text, image or drawing — and the Rücksendeangabe line holds at
   most one line of text. The provider prints franking and postal notes there. An address
   in the place of DIN 5008 form A is called that;
8. ``address_zone``: the Anschriftzone (20 … 105 mm × 62.7 … 90 mm on page 1) holds 3 … 9
   text lines, none crossing the window edge, that :func:`outbox.addresses.parse_lines`
   reads as a postal address: name lines, street (with a house number, or Postfach, for
   domestic mail), the destination country's postcode and city line, and for foreign mail
   the country's name last (``1010 Wien`` / ``ÖSTERREICH``).

"Visible" means what prints: a white rectangle without a coloured stroke is ignored (many
programs lay one under the whole page). A failure raises :class:`LetterInvalid` (422,
``{"error": "letter_invalid", "detail": "<check>: <German text with page and mm>"}``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import BinaryIO

import pdfplumber
from pypdf import PdfReader
from pypdf.errors import PdfReadError

from outbox import geometry as g
from outbox import printcheck
from outbox.addresses import AddressUnreadable, PostalAddress, parse_lines
from outbox.printcheck_errors import LetterInvalid, fail
from outbox.profiles import DEFAULT, PrintProfile

__all__ = ["CheckedLetter", "LetterInvalid", "check_letter", "prepare_letter", "require_pdf"]

_POSTCODE_CITY = re.compile(r"^(D-)?\d{5}\s+\S.*$")
_WHITE = {(1.0,), (1.0, 1.0, 1.0), (0.0, 0.0, 0.0, 0.0)}


@dataclass(frozen=True)
class CheckedLetter:
    page_count: int
    recipient_lines: list[str]
    #: the window's address read into its structure (name lines, street, postcode, …)
    address: PostalAddress | None = field(default=None)


_fail = fail


def require_pdf(fileobj: BinaryIO) -> None:
    """Check 1 by content, before anything else reads the upload."""
    fileobj.seek(0)
    head = fileobj.read(1024).lstrip()
    fileobj.seek(0)
    if not head.startswith(b"%PDF-"):
        raise _fail("pdf", "die Datei ist kein PDF")


def prepare_letter(fileobj: BinaryIO) -> BinaryIO:
    """The upload, or a re-written copy (permissions-only encryption, link annotations)."""
    require_pdf(fileobj)
    return printcheck.prepare(fileobj)


def check_letter(
    fileobj: BinaryIO,
    *,
    max_pages: int,
    color: bool = True,
    profile: PrintProfile = DEFAULT,
    origin: str = "DE",
) -> CheckedLetter:
    """All checks, zones and margins as ``profile`` (:mod:`outbox.profiles`) asks;
    ``origin`` is the sender's country (mail to another country needs its name last)."""
    require_pdf(fileobj)
    try:
        reader = PdfReader(fileobj)
        if reader.is_encrypted:
            raise _fail("pdf", "das PDF ist verschlüsselt; bitte ohne Kennwort speichern")
        pages = list(reader.pages)
        sizes = [
            (float(p.mediabox.width), float(p.mediabox.height), int(p.get("/Rotate", 0) or 0))
            for p in pages
        ]
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise _fail("pdf", f"das PDF ist beschädigt ({type(exc).__name__})") from exc
    if not pages:
        raise _fail("pdf", "das PDF hat keine Seiten")
    for number, (width, height, rotate) in enumerate(sizes, start=1):
        if rotate % 180:
            width, height = height, width
        tol = g.A4_TOLERANCE_MM * g.MM
        if abs(width - g.A4_WIDTH_MM * g.MM) > tol or abs(height - g.A4_HEIGHT_MM * g.MM) > tol:
            raise _fail(
                "a4_portrait",
                f"Seite {number} ist {width / g.MM:.0f} × {height / g.MM:.0f} mm groß, "
                "nicht A4 hochkant (210 × 297 mm)",
            )
    if len(pages) > max_pages:
        raise _fail("page_limit", f"{len(pages)} Seiten; erlaubt sind höchstens {max_pages}")
    try:
        printcheck.check_structure(reader)
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise _fail("pdf", f"das PDF ist beschädigt ({type(exc).__name__})") from exc
    fileobj.seek(0)
    recipient = _check_pages(fileobj, color=color, profile=profile)
    fileobj.seek(0)
    return CheckedLetter(
        page_count=len(pages), recipient_lines=recipient, address=_check_address(recipient, origin)
    )


def _colour(value) -> tuple[float, ...] | None:
    if value is None:
        return None
    if isinstance(value, int | float):
        return (float(value),)
    try:
        return tuple(float(v) for v in value)
    except (TypeError, ValueError):
        return None  # a pattern: counts as visible and coloured


def _is_white(value) -> bool:
    return _colour(value) in _WHITE


def _is_coloured(value) -> bool:
    c = _colour(value)
    if c is None or len(c) == 1:
        return False
    if len(c) == 3:
        return max(c) - min(c) > 0.01
    return len(c) == 4 and max(c[:3]) > 0.01


def _visible(obj: dict) -> bool:
    if obj.get("object_type") in ("char", "image"):
        return True
    filled = obj.get("fill") and not _is_white(obj.get("non_stroking_color"))
    stroked = obj.get("stroke") and not _is_white(obj.get("stroking_color"))
    return bool(filled or stroked)


def _objects(page) -> list[dict]:
    return [
        o
        for o in (*page.chars, *page.images, *page.rects, *page.lines, *page.curves)
        if _visible(o)
    ]


def _mm(value: float) -> str:
    return f"{value / g.MM:.1f}".replace(".", ",")


def _check_pages(fileobj: BinaryIO, *, color: bool, profile: PrintProfile) -> list[str]:
    try:
        pdf = pdfplumber.open(fileobj)
    except Exception as exc:  # pdfminer raises many unrelated types on broken files
        raise _fail("pdf", f"das PDF ist beschädigt ({type(exc).__name__})") from exc
    with pdf:
        for number, page in enumerate(pdf.pages, start=1):
            objects = _objects(page)
            if not color:
                _check_black_and_white(number, objects)
            _check_margin(number, page, objects, profile)
        page = pdf.pages[0]
        if page.rotation % 180:
            raise _fail("a4_portrait", "Seite 1 ist gedreht (quer)")
        _check_upside_down(page)
        return _check_window(page, profile)


def _check_black_and_white(number: int, objects: list[dict]) -> None:
    for obj in objects:
        kind = obj["object_type"]
        if kind == "image":
            spaces = " ".join(str(s).strip("/'") for s in obj.get("colorspace") or [])
            if (
                any(token in spaces for token in ("RGB", "CMYK", "Lab", "ICCBased", "Indexed"))
                and "Gray" not in spaces
            ):
                raise _fail(
                    "color",
                    f"Seite {number}: ein farbiges Bild ({spaces}, "
                    f"{_mm(obj['top'])} mm von oben) in einem schwarzweiß bestellten "
                    "Brief; bitte das Bild in Graustufen einfügen oder Farbdruck "
                    "wählen",
                )
        elif _is_coloured(obj.get("non_stroking_color")) or (
            kind != "char" and obj.get("stroke") and _is_coloured(obj.get("stroking_color"))
        ):
            what = "farbige Schrift" if kind == "char" else "farbige Grafik"
            raise _fail(
                "color",
                f"Seite {number}: {what} ({_mm(obj['top'])} mm von oben) in "
                "einem schwarzweiß bestellten Brief; bitte schwarz setzen oder "
                "Farbdruck wählen",
            )


def _check_margin(number: int, page, objects: list[dict], profile: PrintProfile) -> None:
    width, height = float(page.width), float(page.height)
    m = profile.margins
    need = {"linken": m.left, "rechten": m.right, "oberen": m.top, "unteren": m.bottom}
    for obj in objects:
        gaps = {
            "linken": obj["x0"],
            "rechten": width - obj["x1"],
            "oberen": obj["top"],
            "unteren": height - obj["bottom"],
        }
        edge, gap = min(gaps.items(), key=lambda item: item[1] - need[item[0]] * g.MM)
        if gap < need[edge] * g.MM - 0.01:
            where = (
                f"{_mm(obj['top'])} mm von oben"
                if edge in ("linken", "rechten")
                else f"{_mm(obj['x0'])} mm von links"
            )
            raise _fail(
                "margin",
                f"Seite {number}: Inhalt {_mm(max(gap, 0))} mm vom {edge} "
                f"Rand ({where}); mindestens {need[edge]:g} mm Rand müssen frei "
                "bleiben, dort greift die Druckstraße das Blatt",
            )


def _n(value_mm: float) -> str:
    return f"{value_mm:g}".replace(".", ",")


def _check_upside_down(page) -> None:
    chars = page.chars
    turned = sum(1 for c in chars if c["matrix"][0] < 0 and c["matrix"][3] < 0)
    if chars and turned * 2 > len(chars):
        raise _fail(
            "a4_portrait", "Seite 1 steht auf dem Kopf (um 180° gedreht); bitte aufrecht speichern"
        )


def _lines(page) -> list[str]:
    text = page.extract_text(layout=False) or ""
    return [line.strip() for line in text.splitlines() if line.strip()]


def _check_window(page, p: PrintProfile) -> list[str]:
    left, right = p.window_left_mm, p.window_right_mm
    notes = page.crop(g.bbox_pt(left, p.notes_top_mm, right, p.notes_bottom_mm))
    found = _objects(notes)
    if found and p.form == "B":
        form_a = page.within_bbox(
            g.bbox_pt(
                g.WINDOW_LEFT_MM,
                g.FORM_A_ADDRESS_TOP_MM,
                g.WINDOW_RIGHT_MM,
                g.FORM_A_ADDRESS_BOTTOM_MM,
            )
        )
        if any(_POSTCODE_CITY.match(line) for line in _lines(form_a)):
            raise _fail(
                "notes_zone",
                "die Anschrift steht an der Stelle von DIN 5008 Form A (Anschriftzone "
                "39,7 … 67 mm von oben); verlangt ist Form B: Anschrift 62,7 … 90 mm von "
                "oben, die Vermerkzone darüber (45 … 57,7 mm) bleibt frei",
            )
    if found:
        first = min(found, key=lambda o: o["top"])
        raise _fail(
            "notes_zone",
            f"die Vermerkzone ({_n(p.notes_top_mm)} … {_n(p.notes_bottom_mm)} mm von oben, "
            f"{_n(left)} … {_n(right)} mm von links) muss frei bleiben, dort frankiert der "
            f"Druckdienstleister; gefunden bei {_mm(first['top'])} mm von oben",
        )
    return_line = page.crop(g.bbox_pt(left, p.return_top_mm, right, p.return_bottom_mm))
    if len(_lines(return_line)) > 1 or return_line.images:
        raise _fail(
            "notes_zone",
            f"über der Anschrift ({_n(p.return_top_mm)} … "
            f"{_n(p.return_bottom_mm)} mm von oben) ist nur eine Zeile "
            "Rücksendeangabe erlaubt",
        )
    box = g.bbox_pt(left, p.address_top_mm, right, p.address_bottom_mm)
    zone = page.crop(box)
    inside = page.within_bbox(box)
    if len(zone.chars) != len(inside.chars):
        cut = next(c for c in zone.chars if c not in inside.chars)
        raise _fail(
            "address_zone",
            f"Text ragt über den Rand des Sichtfensters (bei "
            f"{_mm(cut['top'])} mm von oben, {_mm(cut['x0'])} mm von links); die "
            f"Anschriftzone ist {_n(left)} … {_n(right)} mm von links, "
            f"{_n(p.address_top_mm)} … {_n(p.address_bottom_mm)} mm von oben",
        )
    return _window_lines(_lines(inside))


def _window_lines(lines: list[str]) -> list[str]:
    if not lines:
        raise _fail(
            "address_zone",
            "keine Anschrift im Sichtfenster (62,7 … 90 mm von oben, 20 … 105 mm von links)",
        )
    if len(lines) > g.ADDRESS_MAX_LINES:
        raise _fail(
            "address_zone", f"{len(lines)} Zeilen; ins Sichtfenster passen {g.ADDRESS_MAX_LINES}"
        )
    return lines


def _check_address(lines: list[str], origin: str) -> PostalAddress:
    try:
        return parse_lines(lines, origin)
    except AddressUnreadable as exc:
        raise _fail("address_zone", str(exc)) from None
