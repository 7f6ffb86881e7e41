"""The tenant admin's casework pages and the pages around a document, in headless
Chromium at 1366×768 against a live server: Vorgangsarten and Dokumentarten kept by
keyboard alone (a refused list keeps what was typed, its reason tied to the field), the
document page with its corrections, the sessions page, and the German error pages.
axe-core must find no serious or critical violation on any of them; screenshots go to
``test-artifacts/screenshots/casework-admin-*``.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from akte.core.database import session_scope
from akte.documents import intake
from akte.documents.models import Document, DocumentSource
from akte.users.models import Role
from tests.builders import PASSWORD, make_case_file, make_org_unit, make_tenant, make_user
from tests.ingest.samples import text_pdf
from tests.web.live import LiveServer, live_server, shoot, wait_until
from tests.web.test_browser import assert_accessible, axe, browser, page  # noqa: F401

pytestmark = pytest.mark.slow
expect.set_options(timeout=20_000)
SCREEN = {"width": 1366, "height": 768}


@dataclass
class AdminScene:
    server: LiveServer
    admin: str
    caseworker: str
    case_file_id: object
    document_id: object


@pytest.fixture(scope="module")
def admin_scene(tmp_path_factory) -> Iterator[AdminScene]:
    with live_server(tmp_path_factory.mktemp("live-admin")) as server:
        ctx = server.ctx
        with session_scope(ctx.session_factory) as session:
            tenant = make_tenant(session, name="Jobcenter Musterstadt")
            unit = make_org_unit(session, tenant, name="Leistungsbereich 1")
            admin = make_user(
                session, tenant, Role.tenant_admin, (unit,), display_name="Petra Verwaltung"
            )
            caseworker = make_user(
                session, tenant, Role.caseworker, (unit,), display_name="Sabine Beispiel"
            )
            case_file = make_case_file(
                session, tenant, unit, aktenzeichen="AZ-2024-000901", person_name="Erika Mustermann"
            )
            data = text_pdf([["Bewilligungsbescheid vom 3. Mai 2024", "Leistungen SGB II"]])
            scanned = intake.scan_file(io.BytesIO(data), max_bytes=10_000_000)
            intake.store(ctx.storage, io.BytesIO(data), scanned)
            document = intake.add_document(
                session,
                tenant_id=tenant.id,
                case_file_id=case_file.id,
                scanned=scanned,
                filename="bescheid.pdf",
                title="Bescheid Mai",
                doc_type="Bescheid",
                source=DocumentSource.staff_upload,
            )
            scene = AdminScene(
                server, admin.username, caseworker.username, case_file.id, document.id
            )

        def processed() -> bool:
            with session_scope(ctx.session_factory) as session:
                return set(session.scalars(select(Document.status))) <= {"ready", "failed"}

        assert wait_until(processed, timeout=120), "the worker did not process the document"
        yield scene


def _login(tab: Page, base: str, username: str) -> None:
    tab.set_viewport_size(SCREEN)
    tab.goto(f"{base}/login")
    tab.get_by_label("Benutzername").fill(username)
    tab.get_by_label("Passwort").fill(PASSWORD)
    tab.get_by_role("button", name="Anmelden").click()
    expect(tab).not_to_have_url(re.compile(r"/login$"))


def test_the_tenant_admin_keeps_both_lists_by_keyboard(admin_scene, page, axe):  # noqa: F811
    base = admin_scene.server.url
    _login(page, base, admin_scene.admin)
    nav = page.get_by_role("navigation", name="Hauptnavigation")
    nav.get_by_role("link", name="Vorgangsarten").click()
    expect(page.get_by_role("heading", name="Vorgangsarten")).to_be_visible()
    shoot(page, "casework-admin-01-vorgangsarten")
    assert_accessible(page, axe, "Vorgangsarten")

    # keyboard only: a repeated name is refused; the reason sits at the field, the text stays
    field = page.get_by_label("Eine Vorgangsart je Zeile")
    field.focus()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("Weiterbewilligung 2027")
    page.keyboard.press("Enter")
    page.keyboard.type("Widerspruch")
    page.keyboard.press("Enter")
    page.keyboard.type("widerspruch")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Speichern")).to_be_focused()
    page.keyboard.press("Enter")
    field = page.get_by_label("Eine Vorgangsart je Zeile")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_accessible_description(re.compile("steht doppelt in der Liste"))
    expect(field).to_have_value("Weiterbewilligung 2027\nWiderspruch\nwiderspruch")
    shoot(page, "casework-admin-02-vorgangsarten-refused")
    assert_accessible(page, axe, "Vorgangsarten refused")

    # drop the repeated last line ("\nwiderspruch") from its end, then save again
    field.focus()
    page.keyboard.press("ControlOrMeta+End")
    for _ in range(len("\nwiderspruch")):
        page.keyboard.press("Backspace")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text(
        "Die Liste der Vorgangsarten ist gespeichert."
    )
    expect(page.get_by_label("Eine Vorgangsart je Zeile")).to_have_value(
        "Weiterbewilligung 2027\nWiderspruch"
    )

    nav = page.get_by_role("navigation", name="Hauptnavigation")
    nav.get_by_role("link", name="Dokumentarten").click()
    expect(page.get_by_role("heading", name="Dokumentarten")).to_be_visible()
    shoot(page, "casework-admin-03-dokumentarten")
    assert_accessible(page, axe, "Dokumentarten")
    field = page.get_by_label(re.compile("^Eine Dokumentart je Zeile"))
    field.fill("Bescheid: bescheid, bewilligung\nKita-Nachweis: kita\nSonstiges")
    field.press("Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text(
        "Die Liste der Dokumentarten ist gespeichert."
    )
    assert_accessible(page, axe, "Dokumentarten saved")


def test_the_document_page_sessions_and_error_pages(admin_scene, page, axe):  # noqa: F811
    base = admin_scene.server.url
    _login(page, base, admin_scene.caseworker)
    page.goto(f"{base}/app/documents/{admin_scene.document_id}")
    expect(page.get_by_role("heading", name="Bescheid Mai")).to_be_visible()
    shoot(page, "casework-admin-04-document")
    assert_accessible(page, axe, "document page")

    page.goto(f"{base}/app/sitzungen")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_accessible(page, axe, "Sitzungen")

    # a caseworker on the admin's page: refused in German, in the layout
    response = page.goto(f"{base}/app/vorgangsarten")
    assert response is not None and response.status == 403
    expect(page.get_by_role("alert")).to_have_text("Das ist mit Ihrer Rolle nicht erlaubt.")
    assert_accessible(page, axe, "403 page")

    response = page.goto(f"{base}/app/gibt-es-nicht")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="Nicht gefunden")).to_be_visible()
    expect(page.get_by_role("link", name="Zur Startseite")).to_have_attribute("href", "/app")
    shoot(page, "casework-admin-05-not-found")
    assert_accessible(page, axe, "404 page")
