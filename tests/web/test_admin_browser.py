"""The tenant admin's administration pages in headless Chromium against a live server:
create a person and read the one-time code, reset it, deactivate an account (its open
session ends), a grant with an end date, the audit log filtered and exported as CSV.
axe-core must find no serious or critical violation; every admin page and the Akte page
reflow at 320 px without sideways scrolling. Screenshots: ``admin-*``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from akte.core.database import session_scope
from akte.users.models import Role
from tests.builders import PASSWORD, make_case_file, make_org_unit, make_tenant, make_user
from tests.web.live import LiveServer, live_server, shoot
from tests.web.test_browser import assert_accessible, axe, browser, page  # noqa: F401

pytestmark = pytest.mark.slow
expect.set_options(timeout=20_000)
SCREEN = {"width": 1366, "height": 768}


@dataclass
class Scene:
    server: LiveServer
    admin: str
    caseworker: str
    case_file_id: object
    aktenzeichen: str


@pytest.fixture(scope="module")
def scene(tmp_path_factory) -> Iterator[Scene]:
    with live_server(tmp_path_factory.mktemp("live-verwaltung")) as server:
        with session_scope(server.ctx.session_factory) as session:
            tenant = make_tenant(session, name="Jobcenter Musterstadt")
            unit = make_org_unit(session, tenant, code="LB-1", name="Leistungsbereich 1")
            make_org_unit(session, tenant, code="LB-2", name="Leistungsbereich 2")
            admin = make_user(
                session, tenant, Role.tenant_admin, (unit,), display_name="Petra Admin"
            )
            worker = make_user(
                session, tenant, Role.caseworker, (unit,), display_name="Sabine Beispiel"
            )
            case_file = make_case_file(
                session, tenant, unit, aktenzeichen="AZ-2024-000321", person_name="Erika Mustermann"
            )
            yield_scene = Scene(
                server, admin.username, worker.username, case_file.id, case_file.aktenzeichen
            )
        yield yield_scene


def _login(tab: Page, base: str, username: str, password: str = PASSWORD) -> None:
    tab.set_viewport_size(SCREEN)
    tab.goto(f"{base}/login")
    tab.get_by_label("Benutzername").fill(username)
    tab.get_by_label("Passwort").fill(password)
    tab.get_by_role("button", name="Anmelden").click()
    expect(tab).not_to_have_url(re.compile(r"/login"))


def _reflows(tab: Page, name: str) -> None:
    tab.set_viewport_size({"width": 320, "height": 640})
    tab.wait_for_function("document.documentElement.clientWidth <= 320")
    width = tab.evaluate("document.documentElement.scrollWidth")
    widest = tab.evaluate(
        "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right"
        " > document.documentElement.clientWidth).map(e => e.tagName + '#' + e.id + '.' + e.className).slice(0, 5).join(' ')"
    )
    assert width <= 320, f"{name} scrolls sideways at 320 px ({width} px wide: {widest})"
    tab.set_viewport_size(SCREEN)


def test_create_reset_deactivate_by_keyboard(scene, page, axe, browser):  # noqa: F811
    base = scene.server.url
    _login(page, base, scene.admin)
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role(
        "link", name="Verwaltung"
    ).click()
    expect(page.get_by_role("heading", name="Personen und Dienstkonten")).to_be_visible()
    shoot(page, "admin-01-personen")
    assert_accessible(page, axe, "Personen")
    _reflows(page, "Personen")

    # keyboard only: fill the new-account form and send it with Enter
    page.get_by_label("Anzeigename").focus()
    page.keyboard.type("Anna Neu")
    page.keyboard.press("Tab")
    page.keyboard.type("anna.neu")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Einmal-Code für die Anmeldung")).to_be_visible()
    code = page.locator("#secret").inner_text()
    shoot(page, "admin-02-einmal-code")
    assert_accessible(page, axe, "Einmal-Code")

    # the new person signs in with the code
    other = browser.new_context(locale="de-DE").new_page()
    _login(other, base, "anna.neu", code)
    expect(other.get_by_role("heading", level=1)).to_be_visible()

    # reset: a new code; the person's open session ends
    page.get_by_role("link", name="Zum Konto").click()
    shoot(page, "admin-03-konto")
    assert_accessible(page, axe, "Konto")
    _reflows(page, "Konto")
    page.get_by_role("button", name="Einmal-Code erzeugen").click()
    new_code = page.locator("#secret").inner_text()
    assert new_code and new_code != code
    other.goto(f"{base}/app")
    expect(other).to_have_url(re.compile(r"/login"))

    # deactivate: the session opened with the new code ends, the login is refused
    _login(other, base, "anna.neu", new_code)
    page.get_by_role("link", name="Zum Konto").click()
    page.get_by_role("button", name="Konto deaktivieren").click()
    expect(page.get_by_role("status")).to_contain_text("Konto deaktiviert")
    other.goto(f"{base}/app")
    expect(other).to_have_url(re.compile(r"/login"))
    other.get_by_label("Benutzername").fill("anna.neu")
    other.get_by_label("Passwort").fill(new_code)
    other.get_by_role("button", name="Anmelden").click()
    expect(other).to_have_url(re.compile(r"/login"))
    other.context.close()


def test_grant_with_end_date_audit_filter_and_csv(scene, page, axe):  # noqa: F811
    base = scene.server.url
    # the caseworker opens the Akte, so the log has something to show
    _login(page, base, scene.caseworker)
    page.goto(f"{base}/app/akten/{scene.case_file_id}")
    _reflows(page, "Akte")
    page.context.clear_cookies()

    _login(page, base, scene.admin)
    page.goto(f"{base}/app/akten/{scene.case_file_id}")
    page.get_by_role("link", name=re.compile("^Verwalten")).click()
    expect(page.get_by_role("heading", name=re.compile("verwalten"))).to_be_visible()
    page.get_by_label("Organisationseinheit", exact=True).select_option(
        label="LB-2 – Leistungsbereich 2"
    )
    page.get_by_label("Bis einschließlich").fill("2031-12-31")
    page.get_by_role("button", name="Freigabe speichern").click()
    expect(page.get_by_role("status")).to_contain_text("Freigabe gespeichert")
    expect(page.get_by_role("cell", name=re.compile("01.01.2032|31.12.2031"))).to_be_visible()
    shoot(page, "admin-04-freigabe")
    assert_accessible(page, axe, "Akte verwalten")
    _reflows(page, "Akte verwalten")

    for link, heading in (
        ("Organisationseinheiten", "Organisationseinheiten"),
        ("Aufbewahrung und Sperren", "Aufbewahrung und Sperren"),
    ):
        page.get_by_role("navigation", name="Verwaltung").get_by_role("link", name=link).click()
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        assert_accessible(page, axe, heading)
        _reflows(page, heading)

    page.get_by_role("navigation", name="Verwaltung").get_by_role("link", name="Protokoll").click()
    page.get_by_label("Person", exact=True).select_option(
        label=f"Sabine Beispiel ({scene.caseworker})"
    )
    page.get_by_label("Aktenzeichen").fill(scene.aktenzeichen)
    page.get_by_role("button", name="Filtern").click()
    expect(page.get_by_role("cell", name="case_file.open").first).to_be_visible()
    shoot(page, "admin-05-protokoll")
    assert_accessible(page, axe, "Protokoll")
    _reflows(page, "Protokoll")
    with page.expect_download() as info:
        page.get_by_role("link", name="Als CSV herunterladen").click()
    text = Path(info.value.path()).read_text(encoding="utf-8")
    assert text.startswith("id,seq,at,actor_id")
    assert "case_file.open" in text and "grant.create" not in text
