"""A big Akte in headless Chromium: the document table pages, sorts, filters and searches
within the Akte, with the upload form at the top; a search hit opens its page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from akte.core.database import session_scope
from akte.users.models import Role
from tests.builders import PASSWORD, make_case_file, make_org_unit, make_tenant, make_user
from tests.search.conftest import add_document
from tests.web.live import CHROMIUM, CHROMIUM_ARGS, LiveServer, live_server, shoot, wait_until

pytestmark = pytest.mark.slow
expect.set_options(timeout=20_000)
DOCUMENTS = 120


@dataclass
class BigAkte:
    server: LiveServer
    username: str
    case_file_id: object
    deep_document_id: object


@pytest.fixture(scope="module")
def big(tmp_path_factory) -> Iterator[BigAkte]:
    with live_server(tmp_path_factory.mktemp("bigakte")) as server:
        with session_scope(server.ctx.session_factory) as session:
            tenant = make_tenant(session, name="Jobcenter Großstadt")
            unit = make_org_unit(session, tenant, name="Team 3")
            user = make_user(session, tenant, Role.caseworker, (unit,))
            case_file = make_case_file(session, tenant, unit, aktenzeichen="AZ-2020-004711")
            for n in range(1, DOCUMENTS + 1):
                add_document(
                    session,
                    case_file,
                    title=f"Nachweis {n:03d}",
                    doc_type="Bescheid" if n % 10 == 0 else "Nachweis",
                    document_date=date(2015 + n % 10, 1, 15),
                    pages=[f"Seite eins von Nachweis {n}"],
                )
            deep = add_document(
                session,
                case_file,
                title="Altakte gescannt",
                doc_type="Altakte",
                pages=[f"Seite {p} ohne Besonderheiten" for p in range(1, 60)]
                + ["Hier steht der Mietrückstand Wohnungsbaugenossenschaft"]
                + [f"Seite {p}" for p in range(61, 80)],
            )
            found = BigAkte(server, user.username, case_file.id, deep.id)
        yield found


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="de-DE")
    tab = context.new_page()
    tab.set_default_timeout(20_000)
    yield tab
    context.close()


def _login(page: Page, big: BigAkte) -> None:
    page.goto(f"{big.server.url}/login")
    page.get_by_label("Benutzername").fill(big.username)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page).not_to_have_url(re.compile(r"/login"))


def test_a_big_akte_pages_sorts_filters_and_searches(big, page):
    _login(page, big)
    page.goto(f"{big.server.url}/app/akten/{big.case_file_id}")
    # The upload comes before the documents; the table shows one page of 50, not 121 rows.
    upload = page.get_by_role("heading", name="Dokumente hochladen").bounding_box()
    listing = page.get_by_role("heading", name="Dokumente", exact=True).bounding_box()
    assert upload["y"] < listing["y"]
    rows = page.locator("table[data-documents] tbody tr")
    expect(rows).to_have_count(50)
    expect(page.locator("[data-doc-count]")).to_contain_text("121 Dokumente, Seite 1 von 3")

    # Sort by title (ascending), then page forward: rows continue without overlap.
    page.locator("table[data-documents]").get_by_role("link", name="Titel").click()
    expect(rows.first).to_contain_text("Altakte gescannt")
    expect(rows.nth(1)).to_contain_text("Nachweis 001")
    page.get_by_role("link", name="Nächste Seite").click()
    expect(page).to_have_url(re.compile(r"sort=title.*page=2|page=2.*sort=title"))
    expect(rows.first).to_contain_text("Nachweis 050")
    shoot(page, "20-big-akte-sorted")

    # Filter: Dokumentart and year together; the sort is kept.
    page.get_by_label("Dokumentart", exact=True).select_option("Bescheid")
    page.get_by_label("Jahr").fill("2015")
    page.get_by_role("button", name="Filtern").click()
    expect(page.locator("[data-doc-count]")).to_contain_text("(gefiltert)")
    titles = [
        t.strip()
        for t in page.locator("table[data-documents] tbody tr td:nth-child(2)").all_inner_texts()
    ]
    assert titles == [f"Nachweis {n:03d}" for n in range(10, 121, 10) if (2015 + n % 10) == 2015]

    # The search box of this Akte finds words in the recognised text, even on page 60.
    page.get_by_role("link", name="Filter zurücksetzen").click()
    page.get_by_label("In dieser Akte suchen").fill("Mietrückstand")
    page.get_by_role("button", name="Filtern").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Altakte gescannt")
    shoot(page, "21-big-akte-search")


def test_a_hit_on_page_60_opens_the_document_at_page_60(big, page):
    _login(page, big)

    def found() -> bool:
        page.goto(f"{big.server.url}/app/search?q=Mietr%C3%BCckstand")
        return page.locator(".hits mark").count() > 0

    assert wait_until(found, timeout=90, every=1), "the deep page was not indexed"
    hit = page.locator(".hits li", has_text="Altakte gescannt")
    expect(hit.locator(".hit-pages")).to_contain_text("Seite 60")
    expect(hit.locator(".snippet mark")).to_have_text("Mietrückstand")
    expect(hit.locator(".snippet")).to_contain_text("Wohnungsbaugenossenschaft")
    shoot(page, "22-search-hit-page")
    hit.get_by_role("link", name="Altakte gescannt").click()
    expect(page).to_have_url(re.compile(r"\?page=60&q=Mietr%C3%BCckstand#seite-60$"))
    # the viewer (PDF.js) starts at that page; its page field says so
    expect(page.locator("#pdfviewer")).to_have_attribute("data-page", "60")
    expect(page.locator("#pv-page")).to_have_value("60")
    # beside it the recognised text of that page alone, the searched word marked
    panel = page.locator("[data-text-panel]")
    expect(panel.locator("h3")).to_contain_text("Seite 60")
    expect(panel.locator(".ocr")).to_have_count(1)  # page 60, not all 79
    expect(panel.locator("[data-text-position]")).to_have_text("Seite 60 von 79")

    # "in dieser Akte" narrows the search to the hit's Akte, with a pager kept in step
    page.go_back()
    hit.get_by_role("link", name=re.compile("in dieser Akte suchen")).click()
    expect(page.get_by_role("status")).to_contain_text("in Akte AZ-2020-004711")
