"""Read the address window of a rendered letter back (pypdfium2) and compare.

A second, independent text engine (PDFium, not the pdfminer behind the window check)
reads the Anschriftzone of page 1. If it does not say exactly what the caseworker entered
— a missing glyph, a wrong ToUnicode map, a line pushed out of the window — the letter is
not queued: the provider copies this text onto envelopes and Zustellungsurkunden.
"""

from __future__ import annotations

import difflib

import pypdfium2 as pdfium

from outbox import fonts
from outbox import geometry as g
from outbox.profiles import DEFAULT, PrintProfile
from outbox.validation import LetterInvalid


def window_text(pdf: bytes, profile: PrintProfile = DEFAULT) -> list[str]:
    """The lines inside the Anschriftzone of page 1, as PDFium extracts them."""
    document = pdfium.PdfDocument(pdf)
    try:
        page = document[0]
        height = page.get_height()
        textpage = page.get_textpage()
        text = textpage.get_text_bounded(
            left=profile.window_left_mm * g.MM,
            right=profile.window_right_mm * g.MM,
            top=height - profile.address_top_mm * g.MM,
            bottom=height - profile.address_bottom_mm * g.MM,
        )
        textpage.close()
        page.close()
    finally:
        document.close()
    return [fonts.normalise(line.strip()) for line in text.splitlines() if line.strip()]


def require_address(pdf: bytes, entered: list[str], profile: PrintProfile = DEFAULT) -> None:
    """Raise :class:`LetterInvalid` (422) with the difference unless the window reads
    back as ``entered``."""
    read = [" ".join(line.split()) for line in window_text(pdf, profile)]
    # runs of spaces (the Dutch "1012 AB  AMSTERDAM") are printed, but text engines
    # report them as one: compare glyphs, not spacing
    expected = [" ".join(fonts.normalise(line).split()) for line in entered if line.strip()]
    if read == expected:
        return
    diff = "; ".join(
        line
        for line in difflib.unified_diff(expected, read, "eingegeben", "gedruckt", lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("---", "+++"))
    )
    raise LetterInvalid(
        "address_zone: die gedruckte Anschrift weicht von der eingegebenen ab "
        f"(- eingegeben, + gedruckt): {diff}",
        code="letter_invalid",
    )
