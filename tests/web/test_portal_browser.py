"""The citizen's upload journey in headless Chromium at phone size (390×844): an ended
session, a lost connection or an odd answer never shows a file as accepted, and the same
files are sent once the citizen has typed the code again."""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlalchemy import select

from akte.auth.service import principal_for
from akte.core.database import session_scope
from akte.documents.models import Document
from akte.uploads import service as codes
from akte.uploads.models import UploadCode
from akte.users.models import Role
from akte.web import sessions
from tests.builders import make_case_file, make_org_unit, make_tenant, make_user
from tests.ingest.samples import render_lines, text_pdf
from tests.web.live import CHROMIUM, CHROMIUM_ARGS, LiveServer, live_server, shoot

pytestmark = pytest.mark.slow
expect.set_options(timeout=20_000)
PHONE = {"width": 390, "height": 844}


@dataclass
class Portal:
    server: LiveServer
    caseworker_id: object
    case_file_id: object


@pytest.fixture(scope="module")
def portal(tmp_path_factory) -> Iterator[Portal]:
    with live_server(tmp_path_factory.mktemp("portal")) as server:
        with session_scope(server.ctx.session_factory) as session:
            tenant = make_tenant(session, name="Jobcenter Musterstadt")
            unit = make_org_unit(session, tenant, name="Leistungsbereich 1")
            user = make_user(session, tenant, Role.caseworker, (unit,))
            case_file = make_case_file(session, tenant, unit, aktenzeichen="AZ-2024-000901")
            yield_value = Portal(server, user.id, case_file.id)
        yield yield_value


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(viewport=PHONE, locale="ar", has_touch=True, is_mobile=True)
    tab = context.new_page()
    tab.set_default_timeout(20_000)
    problems: list[str] = []
    tab.on("pageerror", lambda error: problems.append(str(error)))
    yield tab
    assert not problems, f"script errors on the page: {problems}"
    call = getattr(request.node, "rep_call", None)
    if call is not None and call.failed:
        shoot(tab, f"FAILED-{request.node.name}")
    context.close()


def new_code(portal: Portal) -> str:
    from akte.users.models import User

    with session_scope(portal.server.ctx.session_factory) as session:
        user = session.get(User, portal.caseworker_id)
        return codes.issue(session, principal_for(session, user), portal.case_file_id).plaintext


def stored_titles(portal: Portal) -> list[str]:
    with session_scope(portal.server.ctx.session_factory) as session:
        return sorted(
            session.scalars(
                select(Document.title).where(
                    Document.case_file_id == portal.case_file_id,
                    Document.source == "citizen-upload",
                )
            )
        )


def session_cookie(portal: Portal, code: str, ttl_seconds: int) -> dict:
    """The citizen cookie as it is ``ttl_seconds`` before its end (negative: after)."""
    with session_scope(portal.server.ctx.session_factory) as session:
        code_id = session.scalar(
            select(UploadCode.id).where(
                UploadCode.code_hash == codes.code_hash(codes.normalize(code))
            )
        )
    secret = portal.server.ctx.settings.effective_secret_key
    token = sessions.citizen_token(secret, code_id, ttl_seconds=ttl_seconds)
    return {"name": sessions.CITIZEN_COOKIE, "value": token, "url": portal.server.url}


def enter_code(page: Page, portal: Portal, code: str) -> None:
    page.goto(f"{portal.server.url}/upload?lang=ar&code={code}")
    page.get_by_role("button", name="متابعة").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("اختر المستندات أو صوّرها")


def files(tmp_path, prefix: str) -> list[str]:
    pdf = tmp_path / f"{prefix}-عقد الإيجار.pdf"
    pdf.write_bytes(text_pdf([["Mietvertrag", prefix]]))
    jpg = tmp_path / f"{prefix}-Ausweis.jpg"
    buffer = io.BytesIO()
    render_lines([f"Personalausweis {prefix}"], width=600).convert("RGB").save(buffer, "JPEG")
    jpg.write_bytes(buffer.getvalue())
    return [str(pdf), str(jpg)]


def rows(page: Page):
    return page.locator(".progress-list li")


def assert_nothing_accepted(page: Page, state_text: str) -> None:
    expect(rows(page)).to_have_count(2)
    expect(page.locator('.progress-list li[data-state="accepted"]')).to_have_count(0)
    for n in range(2):
        expect(rows(page).nth(n).locator(".state")).to_have_text(state_text)
        assert rows(page).nth(n).locator("progress").evaluate("p => p.value") == 0


def test_an_ended_session_shows_no_false_done_and_the_retry_stores_the_files(
    portal, page, tmp_path
):
    code = new_code(portal)
    enter_code(page, portal, code)
    page.get_by_label("اختر المستندات أو صوّرها").set_input_files(files(tmp_path, "s1"))
    expect(rows(page)).to_have_count(2)
    # Two hours pass while the citizen looks for the papers.
    page.context.add_cookies([session_cookie(portal, code, -1)])
    page.get_by_role("button", name="تحميل", exact=True).click()
    expect(page.locator("[data-errors]")).to_contain_text("انتهت جلستك")
    expect(page.locator("[data-errors]")).to_contain_text("لم يتم إرسال ملفاتك")
    assert_nothing_accepted(page, "لم يُرسل")
    assert [t for t in stored_titles(portal) if t.startswith("s1-")] == []
    shoot(page, "20-portal-session-ended-ar")
    # The code typed again on the same page; the chosen files are still in the list.
    reenter = page.locator("form[data-reenter]")
    expect(reenter).to_be_visible()
    reenter.get_by_label("أدخل الرمز مرة أخرى").fill(code)
    reenter.get_by_role("button", name="متابعة").click()
    expect(page.locator("[data-errors]")).to_contain_text("تم قبول الرمز")
    expect(rows(page)).to_have_count(2)
    page.get_by_role("button", name="تحميل", exact=True).click()
    expect(page.get_by_role("heading", name="إشعار الاستلام")).to_be_visible()
    table = page.get_by_role("table")
    expect(table).to_contain_text("s1-عقد الإيجار.pdf")
    expect(table).to_contain_text("s1-Ausweis.jpg")
    assert [t for t in stored_titles(portal) if t.startswith("s1-")] == [
        "s1-Ausweis.jpg",
        "s1-عقد الإيجار.pdf",
    ]
    shoot(page, "21-portal-retry-receipt-ar")


def test_a_lost_connection_or_an_unexpected_answer_is_never_shown_as_done(portal, page, tmp_path):
    code = new_code(portal)
    enter_code(page, portal, code)
    page.get_by_label("اختر المستندات أو صوّرها").set_input_files(files(tmp_path, "s2"))

    def drop(route):
        if route.request.method == "POST":
            route.abort("internetdisconnected")
        else:
            route.continue_()

    page.route(re.compile(r".*/upload/files.*"), drop)
    page.get_by_role("button", name="تحميل", exact=True).click()
    expect(page.locator("[data-errors]")).to_contain_text("لا يوجد اتصال بمركز العمل")
    assert_nothing_accepted(page, "لم يُرسل")
    page.unroute(re.compile(r".*/upload/files.*"))

    # A proxy's or a login page's HTML with 200, as the old redirect produced.
    def html(route):
        route.fulfill(status=200, content_type="text/html", body="<html>Start</html>")

    page.route(re.compile(r".*/upload/files.*"), html)
    page.get_by_role("button", name="تحميل", exact=True).click()
    expect(page.locator("[data-errors]")).to_contain_text("لم نتمكن من التأكد")
    assert_nothing_accepted(page, "لم يتم التأكيد – يرجى الإرسال مرة أخرى")

    # JSON that claims success but does not list the files by id and hash.
    def vague(route):
        route.fulfill(status=201, json={"stored": 2, "refused": [], "redirect": "/upload"})

    page.unroute(re.compile(r".*/upload/files.*"))
    page.route(re.compile(r".*/upload/files.*"), vague)
    page.get_by_role("button", name="تحميل", exact=True).click()
    expect(page.locator("[data-errors]")).to_contain_text("لم نتمكن من التأكد")
    assert_nothing_accepted(page, "لم يتم التأكيد – يرجى الإرسال مرة أخرى")

    # Listed by position and id, but with a SHA-256 of other bytes than those sent.
    def wrong_hash(route):
        stored = [
            {
                "index": n,
                "document_id": "0" * 8 + "-0000-4000-8000-" + "0" * 12,
                "filename": "x",
                "size": 1,
                "sha256": "f" * 64,
            }
            for n in range(2)
        ]
        route.fulfill(status=201, json={"stored": stored, "refused": [], "redirect": "/upload"})

    page.unroute(re.compile(r".*/upload/files.*"))
    page.route(re.compile(r".*/upload/files.*"), wrong_hash)
    page.get_by_role("button", name="تحميل", exact=True).click()
    expect(page.locator("[data-errors]")).to_contain_text("لم نتمكن من التأكد")
    assert_nothing_accepted(page, "لم يتم التأكيد – يرجى الإرسال مرة أخرى")
    assert [t for t in stored_titles(portal) if t.startswith("s2-")] == []
    page.unroute(re.compile(r".*/upload/files.*"))
    page.get_by_role("button", name="تحميل", exact=True).click()
    expect(page.get_by_role("heading", name="إشعار الاستلام")).to_be_visible()
    assert len([t for t in stored_titles(portal) if t.startswith("s2-")]) == 2


def test_the_session_warns_before_it_ends_and_is_extended(portal, page):
    code = new_code(portal)
    enter_code(page, portal, code)
    banner = page.locator("[data-session]")
    expect(banner).not_to_have_class(re.compile("warn"))
    page.context.add_cookies([session_cookie(portal, code, 300)])
    page.reload()
    expect(banner).to_have_class(re.compile("warn"))
    expect(banner).to_contain_text("تنتهي جلستك قريبًا")
    shoot(page, "22-portal-session-warning-ar")
    banner.get_by_role("button", name="تمديد الجلسة").click()
    expect(banner).to_contain_text("تم تمديد الجلسة")
    expect(banner).not_to_have_class(re.compile("warn"))
    cookie = next(c for c in page.context.cookies() if c["name"] == sessions.CITIZEN_COOKIE)
    assert cookie["expires"] - time.time() > sessions.CITIZEN_TTL_SECONDS - 60


def test_on_a_phone_the_list_grows_and_every_refusal_is_explained_on_the_receipt(
    portal, page, tmp_path
):
    code = new_code(portal)
    page.goto(f"{portal.server.url}/upload?lang=de&code={code}")
    page.get_by_role("button", name="Weiter").click()
    chooser = page.get_by_label("Dokumente auswählen oder fotografieren")
    assert chooser.get_attribute("capture") is None  # files and gallery, not only the camera
    assert chooser.get_attribute("multiple") is not None
    pdf, jpg = files(tmp_path, "p3")
    chooser.set_input_files([pdf])
    docx = tmp_path / "p3-Antrag.docx"
    docx.write_bytes(b"PK\x03\x04 not a pdf")
    fake = tmp_path / "p3-Kontoauszug.pdf"  # a PDF by name, text inside: the server refuses
    fake.write_text("kein PDF")
    chooser.set_input_files([jpg, str(docx), str(fake)])  # picking again adds, not replaces
    expect(rows(page)).to_have_count(4)
    refused_now = rows(page).filter(has_text="p3-Antrag.docx")
    expect(refused_now.locator(".state")).to_have_text("nur PDF, JPEG oder PNG")
    expect(refused_now.locator(".advice")).to_contain_text("als PDF")
    shoot(page, "23-portal-phone-list-de")
    page.get_by_role("button", name="Hochladen", exact=True).click()
    expect(page.get_by_role("heading", name="Eingangsbestätigung")).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text("p3-Ausweis.jpg")
    expect(page.get_by_role("table")).not_to_contain_text("p3-Antrag.docx")
    refused = page.locator("section", has=page.get_by_role("heading", name=re.compile("NICHT")))
    expect(refused).to_contain_text("p3-Antrag.docx")
    expect(refused).to_contain_text("p3-Kontoauszug.pdf")
    expect(refused.locator("li")).to_have_count(2)
    expect(refused).to_contain_text("Was Sie tun können")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shoot(page, "24-portal-phone-receipt-de")
    assert sorted(t for t in stored_titles(portal) if t.startswith("p3-")) == [
        "p3-Ausweis.jpg",
        "p3-عقد الإيجار.pdf",
    ]
