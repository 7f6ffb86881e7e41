"""Letters rendered from the template with reportlab: DIN 5008 form B on A4.

The first page carries the letterhead of the tenant, the return address line and the
recipient in the window (see :mod:`outbox.geometry`), the Informationsblock (date,
Aktenzeichen), the subject and the start of the body; the body flows on to further pages.
Fonts are the PDF base fonts (Helvetica), so the output is small and has a text layer that
the window check and the search index can read. ``color=False`` renders in pure black.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from xml.sax.saxutils import escape

from reportlab.lib.colors import Color, black
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate, Paragraph, Spacer

from outbox import geometry as g

MM = g.MM
PAGE_H = A4[1]
ACCENT = Color(0.0, 0.27, 0.55)


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


def _first_page(content: LetterContent):
    def draw(canvas, _doc) -> None:
        canvas.saveState()
        canvas.setFillColor(ACCENT if content.color else black)
        canvas.setFont("Helvetica-Bold", 14)
        canvas.drawString(g.TEXT_LEFT_MM * MM, _y(20), content.sender_name[:70])
        canvas.setFillColor(black)
        canvas.setFont("Helvetica", 8)
        for i, line in enumerate(content.sender_lines[:4]):
            canvas.drawString(g.TEXT_LEFT_MM * MM, _y(26 + i * 3.6), line[:100])
        if content.return_address:
            canvas.setFont("Helvetica", 6)
            canvas.drawString((g.WINDOW_LEFT_MM + 5) * MM, _y(61.5), content.return_address[:90])
        canvas.setFont("Helvetica", 10)
        for i, line in enumerate(content.recipient_lines[: g.ADDRESS_MAX_LINES]):
            canvas.drawString((g.WINDOW_LEFT_MM + 5) * MM, _y(g.ADDRESS_TOP_MM + 4.5 + i * 4.2),
                              line[:45])
        canvas.setFont("Helvetica", 9)
        info = [
            ("Datum", content.letter_date.strftime("%d.%m.%Y")),
            ("Aktenzeichen", content.aktenzeichen),
        ]
        for i, (label, value) in enumerate(info):
            top = g.INFO_TOP_MM + 4 + i * 4.5
            canvas.drawString(g.INFO_LEFT_MM * MM, _y(top), f"{label}:")
            canvas.drawString((g.INFO_LEFT_MM + 24) * MM, _y(top), value[:40])
        _marks(canvas)
        canvas.restoreState()

    return draw


def _marks(canvas) -> None:
    canvas.setLineWidth(0.3)
    for top in (*g.FOLD_MARKS_MM, g.HOLE_MARK_MM):
        canvas.line(3 * MM, _y(top), (8 if top == g.HOLE_MARK_MM else 6) * MM, _y(top))


def _later_page(canvas, doc) -> None:
    canvas.saveState()
    canvas.setFont("Helvetica", 8)
    canvas.drawRightString(g.TEXT_RIGHT_MM * MM, _y(12), f"Seite {doc.page}")
    _marks(canvas)
    canvas.restoreState()


def render_letter(content: LetterContent) -> bytes:
    buffer = io.BytesIO()
    doc = BaseDocTemplate(
        buffer,
        pagesize=A4,
        title=content.subject,
        author=content.sender_name,
        invariant=True,
    )
    width = (g.TEXT_RIGHT_MM - g.TEXT_LEFT_MM) * MM
    first = Frame(g.TEXT_LEFT_MM * MM, 25 * MM, width,
                  (g.A4_HEIGHT_MM - g.SUBJECT_TOP_MM - 25 + 4) * MM, id="first")
    later = Frame(g.TEXT_LEFT_MM * MM, 25 * MM, width, (g.A4_HEIGHT_MM - 45) * MM, id="later")
    doc.addPageTemplates([
        PageTemplate(id="First", frames=[first], onPage=_first_page(content),
                     autoNextPageTemplate="Later"),
        PageTemplate(id="Later", frames=[later], onPage=_later_page),
    ])
    subject_style = ParagraphStyle("subject", fontName="Helvetica-Bold", fontSize=11, leading=14)
    body_style = ParagraphStyle("body", fontName="Helvetica", fontSize=11, leading=15)
    story: list = [Paragraph(escape(content.subject), subject_style), Spacer(1, 8 * MM)]
    for block in content.body.replace("\r\n", "\n").split("\n\n"):
        story.append(Paragraph(escape(block).replace("\n", "<br/>"), body_style))
        story.append(Spacer(1, 4 * MM))
    doc.build(story)
    return buffer.getvalue()
