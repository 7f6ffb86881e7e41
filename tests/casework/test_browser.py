"""The casework journey in headless Chromium against a live server: the day starts on
"Meine Wiedervorlagen", a Vorgang is opened by keyboard alone, a document is put into it,
a Vermerk and a Wiedervorlage are written, and the Wiedervorlage is done from the start
page. axe-core checks both pages once they hold content; screenshots go to
``test-artifacts/screenshots/casework-*``.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from akte.casework.followups import today
from tests.builders import PASSWORD
from tests.web.live import shoot
from tests.web.test_browser import assert_accessible, axe, browser, page, scene  # noqa: F401

pytestmark = pytest.mark.slow
expect.set_options(timeout=20_000)


def test_a_caseworkers_day_with_vorgang_vermerk_and_wiedervorlage(scene, page, axe):  # noqa: F811
    base = scene.server.url
    page.goto(f"{base}/login")
    page.get_by_label("Benutzername").fill(scene.caseworker)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page).to_have_url(re.compile(r"/app/wiedervorlagen$"))
    expect(page.get_by_role("heading", name="Meine Wiedervorlagen")).to_be_visible()

    page.goto(f"{base}/app/akten/{scene.case_file_id}")
    # keyboard only: type the title, Tab to the Vorgangsart, Tab to the button, Enter
    page.get_by_label("Neuer Vorgang: Titel").focus()
    page.keyboard.type("Weiterbewilligung 2027")
    page.keyboard.press("Tab")
    page.keyboard.type("Weiterbewilligung")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Vorgang anlegen")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Vorgang angelegt.")
    vorgang = page.get_by_role("region", name=re.compile("^Weiterbewilligung 2027"))
    expect(vorgang).to_contain_text("Keine Dokumente in diesem Vorgang.")

    # one action puts the document into the Vorgang; the page then groups it there
    page.get_by_label("Vorgang für Kontoauszug Juni").select_option(label="Weiterbewilligung 2027")
    page.get_by_role("button", name="Zuordnen (Kontoauszug Juni)").click()
    expect(page.get_by_role("status")).to_contain_text("Dokument zugeordnet.")
    vorgang = page.get_by_role("region", name=re.compile("^Weiterbewilligung 2027"))
    expect(vorgang.get_by_role("link", name="Kontoauszug Juni")).to_be_visible()

    page.get_by_label("Neuer Vermerk").fill("Telefonat: Kontoauszüge Juli folgen per Post.")
    page.get_by_role("button", name="Vermerk speichern").click()
    expect(page.get_by_role("status")).to_contain_text("Vermerk gespeichert.")
    expect(page.locator(".note-body").first).to_contain_text("Kontoauszüge Juli")

    page.locator("#wv-due").fill(today().isoformat())
    page.locator("#wv-reason").fill("Kontoauszüge Juli prüfen")
    page.get_by_role("button", name="Wiedervorlage setzen").click()
    expect(page.get_by_role("status")).to_contain_text("Wiedervorlage gesetzt.")
    shoot(page, "casework-01-akte")
    assert_accessible(page, axe, "Akte with Vorgang, Vermerk, Wiedervorlage")

    page.get_by_role("navigation", name="Hauptnavigation").get_by_role(
        "link", name="Wiedervorlagen"
    ).click()
    due_today = page.get_by_role("region", name=re.compile("^Heute fällig"))
    expect(due_today).to_contain_text("Kontoauszüge Juli prüfen")
    expect(due_today).to_contain_text(scene.aktenzeichen)
    shoot(page, "casework-02-wiedervorlagen")
    assert_accessible(page, axe, "Meine Wiedervorlagen")
    due_today.get_by_role("button", name=re.compile("^Erledigt")).click()
    expect(page.get_by_role("status")).to_contain_text("Wiedervorlage erledigt.")
    expect(page.get_by_role("region", name=re.compile("^Heute fällig"))).to_contain_text("(0)")
