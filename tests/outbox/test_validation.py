"""Letters are refused before queueing when they would fail in the envelope or the printer."""

from __future__ import annotations

import io
from datetime import date

import pytest

from outbox.render import LetterContent, render_letter
from outbox.validation import LetterInvalid, check_letter
from tests.outbox.conftest import landscape_pdf, make_pdf, upload


def _check(pdf: bytes, max_pages: int = 20):
    return check_letter(io.BytesIO(pdf), max_pages=max_pages)


def _failed_check(pdf: bytes, max_pages: int = 20) -> str:
    with pytest.raises(LetterInvalid) as exc:
        _check(pdf, max_pages)
    return exc.value.detail


def test_rendered_letter_passes_and_address_is_read_from_the_window():
    pdf = render_letter(
        LetterContent(
            sender_name="Jobcenter Musterstadt",
            recipient_lines=["Herrn", "Max Müller", "Lindenweg 3b", "54321 Beispielort"],
            aktenzeichen="AZ-1",
            subject="Einladung",
            body="Text " * 400,
            letter_date=date.today(),
            return_address="Jobcenter Musterstadt · Postfach 1 · 12345 Musterstadt",
        )
    )
    checked = _check(pdf)
    assert checked.recipient_lines == ["Herrn", "Max Müller", "Lindenweg 3b", "54321 Beispielort"]
    assert checked.page_count >= 1


def test_address_inside_window_passes():
    assert _check(make_pdf())


def test_address_below_the_window_is_refused():
    assert _failed_check(make_pdf(address_top_mm=100)).startswith("address_zone")


def test_address_in_form_a_position_is_refused_as_printed_in_notes_zone():
    assert _failed_check(make_pdf(address_top_mm=48)).startswith("notes_zone")


def test_address_crossing_the_window_edge_is_refused():
    detail = _failed_check(make_pdf(address_top_mm=82))
    assert detail.startswith("address_zone")


def test_address_right_of_the_window_is_refused():
    assert _failed_check(make_pdf(address_left_mm=110)).startswith("address_zone")


def test_address_without_postcode_or_street_is_refused():
    assert "Postleitzahl" in _failed_check(
        make_pdf(["Erika Mustermann", "Hauptstraße 12", "Musterstadt"])
    )
    assert "Straße mit" in _failed_check(
        make_pdf(["Erika Mustermann", "Hauptstraße", "12345 Musterstadt"])
    )


def test_notes_zone_must_be_blank_but_one_return_line_is_allowed():
    assert _check(make_pdf(return_lines=["Jobcenter · Postfach 1 · 12345 Musterstadt"]))
    assert _failed_check(make_pdf(notes_text="Einschreiben")).startswith("notes_zone")
    assert _failed_check(make_pdf(return_lines=["Zeile 1", "Zeile 2"])).startswith("notes_zone")


def test_page_format_and_limit():
    assert _failed_check(landscape_pdf()).startswith("a4_portrait")
    assert _failed_check(make_pdf(pages=3), max_pages=2).startswith("page_limit")


def test_http_refusal_names_the_check(client, ow):
    world = ow.world
    headers, case_id = world.headers["caseworker_a1"], world.case_a1.id
    response = upload(client, headers, case_id, make_pdf(address_top_mm=100))
    assert response.status_code == 422
    assert response.json()["error"] == "letter_invalid"
    assert response.json()["detail"].startswith("address_zone")
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 100
    response = upload(client, headers, case_id, png)
    assert response.status_code == 422 and response.json()["detail"].startswith("pdf")
    assert client.get(f"/api/v1/case-files/{case_id}/letters", headers=headers).json()["total"] == 0
