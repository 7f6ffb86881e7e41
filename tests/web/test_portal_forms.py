"""The Veränderungsmitteilung on the portal: switched on per tenant, filled in any of the six
languages without a script, refused values explained at their field in the citizen's
language, and stored as one Posteingang document: a German PDF plus the answers as JSON
that a Fachverfahren fetches through the API."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator

import pikepdf
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from pypdf import PdfReader
from sqlalchemy import select

from akte.core.database import session_scope
from akte.documents.models import Document
from akte.tenants.models import Tenant
from akte.uploads import forms
from akte.web import i18n
from tests.web.conftest import browser, csrf_of, issue_code
from tests.web.live import CHROMIUM, CHROMIUM_ARGS, axe_source, shoot
from tests.web.test_codes import enter
from tests.web.test_portal_browser import PHONE, new_code, portal  # noqa: F401
from tests.web.test_portal_journeys import wcag_violations
from tests.web.test_security import principal

URL = "/upload/forms/veraenderungsmitteilung"
IBAN = "DE89 3704 0044 0532 0130 00"  # the standard example, check digits valid
ARABIC_REMARK = "انتقلت مع أطفالي إلى شقة جديدة"


def _switch_on(client, world) -> None:
    r = client.patch(
        "/api/v1/tenants/current/options",
        headers=world.headers["admin_a"],
        json={"portal_forms": ["veraenderungsmitteilung"]},
    )
    assert r.status_code == 200, r.text


def test_only_a_tenant_admin_switches_forms_on_and_only_known_ones(ctx, client, world):
    code = issue_code(ctx, principal(ctx, world.users["caseworker_a1"]), world.case_a1.id)
    with browser(ctx) as citizen:
        assert enter(citizen, code).status_code == 303
        assert citizen.get(f"{URL}?lang=de").status_code == 404  # off by default
        assert URL not in citizen.get("/upload/files?lang=de").text
        for who, body, status in (
            ("caseworker_a1", ["veraenderungsmitteilung"], 403),
            ("admin_a", ["antrag_auf_alles"], 422),
        ):
            r = client.patch(
                "/api/v1/tenants/current/options",
                headers=world.headers[who],
                json={"portal_forms": body},
            )
            assert r.status_code == status, r.text
        _switch_on(client, world)
        assert URL in citizen.get("/upload/files?lang=de").text
        assert citizen.get(f"{URL}?lang=de").status_code == 200
    # another tenant's citizens do not get it
    other = issue_code(ctx, principal(ctx, world.users["caseworker_b"]), world.case_b1.id)
    with browser(ctx) as citizen:
        assert enter(citizen, other).status_code == 303
        assert citizen.get(f"{URL}?lang=de").status_code == 404


def _post(citizen, lang: str, data: dict):
    token = csrf_of(citizen.get(f"{URL}?lang={lang}").text)
    return citizen.post(f"{URL}?lang={lang}", data={"csrf_token": token, **data})


@pytest.mark.parametrize("lang", list(i18n.LANGUAGES))
def test_refused_values_are_explained_at_their_field_in_the_citizens_language(
    ctx, client, world, lang
):
    _switch_on(client, world)
    t = i18n.translator(lang)
    code = issue_code(ctx, principal(ctx, world.users["caseworker_a1"]), world.case_a1.id)
    with browser(ctx) as citizen:
        assert enter(citizen, code).status_code == 303
        nothing = _post(citizen, lang, {})
        assert nothing.status_code == 422
        assert f"<title>{t('error')}: {t('form_title')}" in nothing.text
        assert t("err_choose") in nothing.text
        wrong = _post(
            citizen,
            lang,
            {
                "changes": ["address", "bank"],
                "address.street": "Hauptstraße 5",
                "address.postcode": "123",
                "address.city": "Musterstadt",
                "address.moved_on": "2026-02-30",
                "bank.iban": "DE00 1234",
                "bank.holder": "A. Muster",
            },
        )
        assert wrong.status_code == 422
        page = wrong.text
        for field, problem in (
            ("address-postcode", "err_postcode"),
            ("address-moved_on", "err_date"),
            ("bank-iban", "err_iban"),
        ):
            tag = re.search(rf'<input id="f-{field}"[^>]*>', page)
            assert tag, field
            assert 'aria-invalid="true"' in tag.group(0)
            assert f'aria-describedby="f-{field}-error"' in tag.group(0)
            assert f'<p class="field-error" id="f-{field}-error">{t(problem)}</p>' in page
        assert 'value="Hauptstraße 5"' in page  # what was typed stays
        assert 'id="f-address-street"' in page and "f-address-street-error" not in page
    with session_scope(ctx.session_factory) as session:
        stored = session.scalars(select(Document).where(Document.title == forms.TITLE)).all()
        assert stored == []


def test_a_notice_in_arabic_becomes_a_german_pdf_and_json_in_the_posteingang(ctx, client, world):
    _switch_on(client, world)
    code = issue_code(ctx, principal(ctx, world.users["caseworker_a1"]), world.case_a1.id)
    with browser(ctx) as citizen:
        assert enter(citizen, code).status_code == 303
        sent = _post(
            citizen,
            "ar",
            {
                "changes": ["address", "income", "bank"],
                "address.street": "Hauptstraße 5",
                "address.postcode": "12345",
                "address.city": "Musterstadt",
                "address.moved_on": "2026-11-01",
                "income.what": "عمل جديد لدى شركة البناء",
                "income.amount_eur": "1.250,50",
                "income.since": "01.12.2026",
                "bank.iban": IBAN,
                "bank.holder": "A. Muster",
                "remarks": ARABIC_REMARK,
            },
        )
        assert sent.status_code == 303, sent.text
        receipt = citizen.get(sent.headers["location"])
        assert "إشعار الاستلام" in receipt.text and f"{forms.TITLE}.pdf" in receipt.text

    with session_scope(ctx.session_factory) as session:
        [document] = session.scalars(select(Document).where(Document.title == forms.TITLE)).all()
        assert document.case_file_id == world.case_a1.id and not document.filed
        document_id = str(document.id)

    owner = world.headers["caseworker_a1"]
    inbox = client.get("/api/v1/inbox", headers=owner).json()
    assert document_id in json.dumps(inbox)
    detail = client.get(f"/api/v1/documents/{document_id}", headers=owner).json()
    [source] = detail["versions"][0]["sources"]
    assert (source["filename"], source["mime_type"]) == ("answers.json", "application/json")
    answers = client.get(f"/api/v1/documents/{document_id}/content?source=1", headers=owner)
    assert answers.status_code == 200
    data = json.loads(answers.content)
    assert data["form"] == "veraenderungsmitteilung" and data["language"] == "ar"
    assert data["changes"] == ["address", "income", "bank"]
    assert data["address"] == {
        "street": "Hauptstraße 5",
        "postcode": "12345",
        "city": "Musterstadt",
        "moved_on": "2026-11-01",
    }
    assert data["income"] == {
        "what": "عمل جديد لدى شركة البناء",
        "amount_eur": "1250.50",
        "since": "2026-12-01",
    }
    assert data["bank"]["iban"] == IBAN.replace(" ", "") and data["remarks"] == ARABIC_REMARK
    assert "household" not in data
    for outsider in ("caseworker_b", "caseworker_none"):
        r = client.get(
            f"/api/v1/documents/{document_id}/content?source=1", headers=world.headers[outsider]
        )
        assert r.status_code == 404 and b"12345" not in r.content

    pdf = client.get(f"/api/v1/documents/{document_id}/content", headers=owner)
    assert pdf.headers["content-type"] == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    for german in ("Veränderungsmitteilung", "Postleitzahl", "Sprache des Formulars", "Arabisch"):
        assert german in text, german
    assert "12345" in text and "DE89370400440532013000" in text
    # the Arabic answer shaped and extractable, in its words
    assert all(word in text for word in ("شقة", "جديدة")), text
    with pikepdf.open(io.BytesIO(pdf.content)) as document_pdf:
        assert str(document_pdf.Root.Lang) == "de"
        assert "/StructTreeRoot" in document_pdf.Root


# -- in Chromium at phone size ---------------------------------------------------------


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def _phone(chromium: Browser, lang: str) -> Page:
    context = chromium.new_context(
        viewport=PHONE, locale=lang, has_touch=True, is_mobile=True, bypass_csp=True
    )
    return context.new_page()


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["de", "ar"])
def test_the_form_on_a_phone_with_axe(portal, chromium, lang):  # noqa: F811
    with session_scope(portal.server.ctx.session_factory) as session:
        for tenant in session.scalars(select(Tenant)):
            tenant.options = {**(tenant.options or {}), "portal_forms": [forms.VERAENDERUNG]}
    t = i18n.translator(lang)
    axe = axe_source()
    page = _phone(chromium, lang)
    try:
        page.goto(f"{portal.server.url}/upload?lang={lang}")
        page.get_by_label(t("code_label")).fill(new_code(portal))
        page.get_by_role("button", name=t("continue")).click()
        page.get_by_role("link", name=t("form_link")).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(t("form_title"))
        assert wcag_violations(page, axe) == []
        shoot(page, f"form-{lang}-1-empty")

        page.get_by_label(t("form_address")).check()
        page.get_by_label(t("form_street")).fill("Hauptstraße 5")
        page.get_by_label(t("form_postcode")).fill("12")
        page.get_by_label(t("form_city")).fill("Musterstadt")
        page.get_by_label(t("form_moved_on")).fill("2026-11-01")
        page.get_by_role("button", name=t("form_send")).click()
        postcode = page.get_by_label(t("form_postcode"))
        expect(postcode).to_have_attribute("aria-invalid", "true")
        expect(page.locator("#f-address-postcode-error")).to_have_text(t("err_postcode"))
        expect(page).to_have_title(re.compile(f"^{re.escape(t('error'))}"))
        assert wcag_violations(page, axe) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        shoot(page, f"form-{lang}-2-error")

        postcode.fill("12345")
        page.get_by_role("button", name=t("form_send")).click()
        expect(page.get_by_role("heading", name=t("receipt_title"))).to_be_visible()
        expect(page.get_by_role("table")).to_contain_text(f"{forms.TITLE}.pdf")
        shoot(page, f"form-{lang}-3-receipt")
    finally:
        page.context.close()
