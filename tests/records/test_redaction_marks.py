"""The mark index that keeps a Schwärzung with many marks fast must find exactly the marks
a test against every mark finds: a character it misses would stay readable in the copy."""

from __future__ import annotations

import random

import pypdfium2 as pdfium
from reportlab.pdfgen import canvas

from records.redaction import BAND, Area, DisplayMap, MarkIndex, _page_to_device


def test_the_index_finds_what_testing_every_mark_finds():
    rng = random.Random(7)
    marks = []
    for _ in range(1000):
        x, y = rng.uniform(-20, 600), rng.uniform(-20, 850)
        # small marks, marks of many bands, marks ending exactly on a band's edge
        height = rng.choice([rng.uniform(0.1, 20), rng.uniform(20, 300), BAND - (y % BAND)])
        marks.append(Area(1, x, y, x + rng.uniform(0.1, 120), y + height))
    index = MarkIndex(marks)
    disagreements = 0
    for _ in range(20000):
        x, y = rng.uniform(-10, 600), rng.uniform(-10, 850)
        box = (x, y, x + rng.uniform(0.5, 12), y + rng.uniform(0.5, 14))
        expected = any(m.touches(*box) for m in marks)
        disagreements += index.touches(*box) != expected
    assert disagreements == 0


def test_the_display_map_agrees_with_pdfium_on_rotated_and_cropped_pages(tmp_path):
    path = tmp_path / "turned.pdf"
    pdf = canvas.Canvas(str(path), pagesize=(595, 842))
    pdf.drawString(100, 700, "Aktenzeichen")
    pdf.showPage()
    pdf.save()
    doc = pdfium.PdfDocument(str(path))
    try:
        for rotation in (0, 90, 180, 270):
            page = doc[0]
            page.set_rotation(rotation)
            page.set_cropbox(30, 40, 560, 800)
            display = DisplayMap(page)
            for x, y in ((30, 40), (100, 700), (559.5, 799.5), (300.25, 420.75)):
                got = display.point(x, y)
                want = _page_to_device(page, x, y)
                assert abs(got[0] - want[0]) < 0.02 and abs(got[1] - want[1]) < 0.02, (
                    rotation,
                    (x, y),
                    got,
                    want,
                )
            page.close()
    finally:
        doc.close()
