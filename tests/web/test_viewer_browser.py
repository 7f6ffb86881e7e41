"""The document viewer in headless Chromium: a long scan opens at page N after a small part
of the file has crossed the line, with "Seite N von M", paging, thumbnails drawn as they
scroll into view, and the search inside the document leading to the page."""

from __future__ import annotations

import io
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pikepdf
import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import Browser, Page, expect, sync_playwright

from akte.core.database import session_scope
from akte.documents.models import DocumentVersion
from akte.users.models import Role
from akte.web import pdfjs
from ingest import archive
from tests.builders import PASSWORD, make_case_file, make_org_unit, make_tenant, make_user
from tests.search.conftest import add_document
from tests.web.live import CHROMIUM, CHROMIUM_ARGS, LiveServer, live_server, shoot

pytestmark = pytest.mark.slow
expect.set_options(timeout=30_000)
PAGES = 60
TARGET = 41


def scan_pdf(pages: int, tmp: Path, seed: int = 25) -> bytes:
    """A scan-like archive PDF: every page a noisy greyscale JPEG (~100 KB) with its number
    printed large, rewritten as ingest rewrites archives (linearised, balanced page tree)."""
    rng = random.Random(seed)
    images = []
    for n in range(1, pages + 1):
        image = Image.frombytes("L", (620, 877), rng.randbytes(620 * 877))
        image = image.point(lambda v: 200 + v // 5)  # light grey noise like paper
        ImageDraw.Draw(image).text((60, 60), f"Seite {n}", fill=0, font_size=72)
        images.append(image)
    path = tmp / "scan.pdf"
    images[0].save(path, "PDF", save_all=True, append_images=images[1:], resolution=75, quality=60)
    archive._finish(path)
    return path.read_bytes()


@dataclass
class Scan:
    server: LiveServer
    username: str
    document_id: object
    size: int


@pytest.fixture(scope="module")
def scan(tmp_path_factory) -> Iterator[Scan]:
    data = scan_pdf(PAGES, tmp_path_factory.mktemp("scan"))
    with live_server(tmp_path_factory.mktemp("viewer")) as server:
        if not pdfjs.available(server.ctx.settings):
            pytest.fail("PDF.js is not installed: run `make pdfjs` (`make test` does)")
        blob = server.ctx.storage.put_bytes(data)
        with session_scope(server.ctx.session_factory) as session:
            tenant = make_tenant(session, name="Jobcenter Fernarbeit")
            unit = make_org_unit(session, tenant, name="Team 7")
            user = make_user(session, tenant, Role.caseworker, (unit,))
            case_file = make_case_file(session, tenant, unit)
            texts = [f"Seite {n} Kontoauszug" for n in range(1, PAGES + 1)]
            texts[TARGET - 1] = f"Seite {TARGET} Nebenkostenabrechnung Heizung"
            document = add_document(session, case_file, title="Altakte 60 Seiten", pages=texts)
            version = session.query(DocumentVersion).filter_by(document_id=document.id).one()
            version.sha256 = version.archive_sha256 = blob.sha256
            version.size = blob.size
            found = Scan(server, user.username, document.id, blob.size)
        yield found


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, scan: Scan) -> Iterator[Page]:
    context = browser.new_context(locale="de-DE", viewport={"width": 1366, "height": 768})
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    tab.goto(f"{scan.server.url}/login")
    tab.get_by_label("Benutzername").fill(scan.username)
    tab.get_by_label("Passwort").fill(PASSWORD)
    tab.get_by_role("button", name="Anmelden").click()
    expect(tab).not_to_have_url(re.compile(r"/login"))
    yield tab
    context.close()


def _bytes_before(page: Page, mark: str) -> tuple[int, int]:
    """Bytes of the document received before ``mark`` (Resource Timing), and requests."""
    return page.evaluate(
        """(mark) => {
            const at = performance.getEntriesByName(mark)[0].startTime;
            const parts = performance.getEntriesByType('resource')
                .filter(e => e.name.includes('/content?') && e.responseEnd <= at);
            return [parts.reduce((s, e) => s + e.encodedBodySize, 0), parts.length];
        }""",
        mark,
    )


def test_page_n_of_a_long_scan_shows_after_a_small_part_of_the_file(scan, page):
    statuses: list[int] = []
    page.on("response", lambda r: statuses.append(r.status) if "/content?" in r.url else None)
    page.goto(f"{scan.server.url}/app/documents/{scan.document_id}#page={TARGET}")
    viewer = page.locator("#pdfviewer")
    expect(viewer).to_have_attribute("data-rendered", str(TARGET))
    expect(page.get_by_label("Seite", exact=True)).to_have_value(str(TARGET))
    expect(viewer.locator("[data-count]")).to_have_text(f"von {PAGES}")
    received, requests = _bytes_before(page, f"akte-page-{TARGET}")
    # Only byte ranges were asked for, never the whole file in one answer ...
    assert statuses and set(statuses) == {206}, statuses
    # ... and page 41 of 60 was on screen after well under a fifth of the file.
    assert 0 < received < scan.size / 5, (received, scan.size, requests)
    print(f"page {TARGET}/{PAGES}: {received} of {scan.size} bytes in {requests} requests")
    shoot(page, "30-viewer-page-41")

    # Paging: the next page, then a jump by number; the address follows.
    page.get_by_role("button", name="Nächste Seite").click()
    expect(viewer).to_have_attribute("data-rendered", str(TARGET + 1))
    expect(page).to_have_url(re.compile(rf"#page={TARGET + 1}$"))
    page.get_by_label("Seite", exact=True).fill("3")
    page.get_by_label("Seite", exact=True).press("Enter")
    expect(viewer).to_have_attribute("data-rendered", "3")

    # Thumbnails: those in view are drawn, the far end of the strip is not fetched.
    thumbs = viewer.locator("[data-thumb]")
    expect(thumbs).to_have_count(PAGES)
    expect(viewer.locator('[data-thumb="3"]')).to_have_attribute("data-drawn", "true")
    assert viewer.locator("[data-thumb][data-drawn]").count() < PAGES / 2
    viewer.locator('[data-thumb="5"]').click()
    expect(viewer).to_have_attribute("data-rendered", "5")
    expect(viewer.locator('[data-thumb="5"]')).to_have_attribute("aria-current", "page")


def test_search_in_the_document_leads_to_the_page(scan, page):
    page.goto(f"{scan.server.url}/app/documents/{scan.document_id}")
    viewer = page.locator("#pdfviewer")
    expect(viewer).to_have_attribute("data-rendered", "1")
    page.get_by_role("searchbox", name="Im Dokument suchen").fill("nebenkostenabrechnung")
    page.get_by_role("search", name="Im Dokument suchen").get_by_role("button").click()
    found = page.locator("[data-found]")
    expect(found).to_contain_text("auf 1 Seite(n)")
    found.get_by_role("link", name=f"Seite {TARGET}").click()
    expect(viewer).to_have_attribute("data-rendered", str(TARGET))
    expect(page.get_by_label("Seite", exact=True)).to_have_value(str(TARGET))


def test_selected_pages_open_as_their_own_pdf(scan, page):
    response = page.request.get(
        f"{scan.server.url}/app/documents/{scan.document_id}/auszug?pages=3-4"
    )
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    with pikepdf.open(io.BytesIO(response.body())) as cut:
        assert len(cut.pages) == 2
    assert len(response.body()) < scan.size / 10
