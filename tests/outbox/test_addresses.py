"""Structured addresses: laid out as the destination country expects, read back into their
structure, stored with the letter and handed to the print street."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest

from akte.core.database import session_scope
from outbox import batching
from outbox import settings as outbox_settings
from outbox.addresses import AddressUnreadable, PostalAddress, format_lines, parse_lines
from outbox.printcheck_readback import window_text
from outbox.render import LetterContent, render_letter
from outbox.validation import LetterInvalid, check_letter
from tests.outbox.conftest import make_pdf, upload

NAME = ["Ayşe Yılmaz"]
CASES = {
    "DE": (
        {"street": "Hauptstraße 12", "postcode": "12345", "city": "Musterstadt"},
        ["Hauptstraße 12", "12345 Musterstadt"],
    ),
    "AT": (
        {"street": "Stephansplatz 1", "postcode": "1010", "city": "Wien"},
        ["Stephansplatz 1", "1010 Wien", "ÖSTERREICH"],
    ),
    "CH": (
        {"street": "Bahnhofstrasse 5", "postcode": "8001", "city": "Zürich"},
        ["Bahnhofstrasse 5", "8001 Zürich", "SCHWEIZ"],
    ),
    "FR": (
        {"street": "12 rue de la Paix", "postcode": "75002", "city": "Paris"},
        ["12 rue de la Paix", "75002 PARIS", "FRANKREICH"],
    ),
    "NL": (
        {"street": "Damrak 1", "postcode": "1012lg", "city": "Amsterdam"},
        ["Damrak 1", "1012 LG  AMSTERDAM", "NIEDERLANDE"],
    ),
    "PL": (
        {"street": "ul. Marszałkowska 10", "postcode": "00-590", "city": "Warszawa"},
        ["ul. Marszałkowska 10", "00-590 Warszawa", "POLEN"],
    ),
    "TR": (
        {"street": "Atatürk Bulvarı No: 5", "postcode": "06570", "city": "Çankaya/ANKARA"},
        ["Atatürk Bulvarı No: 5", "06570 Çankaya/ANKARA", "TÜRKEI"],
    ),
    "GB": (
        {"street": "10 Downing Street", "postcode": "sw1a2aa", "city": "London"},
        ["10 Downing Street", "LONDON", "SW1A 2AA", "VEREINIGTES KÖNIGREICH"],
    ),
}


def _address(code: str) -> PostalAddress:
    return PostalAddress(name_lines=NAME, country=code, **CASES[code][0])


@pytest.mark.parametrize("code", sorted(CASES))
def test_each_country_is_laid_out_as_its_post_expects_and_reads_back(code):
    lines = format_lines(_address(code))
    assert lines == [*NAME, *CASES[code][1]]
    parsed = parse_lines(lines)
    assert parsed.country == code and parsed.name_lines == NAME
    assert format_lines(parsed) == lines  # the printed form is stable


def test_domestic_mail_has_no_country_line_and_foreign_mail_ends_with_it():
    austrian_sender = format_lines(_address("DE"), origin="AT")
    assert austrian_sender[-1] == "DEUTSCHLAND"
    assert format_lines(_address("AT"), origin="AT")[-1] == "1010 Wien"


@pytest.mark.parametrize(
    ("code", "postcode", "example"),
    [
        ("DE", "1234", "12345"),
        ("AT", "10100", "1010"),
        ("NL", "1012", "1012 AB"),
        ("PL", "00590", "00-950"),
        ("GB", "LONDON", "SW1A 1AA"),
    ],
)
def test_a_postcode_of_the_wrong_shape_is_refused_naming_the_country(code, postcode, example):
    address = _address(code).model_copy(update={"postcode": postcode})
    with pytest.raises(LetterInvalid) as exc:
        format_lines(address)
    assert exc.value.detail.startswith("address_zone") and example in exc.value.detail


def test_unknown_country_and_missing_parts_are_refused():
    with pytest.raises(LetterInvalid, match="Ländercode"):
        format_lines(_address("DE").model_copy(update={"country": "XX"}))
    with pytest.raises(LetterInvalid, match="Straße"):
        format_lines(_address("DE").model_copy(update={"street": " "}))
    with pytest.raises(AddressUnreadable, match="fünfstelliger"):
        parse_lines(["Max Huber", "Stephansplatz 1", "1010 Wien"])  # Austria without country


@pytest.mark.parametrize("code", sorted(CASES))
def test_rendered_foreign_letters_pass_the_print_check_and_read_back_exactly(code):
    lines = format_lines(_address(code))
    pdf = render_letter(
        LetterContent(
            sender_name="Jobcenter Musterstadt",
            recipient_lines=lines,
            aktenzeichen="AZ-1",
            subject="Bescheid",
            body="Sehr geehrte Damen und Herren,",
            letter_date=date.today(),
        )
    )
    assert window_text(pdf) == [" ".join(line.split()) for line in lines]
    checked = check_letter(io.BytesIO(pdf), max_pages=20)
    assert checked.address is not None and checked.address.country == code
    assert checked.address.postcode == parse_lines(lines).postcode


def test_structured_recipient_is_stored_and_goes_into_the_manifest(ctx, client, ow):
    world = ow.world
    cw, case_id = world.headers["caseworker_a1"], world.case_a1.id
    form = {"subject": "Bescheid", "body": "Sehr geehrter Herr Huber,"}
    austrian = {
        "name_lines": ["Herrn", "Max Huber"],
        "street": "Stephansplatz 1",
        "postcode": "1010",
        "city": "Wien",
        "country": "at",
    }
    created = client.post(
        f"/api/v1/case-files/{case_id}/letters",
        headers=cw,
        data={**form, "recipient_address": json.dumps(austrian)},
    )
    assert created.status_code == 201, created.text
    letter = created.json()
    assert letter["recipient"] == "Herrn\nMax Huber\nStephansplatz 1\n1010 Wien\nÖSTERREICH"
    assert letter["recipient_address"] == {**austrian, "country": "AT"}
    assert letter["envelope"] == "DL" and letter["print_profile"] == "din5008_b"
    # the older form (lines as printed) still works and gets its structure too
    legacy = client.post(
        f"/api/v1/case-files/{case_id}/letters",
        headers=cw,
        data={**form, "recipient": "Anna Nowak\nul. Długa 5\n80-827 Gdańsk\nPOLEN"},
    ).json()
    assert legacy["recipient_address"]["country"] == "PL"
    assert legacy["recipient_address"]["postcode"] == "80-827"
    refused = client.post(
        f"/api/v1/case-files/{case_id}/letters",
        headers=cw,
        data={**form, "recipient": "Max Huber\nStephansplatz 1\n1010 Wien"},
    )
    assert refused.status_code == 422 and "Postleitzahl" in refused.json()["detail"]
    bad = client.post(
        f"/api/v1/case-files/{case_id}/letters",
        headers=cw,
        data={**form, "recipient_address": json.dumps({**austrian, "postcode": "10100"})},
    )
    assert bad.status_code == 422 and "1010" in bad.json()["detail"]
    broken = client.post(
        f"/api/v1/case-files/{case_id}/letters",
        headers=cw,
        data={**form, "recipient_address": "{not json"},
    )
    assert broken.status_code == 422 and broken.json()["error"] == "invalid_address"
    with_file = upload(client, cw, case_id, make_pdf(), recipient_address=json.dumps(austrian))
    assert with_file.status_code == 422 and with_file.json()["error"] == "invalid_address"

    (result,) = batching.seal(ctx, world.tenant_a.id)
    detail = client.get(
        f"/api/v1/outbox/batches/{result.batch_id}", headers=world.headers["provider_a"]
    ).json()
    by_id = {item["letter_id"]: item for item in detail["letters"]}
    assert by_id[letter["id"]]["recipient_address"]["country"] == "AT"
    assert by_id[letter["id"]]["recipient_address"]["name_lines"] == ["Herrn", "Max Huber"]
    assert by_id[legacy["id"]]["recipient_address"]["city"] == "Gdańsk"


def test_sender_address_gives_return_line_and_is_kept_with_the_letter(ctx, client, ow):
    world = ow.world
    sender = PostalAddress(
        name_lines=["Jobcenter Musterstadt"],
        street="Postfach 10 01",
        postcode="12345",
        city="Musterstadt",
    )
    with session_scope(ctx.session_factory) as session:
        outbox_settings.put(
            session,
            world.tenant_a.id,
            outbox_settings.TenantOutboxSettings(working_days=[], sender_address=sender),
        )
    cw, case_id = world.headers["caseworker_a1"], world.case_a1.id
    letter = client.post(
        f"/api/v1/case-files/{case_id}/letters",
        headers=cw,
        data={
            "subject": "Bescheid",
            "body": "Text",
            "recipient": "Erika Mustermann\nHauptstraße 12\n12345 Musterstadt",
        },
    ).json()
    assert letter["sender_address"]["street"] == "Postfach 10 01"
    content = client.get(f"/api/v1/documents/{letter['document_id']}/content", headers=cw)
    import pdfplumber

    with pdfplumber.open(io.BytesIO(content.content)) as pdf:
        text = pdf.pages[0].extract_text()
    assert "Jobcenter Musterstadt · Postfach 10 01 · 12345 Musterstadt" in text
    (result,) = batching.seal(ctx, world.tenant_a.id)
    detail = client.get(
        f"/api/v1/outbox/batches/{result.batch_id}", headers=world.headers["provider_a"]
    ).json()
    (item,) = detail["letters"]
    assert item["sender"]["address"]["postcode"] == "12345"


def test_a_letter_stored_before_addresses_were_kept_gets_its_structure_from_its_lines(
    ctx, client, ow
):
    import uuid

    from outbox.models import Letter

    world = ow.world
    cw, case_id = world.headers["caseworker_a1"], world.case_a1.id
    letter = client.post(
        f"/api/v1/case-files/{case_id}/letters",
        headers=cw,
        data={
            "subject": "Bescheid",
            "body": "Text",
            "recipient": "Max Huber\nStephansplatz 1\n1010 Wien\nÖSTERREICH",
        },
    ).json()
    with session_scope(ctx.session_factory) as session:
        session.get(Letter, uuid.UUID(letter["id"])).recipient_address = None  # as before 0810
    read = client.get(f"/api/v1/letters/{letter['id']}", headers=cw).json()
    assert read["recipient_address"] == {
        "name_lines": ["Max Huber"],
        "street": "Stephansplatz 1",
        "postcode": "1010",
        "city": "Wien",
        "country": "AT",
    }
