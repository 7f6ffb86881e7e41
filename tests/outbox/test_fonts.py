"""Every name prints as written: embedded DejaVu, no cut lines, the window read back."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import pdfplumber
import pytest
from pypdf import PdfReader

from outbox import batching, profiles
from outbox.printcheck_readback import require_address, window_text
from outbox.render import LetterContent, render_letter
from outbox.validation import LetterInvalid, check_letter

NAMES = ["Ayşe Yılmaz", "Łukasz Wąsik", "Nguyễn Văn Thắng", "Dvořák", "Ştefan"]


def _render(lines: list[str], **extra) -> bytes:
    return render_letter(
        LetterContent(
            sender_name="Jobcenter Musterstadt",
            recipient_lines=lines,
            aktenzeichen="AZ-1",
            subject="Einladung",
            body="Sehr geehrte Damen und Herren,",
            letter_date=date.today(),
            return_address="Jobcenter Musterstadt · Postfach 1 · 12345 Musterstadt",
            **extra,
        )
    )


def _fonts(pdf: bytes) -> dict[str, bool]:
    """BaseFont → embedded, for every font of every page."""
    found = {}
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendant = (
                font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            )
            descriptor = descendant.get("/FontDescriptor")
            found[str(font["/BaseFont"])] = bool(
                descriptor
                and any(
                    key in descriptor.get_object()
                    for key in ("/FontFile", "/FontFile2", "/FontFile3")
                )
            )
    return found


@pytest.mark.parametrize("name", NAMES)
def test_names_print_with_an_embedded_font_and_read_back_as_written(name):
    lines = [name, "Hauptstraße 1", "12345 Musterstadt"]
    pdf = _render(lines)
    assert window_text(pdf) == lines
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        assert name in document.pages[0].extract_text()
    embedded = _fonts(pdf)
    assert embedded and all(embedded.values()), embedded
    assert not any("Helvetica" in font for font in embedded)


def test_decomposed_input_is_printed_composed():
    pdf = _render(
        ["Nguye\u0302\u0303n Va\u0306n Tha\u0306\u0301ng", "Hauptstraße 1", "12345 Musterstadt"]
    )
    assert window_text(pdf)[0] == "Nguyễn Văn Thắng"


def test_nine_lines_fit_the_window_and_a_tenth_is_refused():
    nine = [
        "Herrn",
        "Max Mustermann-Schulze",
        "c/o Dvořák",
        "Wohngruppe 3",
        "Hinterhaus",
        "3. OG links",
        "Lindenweg 3b",
        "54321 Beispielort",
        "DEUTSCHLAND",
    ]
    assert window_text(_render(nine)) == nine
    with pytest.raises(LetterInvalid) as exc:
        _render([*nine, "Zeile 10"])
    assert exc.value.detail.startswith("address_zone") and "10 Zeilen" in exc.value.detail


def test_a_line_too_wide_for_the_window_is_refused_naming_it_not_cut():
    long = "Erika Mustermann-Schulze-Oberhausen-Wattenscheid-Gelsenkirchen-Buer"
    with pytest.raises(LetterInvalid) as exc:
        _render(["Herrn", long, "Hauptstraße 1", "12345 Musterstadt"])
    detail = exc.value.detail
    assert detail.startswith("address_zone") and "Anschriftzeile 2" in detail and long in detail
    # 46 characters used to be cut to 45; in 9 pt it fits whole
    whole = "Mustermann-Schulze-Oberhausen, Erika Johanna"
    assert window_text(_render([whole, "Hauptstraße 1", "12345 Musterstadt"]))[0] == whole


def test_a_character_no_font_can_print_is_refused():
    with pytest.raises(LetterInvalid) as exc:
        _render(["王小明", "Hauptstraße 1", "12345 Musterstadt"])
    assert "Anschriftzeile 1" in exc.value.detail and "王" in exc.value.detail


def test_read_back_that_differs_from_the_entry_refuses_with_the_difference():
    pdf = _render(["Ayşe Yılmaz", "Hauptstraße 1", "12345 Musterstadt"])
    with pytest.raises(LetterInvalid) as exc:
        require_address(pdf, ["Ayse Yilmaz", "Hauptstraße 1", "12345 Musterstadt"])
    detail = exc.value.detail
    assert "-Ayse Yilmaz" in detail and "+Ayşe Yılmaz" in detail


def test_letter_and_manifest_carry_the_names_unchanged(ctx, client, ow):
    world = ow.world
    cw = world.headers["caseworker_a1"]
    recipient = "\n".join([*NAMES, "Hauptstraße 1", "12345 Musterstadt"])
    created = client.post(
        f"/api/v1/case-files/{world.case_a1.id}/letters",
        headers=cw,
        data={"subject": "Einladung", "body": "Text", "recipient": recipient},
    )
    assert created.status_code == 201, created.text
    assert created.json()["recipient"] == recipient
    (result,) = batching.seal(ctx, world.tenant_a.id)
    provider = world.headers["provider_a"]
    detail = client.get(f"/api/v1/outbox/batches/{result.batch_id}", headers=provider).json()
    assert [e["recipient"] for e in detail["letters"]] == [recipient]
    archive = client.get(f"/api/v1/outbox/batches/{result.batch_id}/download", headers=provider)
    with zipfile.ZipFile(io.BytesIO(archive.content)) as batch:
        csv_text = batch.read("manifest.csv").decode("utf-8")
    assert all(name in csv_text for name in NAMES)


def test_too_wide_address_is_refused_over_http_and_nothing_is_queued(client, ow):
    world = ow.world
    cw = world.headers["caseworker_a1"]
    recipient = "Herrn\n" + "Mustermann-" * 8 + "Schulze\nHauptstraße 1\n12345 Musterstadt"
    refused = client.post(
        f"/api/v1/case-files/{world.case_a1.id}/letters",
        headers=cw,
        data={"subject": "Einladung", "body": "Text", "recipient": recipient},
    )
    assert refused.status_code == 422
    assert refused.json()["error"] == "letter_invalid"
    assert "Anschriftzeile 2" in refused.json()["detail"]
    assert (
        client.get(f"/api/v1/case-files/{world.case_a1.id}/letters", headers=cw).json()["total"]
        == 0
    )


@pytest.mark.parametrize("profile", list(profiles.PROFILES.values()), ids=lambda p: p.key)
def test_the_template_follows_every_print_profile(profile):
    lines = ["Ayşe Yılmaz", "Hauptstraße 1", "12345 Musterstadt"]
    pdf = _render(
        lines,
        profile=profile,
        sender_lines=["Hauptstraße 1 · 12345 Musterstadt", "Telefon 0123 4567"],
    )
    assert window_text(pdf, profile) == lines
    checked = check_letter(io.BytesIO(pdf), max_pages=20, color=False, profile=profile)
    assert checked.recipient_lines == lines


def test_a_tenant_profile_moves_the_rendered_address(ctx, client, ow):
    world = ow.world
    admin, cw = world.headers["admin_a"], world.headers["caseworker_a1"]
    values = client.get("/api/v1/outbox/settings", headers=admin).json()
    assert (
        client.put(
            "/api/v1/outbox/settings", headers=admin, json={**values, "print_profile": "nope"}
        ).status_code
        == 422
    )
    values["print_profile"] = "din5008_a"
    assert client.put("/api/v1/outbox/settings", headers=admin, json=values).status_code == 200
    lines = ["Łukasz Wąsik", "Hauptstraße 1", "12345 Musterstadt"]
    preview = client.post(
        f"/api/v1/case-files/{world.case_a1.id}/letters/preview",
        headers=cw,
        data={"subject": "Einladung", "body": "Text", "recipient": "\n".join(lines)},
    )
    assert preview.status_code == 200 and preview.headers["x-letter-check"] == "ok"
    assert window_text(preview.content, profiles.DIN5008_A) == lines
    assert window_text(preview.content, profiles.DIN5008_B) == []
