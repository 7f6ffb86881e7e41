"""Print profiles: where a provider's product wants the address, franking and blank zones.

All values in millimetres from the top-left corner of the A4 page. The print check
(:mod:`outbox.validation`) follows the profile it is given; :data:`DEFAULT` is the jobcenter
standard, DIN 5008 form B, whose geometry :mod:`outbox.geometry` describes.

``deutsche_post_epost`` is modelled on the published "ohne Deckblatt" rules for Deutsche
Post's E-POST letters: address block 45 mm from the top, 20 mm from the left, 85 × 45 mm;
sender line at most 8 mm high; 13 mm from 53 mm kept free for two franking fields; the
recipient in the remaining 24 mm; blank margins 7 mm top and bottom, 2.5 mm right, 12 mm
left (the left one is enforced by the provider). ``mailing_2mm`` follows providers that
only ask for a 2 mm safety distance from the trimmed edge (mailing services such as
optilyz). Check a provider's current specification before relying on a profile.
"""

from __future__ import annotations

from dataclasses import dataclass

from outbox import geometry as g


@dataclass(frozen=True)
class Margins:
    top: float
    right: float
    bottom: float
    left: float


@dataclass(frozen=True)
class PrintProfile:
    key: str
    title: str
    form: str  # "A" or "B" (DIN 5008)
    window_left_mm: float
    window_right_mm: float
    #: franking and postal notes: must stay blank
    notes_top_mm: float
    notes_bottom_mm: float
    #: the one Rücksendeangabe line (sender) allowed in the window
    return_top_mm: float
    return_bottom_mm: float
    address_top_mm: float
    address_bottom_mm: float
    margins: Margins
    max_pages: int = 20
    color: bool = True
    duplex: bool = True


DIN5008_B = PrintProfile(
    key="din5008_b", title="DIN 5008 Form B", form="B",
    window_left_mm=g.WINDOW_LEFT_MM, window_right_mm=g.WINDOW_RIGHT_MM,
    notes_top_mm=g.WINDOW_TOP_MM, notes_bottom_mm=g.NOTES_BOTTOM_MM,
    return_top_mm=g.NOTES_BOTTOM_MM, return_bottom_mm=g.RETURN_LINE_BOTTOM_MM,
    address_top_mm=g.ADDRESS_TOP_MM, address_bottom_mm=g.ADDRESS_BOTTOM_MM,
    margins=Margins(g.MARGIN_MM, g.MARGIN_MM, g.MARGIN_MM, g.MARGIN_MM),
)
DIN5008_A = PrintProfile(
    key="din5008_a", title="DIN 5008 Form A", form="A",
    window_left_mm=20, window_right_mm=105,
    notes_top_mm=27.0, notes_bottom_mm=34.7, return_top_mm=34.7, return_bottom_mm=39.7,
    address_top_mm=g.FORM_A_ADDRESS_TOP_MM, address_bottom_mm=g.FORM_A_ADDRESS_BOTTOM_MM,
    margins=Margins(g.MARGIN_MM, g.MARGIN_MM, g.MARGIN_MM, g.MARGIN_MM),
)
DEUTSCHE_POST_EPOST = PrintProfile(
    key="deutsche_post_epost", title="Deutsche Post E-POST, ohne Deckblatt", form="B",
    window_left_mm=20, window_right_mm=105,
    notes_top_mm=53.0, notes_bottom_mm=66.0, return_top_mm=45.0, return_bottom_mm=53.0,
    address_top_mm=66.0, address_bottom_mm=90.0,
    margins=Margins(top=7, right=2.5, bottom=7, left=12),
)
MAILING_2MM = PrintProfile(
    key="mailing_2mm", title="Mailing-Dienst, 2 mm Sicherheitsabstand", form="B",
    window_left_mm=g.WINDOW_LEFT_MM, window_right_mm=g.WINDOW_RIGHT_MM,
    notes_top_mm=g.WINDOW_TOP_MM, notes_bottom_mm=g.NOTES_BOTTOM_MM,
    return_top_mm=g.NOTES_BOTTOM_MM, return_bottom_mm=g.RETURN_LINE_BOTTOM_MM,
    address_top_mm=g.ADDRESS_TOP_MM, address_bottom_mm=g.ADDRESS_BOTTOM_MM,
    margins=Margins(2, 2, 2, 2),
)

PROFILES = {p.key: p for p in (DIN5008_B, DIN5008_A, DEUTSCHE_POST_EPOST, MAILING_2MM)}
DEFAULT = DIN5008_B
