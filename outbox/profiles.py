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

Each profile also says, **per postal product**, what the provider accepts
(:class:`ProductRule`): the page and sheet limits, whether colour and duplex may be
ordered, and which envelope a letter of so many sheets goes into. A product the profile
does not list is not offered by that provider (E-POST, for one, has no
Postzustellungsurkunde). :func:`PrintProfile.rule` refuses what does not fit, before the
letter is queued; the envelope it chooses is kept with the letter and named in the
manifest. The E-POST limits follow the published product description (up to 96 pages,
DIN lang up to 6 sheets, C4 above); the generic DIN 5008 profiles take what a C4
Maxibrief holds (DL up to 9 sheets folded, C4 up to 100).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from outbox import geometry as g
from outbox.printcheck_errors import fail

ALL_PRODUCTS = (
    "standardbrief",
    "einschreiben_einwurf",
    "einschreiben",
    "einschreiben_rueckschein",
    "pzu",
)
_PRODUCT_NAMES = {
    "standardbrief": "Standardbrief",
    "einschreiben_einwurf": "Einwurf-Einschreiben",
    "einschreiben": "Einschreiben",
    "einschreiben_rueckschein": "Einschreiben mit Rückschein",
    "pzu": "Postzustellungsurkunde",
}


@dataclass(frozen=True)
class ProductRule:
    """What a provider accepts for one postal product."""

    max_pages: int
    max_sheets: int
    color: bool = True
    duplex: bool = True
    #: (up to so many sheets, envelope), smallest first
    envelopes: tuple[tuple[int, str], ...] = ((9, "DL"), (100, "C4"))

    def envelope(self, sheets: int) -> str | None:
        return next((name for limit, name in self.envelopes if sheets <= limit), None)


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
    #: postal product → what the provider accepts for it (absent: not offered)
    products: dict[str, ProductRule] = field(default_factory=dict)

    def rule(self, product: str, *, color: bool = False, duplex: bool = False) -> ProductRule:
        """The product's rule; 422 ``product`` when the provider does not offer it or not
        in colour / duplex."""
        rule = self.products.get(product)
        name = _PRODUCT_NAMES.get(product, product)
        if rule is None:
            offered = ", ".join(_PRODUCT_NAMES.get(p, p) for p in self.products)
            raise fail("product", f"{self.title} bietet „{name}“ nicht an; angeboten: {offered}")
        if color and not rule.color:
            raise fail(
                "product", f"{self.title}: „{name}“ nur schwarzweiß; bitte ohne Farbdruck bestellen"
            )
        if duplex and not rule.duplex:
            raise fail(
                "product", f"{self.title}: „{name}“ nur einseitig; bitte ohne Duplexdruck bestellen"
            )
        return rule

    def check_size(self, product: str, pages: int, sheets: int) -> str:
        """The envelope for a letter of ``pages`` / ``sheets``; 422 beyond the limits."""
        rule = self.rule(product)
        name = _PRODUCT_NAMES.get(product, product)
        if pages > rule.max_pages:
            raise fail(
                "page_limit",
                f"{pages} Seiten; {self.title} nimmt als „{name}“ höchstens {rule.max_pages}",
            )
        envelope = rule.envelope(sheets)
        if sheets > rule.max_sheets or envelope is None:
            raise fail(
                "sheet_limit",
                f"{sheets} Blatt; {self.title} nimmt als „{name}“ "
                f"höchstens {rule.max_sheets} Blatt (beidseitiger Druck spart Blätter)",
            )
        return envelope


_GENERIC = {product: ProductRule(max_pages=200, max_sheets=100) for product in ALL_PRODUCTS}
_EPOST = {
    product: ProductRule(max_pages=96, max_sheets=96, envelopes=((6, "DL"), (96, "C4")))
    for product in ALL_PRODUCTS
    if product != "pzu"
}
_MAILING = {"standardbrief": ProductRule(max_pages=12, max_sheets=6, envelopes=((6, "DL"),))}


DIN5008_B = PrintProfile(
    key="din5008_b",
    title="DIN 5008 Form B",
    form="B",
    window_left_mm=g.WINDOW_LEFT_MM,
    window_right_mm=g.WINDOW_RIGHT_MM,
    notes_top_mm=g.WINDOW_TOP_MM,
    notes_bottom_mm=g.NOTES_BOTTOM_MM,
    return_top_mm=g.NOTES_BOTTOM_MM,
    return_bottom_mm=g.RETURN_LINE_BOTTOM_MM,
    address_top_mm=g.ADDRESS_TOP_MM,
    address_bottom_mm=g.ADDRESS_BOTTOM_MM,
    margins=Margins(g.MARGIN_MM, g.MARGIN_MM, g.MARGIN_MM, g.MARGIN_MM),
    products=_GENERIC,
)
DIN5008_A = PrintProfile(
    key="din5008_a",
    title="DIN 5008 Form A",
    form="A",
    window_left_mm=20,
    window_right_mm=105,
    notes_top_mm=27.0,
    notes_bottom_mm=34.7,
    return_top_mm=34.7,
    return_bottom_mm=39.7,
    address_top_mm=g.FORM_A_ADDRESS_TOP_MM,
    address_bottom_mm=g.FORM_A_ADDRESS_BOTTOM_MM,
    margins=Margins(g.MARGIN_MM, g.MARGIN_MM, g.MARGIN_MM, g.MARGIN_MM),
    products=_GENERIC,
)
DEUTSCHE_POST_EPOST = PrintProfile(
    key="deutsche_post_epost",
    title="Deutsche Post E-POST, ohne Deckblatt",
    form="B",
    window_left_mm=20,
    window_right_mm=105,
    notes_top_mm=53.0,
    notes_bottom_mm=66.0,
    return_top_mm=45.0,
    return_bottom_mm=53.0,
    address_top_mm=66.0,
    address_bottom_mm=90.0,
    margins=Margins(top=7, right=2.5, bottom=7, left=12),
    products=_EPOST,
)
MAILING_2MM = PrintProfile(
    key="mailing_2mm",
    title="Mailing-Dienst, 2 mm Sicherheitsabstand",
    form="B",
    window_left_mm=g.WINDOW_LEFT_MM,
    window_right_mm=g.WINDOW_RIGHT_MM,
    notes_top_mm=g.WINDOW_TOP_MM,
    notes_bottom_mm=g.NOTES_BOTTOM_MM,
    return_top_mm=g.NOTES_BOTTOM_MM,
    return_bottom_mm=g.RETURN_LINE_BOTTOM_MM,
    address_top_mm=g.ADDRESS_TOP_MM,
    address_bottom_mm=g.ADDRESS_BOTTOM_MM,
    margins=Margins(2, 2, 2, 2),
    products=_MAILING,
)

PROFILES = {p.key: p for p in (DIN5008_B, DIN5008_A, DEUTSCHE_POST_EPOST, MAILING_2MM)}
DEFAULT = DIN5008_B
