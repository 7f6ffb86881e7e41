"""DIN 5008 form B geometry (the jobcenter standard), in millimetres from the top-left corner.

::

    0 ─────────────────────────────────────── top of the A4 sheet (210 × 297 mm)
       letterhead (Briefkopf)                  0 … 45 mm
    45 ┌ Anschriftfeld, x 20 … 105 mm ┐
       │ Vermerkzone   45.0 … 57.7    │  the provider prints franking and postal notes
       │               (4 lines)      │  (e.g. "Einschreiben", Frankiervermerk): EMPTY
       │ Rücksendeangabe 57.7 … 62.7  │  at most one line: the sender's return address
       │ Anschriftzone 62.7 … 90.0    │  the recipient, at most 9 lines
    90 └──────────────────────────────┘
       Informationsblock x 125 mm, from 50 mm; Betreff at 98.46 mm; no fold or hole marks (they would sit in the blank margin).

The Vermerkzone plus the Rücksendeangabe line make up DIN 5008's "Zusatz- und Vermerkzone"
(17.7 mm, 5 lines). We split it because the provider needs the upper four lines blank for
its franking imprint, while DIN 5008 places the return address in the lowest line.
"""

from __future__ import annotations

MM = 72 / 25.4  # PDF points per millimetre

A4_WIDTH_MM = 210.0
A4_HEIGHT_MM = 297.0
#: Tolerance for page sizes (PDF producers round A4 differently).
A4_TOLERANCE_MM = 2.0

WINDOW_LEFT_MM = 20.0
WINDOW_RIGHT_MM = 105.0  # 85 mm wide
WINDOW_TOP_MM = 45.0
NOTES_BOTTOM_MM = 57.7
RETURN_LINE_BOTTOM_MM = 62.7
ADDRESS_TOP_MM = 62.7
ADDRESS_BOTTOM_MM = 90.0  # 45 mm high
ADDRESS_MAX_LINES = 9

INFO_LEFT_MM = 125.0
INFO_TOP_MM = 50.0
SUBJECT_TOP_MM = 98.46
TEXT_LEFT_MM = 25.0
TEXT_RIGHT_MM = 190.0
FOLD_MARKS_MM = (105.0, 210.0)
HOLE_MARK_MM = 148.5


def bbox_pt(left_mm: float, top_mm: float, right_mm: float, bottom_mm: float) -> tuple:
    """A pdfplumber bounding box (x0, top, x1, bottom) in points."""
    return (left_mm * MM, top_mm * MM, right_mm * MM, bottom_mm * MM)


#: DIN 5008 form A: the Anschriftzone sits 17.7 mm higher (window from 27 mm).
FORM_A_ADDRESS_TOP_MM = 39.7
FORM_A_ADDRESS_BOTTOM_MM = 67.0
#: Blank margin on every edge of every page: the print street grips the sheet there.
MARGIN_MM = 5.0
