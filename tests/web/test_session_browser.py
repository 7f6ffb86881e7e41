"""Warnings before a staff session ends, errors tied to their fields, and reflow at 320 px,
in headless Chromium against a live server.

The browser's time runs on Playwright's clock and the server's on akte's (``clock``), so
five minutes of idle time pass in a second. Journeys: the warning dialog opens two
minutes before the idle end with the focus on "Sitzung verlängern"; extending by keyboard
keeps the half-written letter and the focus in it; after the end, sending the letter keeps
it on the page and says the session ended; the absolute limit only advises saving. The
login, Posteingang and upload forms mark the fields in error (``aria-invalid``) and name
the error as their description. Search, Posteingang and Wiedervorlagen reflow at 320 px.
Screenshots: ``session-*``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect

from akte.core.database import session_scope
from akte.users.models import Role
from tests.builders import PASSWORD, make_case_file, make_org_unit, make_tenant, make_user
from tests.search.conftest import add_document
from tests.web.live import LiveServer, live_server, shoot
from tests.web.test_admin_browser import _reflows
from tests.web.test_browser import assert_accessible, axe, browser, page  # noqa: F401

pytestmark = pytest.mark.slow
expect.set_options(timeout=20_000)
SCREEN = {"width": 1366, "height": 768}
LETTER = "Sehr geehrte Frau Mustermann, bitte reichen Sie die Lohnabrechnung für Mai ein."


@dataclass
class Scene:
    server: LiveServer
    caseworker: str
    long_day: str
    case_file_id: object
    inbox_item: object


@pytest.fixture(scope="module")
def scene(tmp_path_factory) -> Iterator[Scene]:
    with live_server(tmp_path_factory.mktemp("live-sitzung")) as server:
        with session_scope(server.ctx.session_factory) as session:
            idle = make_tenant(session, name="Jobcenter Kurzweil")
            idle.options = {"session_idle_minutes": 5}
            unit = make_org_unit(session, idle, code="LB-1", name="Leistungsbereich 1")
            worker = make_user(session, idle, Role.caseworker, (unit,))
            case_file = make_case_file(
                session, idle, unit, aktenzeichen="AZ-2024-000777", person_name="Erika Mustermann"
            )
            add_document(
                session,
                case_file,
                title="Lohnabrechnung Mai",
                doc_type="Lohnabrechnung",
                pages=["Lohnabrechnung Mai Grundsicherungsleistungsberechnungsverordnung " * 20],
            )
            waiting = add_document(
                session, case_file, title="IMG_2041", source="citizen-upload", pages=["Miete"]
            )
            waiting.filed = False
            capped = make_tenant(session, name="Jobcenter Höchstdauer")
            capped.options = {"session_max_hours": 1}
            capped_unit = make_org_unit(session, capped)
            long_day = make_user(session, capped, Role.caseworker, (capped_unit,))
            yield_scene = Scene(
                server, worker.username, long_day.username, case_file.id, waiting.id
            )
        yield yield_scene


def _login(tab: Page, base: str, username: str, password: str = PASSWORD) -> None:
    tab.set_viewport_size(SCREEN)
    tab.goto(f"{base}/login")
    tab.get_by_label("Benutzername").fill(username)
    tab.get_by_label("Passwort").fill(password)
    tab.get_by_role("button", name="Anmelden").click()
    expect(tab).not_to_have_url(re.compile(r"/login"))


def test_warned_extended_by_keyboard_and_an_ended_session_keeps_the_letter(
    scene,
    page,  # noqa: F811
    axe,  # noqa: F811
    clock,
):
    base = scene.server.url
    page.clock.install()
    _login(page, base, scene.caseworker)
    page.goto(f"{base}/app/akten/{scene.case_file_id}/brief")
    body = page.get_by_label("Text", exact=True)
    body.fill(LETTER)
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_be_hidden()

    # idle for 3.5 of 5 minutes: the warning, with the focus on extending
    page.clock.fast_forward("03:30")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Ihre Sitzung endet um")
    expect(dialog.get_by_role("button", name="Sitzung verlängern")).to_be_focused()
    shoot(page, "session-01-warnung")
    assert_accessible(page, axe, "Sitzungswarnung")

    clock.advance(4 * 60)
    page.keyboard.press("Enter")  # "Sitzung verlängern"
    expect(dialog).to_be_hidden()
    expect(body).to_be_focused()
    expect(body).to_have_value(LETTER)
    expect(page.locator("[data-session-status]")).to_contain_text("Sitzung verlängert bis")
    # 8 minutes after the sign-in: alive only because it was extended
    clock.advance(4 * 60)
    alive = page.request.get(f"{base}/app/sitzungen", max_redirects=0)
    assert alive.status == 200

    # the end passes: the page says so, and sending the letter keeps it here
    clock.advance(10 * 60)
    page.clock.fast_forward("05:10")
    expect(dialog).to_contain_text("Ihre Sitzung ist beendet")
    expect(dialog.get_by_role("link", name="In neuem Tab anmelden")).to_be_focused()
    shoot(page, "session-02-beendet")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    page.get_by_role("button", name="In den Postausgang").click()
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("wurde aber nicht gespeichert")
    expect(page).to_have_url(re.compile(r"/brief$"))
    expect(body).to_have_value(LETTER)


def test_the_absolute_limit_only_advises_saving(scene, page):  # noqa: F811
    base = scene.server.url
    page.clock.install()
    _login(page, base, scene.long_day)
    page.clock.fast_forward("55:30")  # of one hour; the warning comes five minutes ahead
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("kann nicht mehr verlängert werden")
    expect(dialog.get_by_role("button", name="Sitzung verlängern")).to_be_hidden()
    expect(dialog.get_by_role("button", name="Schließen")).to_be_focused()
    shoot(page, "session-03-hoechstdauer")


def test_errors_are_tied_to_their_fields(scene, page, tmp_path):  # noqa: F811
    base = scene.server.url
    page.set_viewport_size(SCREEN)
    page.goto(f"{base}/login")
    page.get_by_label("Benutzername").fill(scene.caseworker)
    page.get_by_label("Passwort").fill("falsch-falsch")
    page.get_by_role("button", name="Anmelden").click()
    for label in ("Benutzername", "Passwort"):
        field = page.get_by_label(label)
        expect(field).to_have_attribute("aria-invalid", "true")
        expect(field).to_have_accessible_description("Benutzername oder Passwort ist falsch.")
    shoot(page, "session-04-login-fehler")

    _login(page, base, scene.caseworker)
    # Posteingang: the title emptied, the item ticked; its title field says what is missing
    page.goto(f"{base}/app/posteingang")
    page.locator(f"#type-{scene.inbox_item}").select_option("Mietvertrag")
    page.locator(f"#title-{scene.inbox_item}").fill("")
    page.locator(f"#pick-{scene.inbox_item}").check()
    page.get_by_role("button", name="Ausgewählte ablegen").click()
    expect(page.get_by_role("alert").first).to_contain_text("Nicht abgelegt")
    title = page.locator(f"#title-{scene.inbox_item}")
    expect(title).to_have_attribute("aria-invalid", "true")
    expect(title).to_have_accessible_description(re.compile("Titel"))
    doc_type = page.locator(f"#type-{scene.inbox_item}")
    expect(doc_type).not_to_have_attribute("aria-invalid", "true")
    expect(doc_type).to_have_value("Mietvertrag")
    expect(page.locator(f"#pick-{scene.inbox_item}")).to_be_checked()  # nothing lost
    shoot(page, "session-05-posteingang-fehler")

    # upload: a refused file marks the file field and names the reason
    page.goto(f"{base}/app/akten/{scene.case_file_id}")
    note = tmp_path / "notiz.txt"
    note.write_text("kein PDF")
    files = page.locator("#staff-files")
    files.set_input_files(str(note))
    page.get_by_role("button", name="Hochladen").click()
    expect(files).to_have_attribute("aria-invalid", "true")
    description = files.get_attribute("aria-describedby")
    assert description and page.locator(f"#{description}").is_visible()


def test_search_inbox_and_wiedervorlagen_reflow_at_320_px(scene, page):  # noqa: F811
    base = scene.server.url
    _login(page, base, scene.caseworker)
    page.goto(f"{base}/app/search?q=Grundsicherungsleistungsberechnungsverordnung")
    expect(page.get_by_role("link", name="Lohnabrechnung Mai")).to_be_visible()
    _reflows(page, "Suche")
    page.goto(f"{base}/app/posteingang")
    _reflows(page, "Posteingang")
    page.goto(f"{base}/app/wiedervorlagen")
    _reflows(page, "Wiedervorlagen")
