"""Letters rendered from the template with reportlab: DIN 5008 form B on A4.

The first page carries the letterhead of the tenant, the return address line and the
recipient in the window (see :mod:`outbox.geometry`), the Informationsblock (date,
Aktenzeichen), the subject and the start of the body; the body flows on to further pages.
Every text is set in DejaVu Sans (:mod:`outbox.fonts`), embedded, so every Latin name
prints and reads back as written. ``color=False`` renders in pure black.

Nothing is ever cut: the address is laid out by :func:`address_layout` (10, 9 or 8 pt, so
up to 9 lines fit the Anschriftzone) and refused naming the line that does not fit;
letterhead and Informationsblock shrink to fit and are refused only when even 6 pt is too
wide. After rendering, :mod:`outbox.printcheck_readback` reads the address window back and the
letter is refused unless it says exactly what was entered.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from xml.sax.saxutils import escape

from reportlab.lib.colors import Color, black
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from outbox import fonts
from outbox import geometry as g
from outbox.portal_code import PortalNotice
from outbox.profiles import DEFAULT, PrintProfile
from outbox.validation import LetterInvalid

MM = g.MM
PAGE_H = A4[1]
ACCENT = Color(0.0, 0.27, 0.55)


@dataclass(frozen=True)
class AddressLayout:
    """Font size (pt), line pitch and first baseline below the zone's top (mm)."""

    size: float
    pitch_mm: float
    first_mm: float


#: Largest first: 10 pt holds 6 lines, 8 pt (DIN 5008's smallest) holds 9.
_LAYOUTS = (AddressLayout(10, 4.2, 4.0), AddressLayout(9, 3.5, 3.3), AddressLayout(8, 2.95, 2.6))


def _y(top_mm: float) -> float:
    """reportlab measures from the bottom edge; the geometry from the top."""
    return PAGE_H - top_mm * MM


@dataclass
class LetterContent:
    sender_name: str
    recipient_lines: list[str]
    aktenzeichen: str
    subject: str
    body: str
    letter_date: date
    sender_lines: list[str] = field(default_factory=list)
    return_address: str | None = None
    color: bool = False
    #: where window, franking zone and return line sit (:mod:`outbox.profiles`)
    profile: PrintProfile = DEFAULT
    #: the date the citizen must answer by: in the Informationsblock and for ``{frist}``
    deadline: date | None = None
    #: the upload portal, the code and its QR code, printed after the text
    portal: PortalNotice | None = None


#: In a template's text, stands for the deadline (``deadline``), as ``TT.MM.JJJJ``.
DEADLINE_PLACEHOLDER = "{frist}"


def fill_deadline(body: str, deadline: date | None) -> str:
    """The text with ``{frist}`` replaced; the caller has refused a missing deadline."""
    if deadline is None:
        return body
    return body.replace(DEADLINE_PLACEHOLDER, deadline.strftime("%d.%m.%Y"))


def _invalid(check: str, why: str) -> LetterInvalid:
    return LetterInvalid(f"{check}: {why}", code="letter_invalid")


def _require_glyphs(what: str, text: str) -> None:
    missing = fonts.missing_glyphs(text)
    if missing:
        raise _invalid(
            "address_zone" if what.startswith("Anschrift") else "text",
            f"{what} enthält Zeichen, die die Briefschrift nicht drucken kann: {' '.join(missing)}",
        )


def address_layout(lines: list[str], profile: PrintProfile = DEFAULT) -> AddressLayout:
    """The largest layout that fits every line into the window, or a refusal naming the
    line (DIN 5008: at most 9 lines, at least 8 pt)."""
    if len(lines) > g.ADDRESS_MAX_LINES:
        raise _invalid(
            "address_zone",
            f"die Anschrift hat {len(lines)} Zeilen; ins "
            f"Sichtfenster passen höchstens {g.ADDRESS_MAX_LINES}",
        )
    for number, line in enumerate(lines, start=1):
        _require_glyphs(f"Anschriftzeile {number}", line)
    height = profile.address_bottom_mm - profile.address_top_mm
    width = profile.window_right_mm - 1 - (profile.window_left_mm + 5)
    for layout in _LAYOUTS:
        descent = layout.size * 0.3 / MM
        fits_height = layout.first_mm + (len(lines) - 1) * layout.pitch_mm + descent <= height
        if fits_height and all(fonts.width_mm(line, layout.size) <= width for line in lines):
            return layout
    smallest = _LAYOUTS[-1]
    for number, line in enumerate(lines, start=1):
        wide = fonts.width_mm(line, smallest.size)
        if wide > width:
            raise _invalid(
                "address_zone",
                f"Anschriftzeile {number} „{line}“ ist auch in {smallest.size:g} pt "
                f"{wide:.1f} mm breit; ins Sichtfenster passen {width:.0f} mm. "
                "Bitte die Zeile kürzen oder auf zwei Zeilen verteilen",
            )
    raise _invalid(
        "address_zone", f"die Anschrift mit {len(lines)} Zeilen passt nicht ins Sichtfenster"
    )  # not reached with 9 lines at 8 pt


def _fit(
    canvas, text: str, font: str, size: float, x_mm: float, top_mm: float, max_mm: float, what: str
) -> None:
    """Draw ``text`` in one line, shrinking down to 6 pt; refuse rather than cut."""
    _require_glyphs(what, text)
    while fonts.width_mm(text, size, font) > max_mm and size > 6:
        size = max(6.0, size - 0.5)
    if fonts.width_mm(text, size, font) > max_mm:
        raise _invalid(
            "text",
            f"{what} „{text}“ ist zu lang für eine Zeile "
            f"({max_mm:.0f} mm); bitte in den Einstellungen kürzen",
        )
    canvas.setFont(font, size)
    canvas.drawString(x_mm * MM, _y(top_mm), text)


def _first_page(content: LetterContent, layout: AddressLayout):
    def draw(canvas, _doc) -> None:
        canvas.saveState()
        canvas.setFillColor(ACCENT if content.color else black)
        full = g.TEXT_RIGHT_MM - g.TEXT_LEFT_MM
        _fit(canvas, content.sender_name, fonts.BOLD, 14, g.TEXT_LEFT_MM, 20, full, "Der Absender")
        canvas.setFillColor(black)
        # form A's window starts at 27 mm: the letterhead lines move right of it
        head_left = g.TEXT_LEFT_MM if content.profile.form == "B" else g.INFO_LEFT_MM
        head_right = g.INFO_LEFT_MM - 2 if content.profile.form == "B" else g.TEXT_RIGHT_MM
        for i, line in enumerate(content.sender_lines):
            _fit(
                canvas,
                line,
                fonts.REGULAR,
                8,
                head_left,
                26 + i * 3.6,
                head_right - head_left,
                f"Briefkopfzeile {i + 1}",
            )
        p = content.profile
        left = p.window_left_mm + 5
        if content.return_address:
            _fit(
                canvas,
                content.return_address,
                fonts.REGULAR,
                6,
                left,
                p.return_bottom_mm - 1.2,
                p.window_right_mm - 1 - left,
                "Die Rücksendeangabe",
            )
        canvas.setFont(fonts.REGULAR, layout.size)
        for i, line in enumerate(content.recipient_lines):
            canvas.drawString(
                left * MM, _y(p.address_top_mm + layout.first_mm + i * layout.pitch_mm), line
            )
        info = [
            ("Datum", content.letter_date.strftime("%d.%m.%Y")),
            ("Aktenzeichen", content.aktenzeichen),
        ]
        if content.deadline is not None:
            info.append(("Frist", content.deadline.strftime("%d.%m.%Y")))
        for i, (label, value) in enumerate(info):
            top = g.INFO_TOP_MM + 4 + i * 4.5
            canvas.setFont(fonts.REGULAR, 9)
            canvas.drawString(g.INFO_LEFT_MM * MM, _y(top), f"{label}:")
            _fit(
                canvas,
                value,
                fonts.REGULAR,
                9,
                g.INFO_LEFT_MM + 24,
                top,
                g.TEXT_RIGHT_MM - g.INFO_LEFT_MM - 24,
                label,
            )
        canvas.restoreState()

    return draw


def _later_page(canvas, doc) -> None:
    canvas.saveState()
    canvas.setFont(fonts.REGULAR, 8)
    canvas.drawRightString(g.TEXT_RIGHT_MM * MM, _y(12), f"Seite {doc.page}")
    canvas.restoreState()


class QrCode(Flowable):
    """A QR code drawn as black squares (vector, no image, no transparency: it passes the
    print check and prints sharp at any resolution), with the standard 4-module quiet zone.
    Error correction M: a crease or a stamp over a corner still reads."""

    def __init__(self, data: str, size_mm: float = 30) -> None:
        import segno

        super().__init__()
        self.data = data
        self.matrix = segno.make(data, error="m", boost_error=False, micro=False).matrix
        self.size = size_mm * MM

    def wrap(self, _available_width, _available_height):
        return self.size, self.size

    def draw(self) -> None:
        quiet = 4
        count = len(self.matrix) + 2 * quiet
        module = self.size / count
        canvas = self.canv
        canvas.setFillColor(black)
        for row, line in enumerate(self.matrix):
            y = self.size - (row + quiet + 1) * module
            col = 0
            while col < len(line):  # one rectangle per run of dark modules
                if not line[col]:
                    col += 1
                    continue
                start = col
                while col < len(line) and line[col]:
                    col += 1
                canvas.rect(
                    (start + quiet) * module, y, (col - start) * module, module, stroke=0, fill=1
                )


def _portal_block(notice: PortalNotice, width: float) -> Flowable:
    """The box after the text: portal address, the code in large letters, the QR code."""
    title = ParagraphStyle("portal_title", fontName=fonts.BOLD, fontSize=10, leading=13)
    text = ParagraphStyle("portal_text", fontName=fonts.REGULAR, fontSize=9, leading=12)
    code = ParagraphStyle("portal_code", fontName=fonts.BOLD, fontSize=13, leading=17)
    qr_mm = 30
    words = [
        Paragraph("Unterlagen online senden", title),
        Spacer(1, 1.5 * MM),
        Paragraph(f"Portal: {escape(notice.portal_url)}", text),
        Paragraph("Ihr Upload-Code:", text),
        Paragraph(escape(notice.code), code),
        Spacer(1, 1.5 * MM),
        Paragraph(
            "Scannen Sie den QR-Code mit der Kamera Ihres Telefons: das Portal öffnet "
            "sich mit Ihrem Code. Oder öffnen Sie die Adresse und geben Sie den Code "
            "ein.",
            text,
        ),
    ]
    table = Table(
        [[words, QrCode(notice.qr_url, qr_mm)]],
        colWidths=[width - (qr_mm + 6) * MM, (qr_mm + 6) * MM],
    )
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), fonts.REGULAR),  # the table's default is Helvetica
                ("BOX", (0, 0), (-1, -1), 0.6, black),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 3 * MM),
                ("TOPPADDING", (0, 0), (-1, -1), 3 * MM),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3 * MM),
            ]
        )
    )
    return KeepTogether([Spacer(1, 4 * MM), table])


def render_letter(content: LetterContent) -> bytes:
    """The letter as PDF; :class:`LetterInvalid` (422) if anything would not print whole.

    Fold and hole marks are not drawn: they sat 3–8 mm from the left edge, inside the
    blank margin every print street requires, and its machines fold without them."""
    from outbox import printcheck_readback as readback
    from outbox import tagging

    fonts.register()
    content.recipient_lines = [
        fonts.normalise(line.strip()) for line in content.recipient_lines if line.strip()
    ]
    layout = address_layout(content.recipient_lines, content.profile)
    buffer = io.BytesIO()
    doc = BaseDocTemplate(
        buffer,
        pagesize=A4,
        title=content.subject,
        author=content.sender_name,
        invariant=True,
        initialFontName=fonts.REGULAR,
    )
    width = (g.TEXT_RIGHT_MM - g.TEXT_LEFT_MM) * MM
    first = Frame(
        g.TEXT_LEFT_MM * MM,
        25 * MM,
        width,
        (g.A4_HEIGHT_MM - g.SUBJECT_TOP_MM - 25 + 4) * MM,
        id="first",
    )
    later = Frame(g.TEXT_LEFT_MM * MM, 25 * MM, width, (g.A4_HEIGHT_MM - 45) * MM, id="later")
    doc.addPageTemplates(
        [
            PageTemplate(
                id="First",
                frames=[first],
                onPage=_first_page(content, layout),
                autoNextPageTemplate="Later",
            ),
            PageTemplate(id="Later", frames=[later], onPage=_later_page),
        ]
    )
    subject_style = ParagraphStyle("subject", fontName=fonts.BOLD, fontSize=11, leading=14)
    body_style = ParagraphStyle("body", fontName=fonts.REGULAR, fontSize=11, leading=15)
    _require_glyphs("Der Betreff", content.subject)
    _require_glyphs("Der Brieftext", content.body)
    story: list = [
        Paragraph(escape(fonts.normalise(content.subject)), subject_style),
        Spacer(1, 8 * MM),
    ]
    body = fill_deadline(fonts.normalise(content.body), content.deadline)
    for block in body.replace("\r\n", "\n").split("\n\n"):
        story.append(Paragraph(escape(block).replace("\n", "<br/>"), body_style))
        story.append(Spacer(1, 4 * MM))
    if content.portal is not None:
        story.append(_portal_block(content.portal, width))
    doc.build(story)
    pdf = tagging.tag_letter(buffer.getvalue())
    readback.require_address(pdf, content.recipient_lines, content.profile)
    return pdf
