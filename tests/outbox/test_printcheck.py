"""The print check: what a print street cannot use is refused in German, with page and mm."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DictionaryObject, NameObject, RectangleObject, TextStringObject
from reportlab.lib.colors import Color, white
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from outbox import fonts, profiles
from outbox import geometry as g
from outbox.validation import LetterInvalid, check_letter, prepare_letter
from tests.outbox.conftest import ADDRESS, make_pdf, upload

W, H = A4


def _letter(
    draw=None, *, address_top_mm: float = g.ADDRESS_TOP_MM + 5, font: str | None = None
) -> bytes:
    """A valid one-page letter; ``draw(canvas)`` adds the defect under test."""
    fonts.register()
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, initialFontName=font or fonts.REGULAR)
    pdf.setFont(font or fonts.REGULAR, 10)
    for i, line in enumerate(ADDRESS):
        pdf.drawString(25 * g.MM, H - (address_top_mm + i * 4.2) * g.MM, line)
    pdf.drawString(25 * g.MM, H - 110 * g.MM, "Sehr geehrte Frau Mustermann,")
    if draw:
        draw(pdf)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _rewrite(pdf: bytes, change) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    change(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _check(pdf: bytes, *, color: bool = False):
    return check_letter(prepare_letter(io.BytesIO(pdf)), max_pages=20, color=color)


def _refusal(pdf: bytes, *, color: bool = False) -> str:
    with pytest.raises(LetterInvalid) as exc:
        _check(pdf, color=color)
    return exc.value.detail


def test_clean_letter_and_invisible_full_page_white_rectangle_pass():
    assert _check(_letter()).recipient_lines == ADDRESS

    def white_background(pdf):
        pdf.setFillColor(white)
        pdf.rect(0, 0, W, H, stroke=0, fill=1)
        pdf.setFillColorRGB(0, 0, 0)

    assert _check(_letter(white_background)).recipient_lines == ADDRESS


def test_visible_area_smaller_than_a4_is_refused():
    def crop(writer):
        writer.pages[0].cropbox = RectangleObject([0, 0, 148 * g.MM, 210 * g.MM])

    detail = _refusal(_rewrite(_letter(), crop))
    assert detail.startswith("a4_portrait") and "CropBox" in detail and "148 × 210" in detail

    def trim(writer):
        writer.pages[0].trimbox = RectangleObject([20, 20, W - 20, H - 20])

    assert "TrimBox" in _refusal(_rewrite(_letter(), trim))


def test_font_not_embedded_is_refused_by_name():
    detail = _refusal(_letter(font="Helvetica"))
    assert detail.startswith("fonts") and "Helvetica" in detail and "Seite 1" in detail

    def arial(writer):
        for font in writer.pages[0]["/Resources"]["/Font"].values():
            font.get_object()[NameObject("/BaseFont")] = NameObject("/Arial")

    assert "„Arial“ ist nicht eingebettet" in _refusal(_rewrite(_letter(font="Helvetica"), arial))


def test_form_fields_javascript_and_annotations_are_refused():
    def field(pdf):
        pdf.acroForm.textfield(name="name", x=25 * g.MM, y=100 * g.MM, width=200, height=20)

    assert _refusal(_letter(field)).startswith("forms")

    def script(writer):
        writer._root_object[NameObject("/OpenAction")] = DictionaryObject(
            {
                NameObject("/S"): NameObject("/JavaScript"),
                NameObject("/JS"): TextStringObject("app.alert('x');"),
            }
        )

    assert _refusal(_rewrite(_letter(), script)).startswith("javascript")

    def note(pdf):
        pdf.textAnnotation("Bitte prüfen", Rect=(100, 100, 120, 120))

    detail = _refusal(_letter(note))
    assert detail.startswith("annotations") and "Seite 1" in detail


def test_link_annotations_are_dropped_and_the_letter_accepted():
    def link(pdf):
        pdf.linkURL("https://example.org", (25 * g.MM, 100, 100 * g.MM, 120))

    prepared = prepare_letter(io.BytesIO(_letter(link)))
    assert "/Annots" not in PdfReader(prepared).pages[0]
    prepared.seek(0)
    assert check_letter(prepared, max_pages=20).recipient_lines == ADDRESS


def test_transparency_is_refused():
    def half_transparent(pdf):
        pdf.setFillAlpha(0.5)
        pdf.rect(30 * g.MM, 150 * g.MM, 50 * g.MM, 20 * g.MM, stroke=0, fill=1)

    detail = _refusal(_letter(half_transparent))
    assert detail.startswith("transparency") and "Seite 1" in detail


def _photo(pdf):
    image = Image.new("RGB", (40, 30), (200, 30, 30))
    pdf.drawImage(ImageReader(image), 30 * g.MM, 100 * g.MM, 40 * g.MM, 30 * g.MM)


def test_colour_in_a_black_and_white_letter_is_refused_but_fine_in_colour():
    detail = _refusal(_letter(_photo))
    assert detail.startswith("color") and "Bild" in detail and "schwarzweiß" in detail
    assert _check(_letter(_photo), color=True).recipient_lines == ADDRESS

    def blue_text(pdf):
        pdf.setFillColor(Color(0, 0.27, 0.55))
        pdf.drawString(25 * g.MM, H - 120 * g.MM, "Wichtig")

    assert "farbige Schrift" in _refusal(_letter(blue_text))


def test_content_in_the_blank_margin_is_refused_with_the_millimetres():
    def fold_mark(pdf):
        pdf.line(3 * g.MM, H - 105 * g.MM, 6 * g.MM, H - 105 * g.MM)

    detail = _refusal(_letter(fold_mark))
    assert detail.startswith("margin")
    assert "Seite 1" in detail and "3,0 mm vom linken Rand" in detail and "105,0 mm" in detail


def test_form_a_letter_is_called_form_a_and_notes_text_is_located():
    detail = _refusal(_letter(address_top_mm=g.FORM_A_ADDRESS_TOP_MM + 4))
    assert detail.startswith("notes_zone") and "Form A" in detail
    detail = _refusal(make_pdf(notes_text="Einschreiben"))
    assert detail.startswith("notes_zone") and "Vermerkzone" in detail and "Form A" not in detail


def test_a_page_turned_by_180_degrees_is_reported_as_such():
    detail = _refusal(_rewrite(_letter(), lambda w: w.pages[0].rotate(180)))
    assert detail.startswith("a4_portrait") and "180°" in detail

    turned = io.BytesIO()
    pdf = canvas.Canvas(turned, pagesize=A4, initialFontName=fonts.REGULAR)
    pdf.translate(W, H)
    pdf.rotate(180)
    pdf.setFont(fonts.REGULAR, 10)
    for i, line in enumerate(ADDRESS):
        pdf.drawString(25 * g.MM, H - (g.ADDRESS_TOP_MM + 5 + i * 4.2) * g.MM, line)
    pdf.showPage()
    pdf.save()
    assert "auf dem Kopf" in _refusal(turned.getvalue())


def _encrypt(pdf: bytes, user: str) -> bytes:
    return _rewrite(
        pdf,
        lambda w: w.encrypt(
            user_password=user,
            owner_password="geheim",
            permissions_flag=0b1100,
            algorithm="AES-128",
        ),
    )


def test_permissions_only_encryption_is_rewritten_and_a_password_refused(client, ow):
    locked = _encrypt(_letter(), "")
    assert PdfReader(io.BytesIO(locked)).is_encrypted
    prepared = prepare_letter(io.BytesIO(locked))
    assert not PdfReader(prepared).is_encrypted
    assert "Kennwort" in _refusal(_encrypt(_letter(), "1234"))

    world = ow.world
    cw = world.headers["caseworker_a1"]
    created = upload(client, cw, world.case_a1.id, locked)
    assert created.status_code == 201, created.text
    stored = client.get(f"/api/v1/documents/{created.json()['document_id']}/content", headers=cw)
    assert not PdfReader(io.BytesIO(stored.content)).is_encrypted
    refused = upload(client, cw, world.case_a1.id, _letter(_photo))
    assert refused.status_code == 422 and refused.json()["detail"].startswith("color")
    assert upload(client, cw, world.case_a1.id, _letter(_photo), color=True).status_code == 201


def test_profiles_move_the_zones_and_margins():
    form_a = _letter(address_top_mm=g.FORM_A_ADDRESS_TOP_MM + 4)
    assert (
        check_letter(io.BytesIO(form_a), max_pages=20, profile=profiles.DIN5008_A).recipient_lines
        == ADDRESS
    )

    def mark_8mm(pdf):
        pdf.line(8 * g.MM, H - 150 * g.MM, 10 * g.MM, H - 150 * g.MM)

    letter = _letter(mark_8mm, address_top_mm=70)
    assert _check(letter).recipient_lines == ADDRESS  # DIN 5008 B: 5 mm
    with pytest.raises(LetterInvalid) as exc:
        check_letter(io.BytesIO(letter), max_pages=20, profile=profiles.DEUTSCHE_POST_EPOST)
    assert "8,0 mm vom linken Rand" in exc.value.detail and "12 mm" in exc.value.detail
    # the rendered template's return line sits in E-POST's franking zone (53 … 66 mm)
    with pytest.raises(LetterInvalid) as exc:
        check_letter(
            io.BytesIO(make_pdf(return_lines=["Jobcenter · 12345 Musterstadt"])),
            max_pages=20,
            profile=profiles.DEUTSCHE_POST_EPOST,
        )
    assert exc.value.detail.startswith("notes_zone") and "53 … 66 mm" in exc.value.detail
