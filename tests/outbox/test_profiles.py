"""Per-product rules of a print profile: what the provider offers, page and sheet limits,
colour and duplex, the envelope; the manifest says what was chosen."""

from __future__ import annotations

import io
from datetime import date

import pytest

from akte.core.database import session_scope
from outbox import batching, profiles
from outbox import settings as outbox_settings
from outbox.render import LetterContent, render_letter
from outbox.validation import LetterInvalid, check_letter
from tests.outbox.conftest import make_pdf, upload


def _use(ctx, tenant_id, profile: str, **extra) -> None:
    with session_scope(ctx.session_factory) as session:
        outbox_settings.put(
            session,
            tenant_id,
            outbox_settings.TenantOutboxSettings(working_days=[], print_profile=profile, **extra),
        )


def test_rules_refuse_products_colour_and_sizes_a_provider_does_not_take():
    epost, mailing = profiles.DEUTSCHE_POST_EPOST, profiles.MAILING_2MM
    with pytest.raises(LetterInvalid, match="Postzustellungsurkunde"):
        epost.rule("pzu")
    with pytest.raises(LetterInvalid, match=r"^product"):
        mailing.rule("einschreiben")
    assert epost.check_size("standardbrief", 6, 6) == "DL"
    assert epost.check_size("standardbrief", 7, 7) == "C4"
    with pytest.raises(LetterInvalid, match=r"^page_limit"):
        epost.check_size("einschreiben", 97, 49)
    with pytest.raises(LetterInvalid, match=r"^sheet_limit"):
        mailing.check_size("standardbrief", 7, 7)
    assert mailing.check_size("standardbrief", 7, 4) == "DL"  # duplex: 4 sheets
    strict = profiles.ProductRule(max_pages=10, max_sheets=10, color=False, duplex=False)
    bw_only = profiles.PrintProfile(
        **{**profiles.DIN5008_B.__dict__, "products": {"standardbrief": strict}}
    )
    with pytest.raises(LetterInvalid, match="schwarzweiß"):
        bw_only.rule("standardbrief", color=True)
    with pytest.raises(LetterInvalid, match="einseitig"):
        bw_only.rule("standardbrief", duplex=True)


def test_the_template_follows_the_profile_zones():
    lines = ["Erika Mustermann", "Hauptstraße 12", "12345 Musterstadt"]
    for profile in profiles.PROFILES.values():
        pdf = render_letter(
            LetterContent(
                sender_name="Jobcenter Musterstadt",
                recipient_lines=lines,
                aktenzeichen="AZ-1",
                subject="Bescheid",
                body="Text",
                letter_date=date.today(),
                profile=profile,
                return_address="Jobcenter Musterstadt · Postfach 1 · 12345 Musterstadt",
            )
        )
        checked = check_letter(io.BytesIO(pdf), max_pages=20, profile=profile)
        assert checked.recipient_lines == lines, profile.key


def test_letters_follow_the_tenants_profile_per_product(ctx, client, ow):
    world = ow.world
    cw, case_id = world.headers["caseworker_a1"], world.case_a1.id
    _use(ctx, world.tenant_a.id, "mailing_2mm")
    refused = upload(client, cw, case_id, make_pdf(), product="einschreiben")
    assert refused.status_code == 422 and refused.json()["detail"].startswith("product")
    too_many = upload(client, cw, case_id, make_pdf(pages=7))
    assert too_many.status_code == 422 and too_many.json()["detail"].startswith("sheet_limit")
    duplex = upload(client, cw, case_id, make_pdf(pages=7), duplex=True)
    assert duplex.status_code == 201, duplex.text
    assert (duplex.json()["envelope"], duplex.json()["sheet_count"]) == ("DL", 4)

    _use(ctx, world.tenant_a.id, "deutsche_post_epost")
    pzu = client.post(
        f"/api/v1/case-files/{case_id}/letters",
        headers=cw,
        data={
            "subject": "Bescheid",
            "body": "Text",
            "product": "pzu",
            "recipient": "Erika Mustermann\nHauptstraße 12\n12345 Musterstadt",
        },
    )
    assert pzu.status_code == 422 and "Postzustellungsurkunde" in pzu.json()["detail"]
    big = upload(
        client,
        cw,
        case_id,
        make_pdf(pages=8, address_top_mm=72),
        product="einschreiben",
        color=True,
    )
    assert big.status_code == 201, big.text
    assert big.json()["envelope"] == "C4" and big.json()["print_profile"] == "deutsche_post_epost"
    preview = client.post(
        f"/api/v1/case-files/{case_id}/letters/preview",
        headers=cw,
        data={
            "subject": "Bescheid",
            "body": "Text",
            "product": "pzu",
            "recipient": "Erika Mustermann\nHauptstraße 12\n12345 Musterstadt",
        },
    )
    assert preview.status_code == 200 and preview.headers["x-letter-check"].startswith("product")

    results = batching.seal(ctx, world.tenant_a.id)
    provider = world.headers["provider_a"]
    entries = {}
    for result in results:
        detail = client.get(f"/api/v1/outbox/batches/{result.batch_id}", headers=provider).json()
        entries |= {item["letter_id"]: item for item in detail["letters"]}
    small, large = entries[duplex.json()["id"]], entries[big.json()["id"]]
    assert (
        small["product"],
        small["envelope"],
        small["duplex"],
        small["sheets"],
        small["weight_class"],
        small["print_profile"],
    ) == ("standardbrief", "DL", True, 4, "kompaktbrief", "mailing_2mm")
    assert (
        large["product"],
        large["envelope"],
        large["color"],
        large["sheets"],
        large["weight_class"],
        large["print_profile"],
    ) == ("einschreiben", "C4", True, 8, "kompaktbrief", "deutsche_post_epost")
