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
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas
from sqlalchemy import func, select

from akte.audit.models import AuditEntry
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


def page_words(n: int) -> str:
    return (
        f"Seite {TARGET} Nebenkostenabrechnung Heizung" if n == TARGET else f"Seite {n} Kontoauszug"
    )


def scan_pdf(pages: int, tmp: Path, seed: int = 25) -> bytes:
    """A scan-like archive PDF: every page a noisy greyscale JPEG (~100 KB) with its number
    printed large under a text layer with the page's words (as an OCR'd page has),
    rewritten as ingest rewrites archives (linearised, balanced page tree)."""
    rng = random.Random(seed)
    path = tmp / "scan.pdf"
    out = canvas.Canvas(str(path), pagesize=(595, 842))
    for n in range(1, pages + 1):
        image = Image.frombytes("L", (620, 877), rng.randbytes(620 * 877))
        image = image.point(lambda v: 200 + v // 5)  # light grey noise like paper
        ImageDraw.Draw(image).text((60, 60), f"Seite {n}", fill=0, font_size=72)
        jpeg = io.BytesIO()
        image.save(jpeg, "JPEG", quality=60)
        jpeg.seek(0)
        out.drawImage(ImageReader(jpeg), 0, 0, 595, 842)
        out.setFont("Helvetica", 14)
        out.drawString(60, 700, page_words(n))
        out.showPage()
    out.save()
    archive._finish(path)
    return path.read_bytes()


@dataclass
class Scan:
    server: LiveServer
    username: str
    user_id: str
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
            texts = [page_words(n) for n in range(1, PAGES + 1)]
            document = add_document(session, case_file, title="Altakte 60 Seiten", pages=texts)
            version = session.query(DocumentVersion).filter_by(document_id=document.id).one()
            version.sha256 = version.archive_sha256 = blob.sha256
            version.size = blob.size
            found = Scan(server, user.username, str(user.id), document.id, blob.size)
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


def test_a_search_hit_opens_at_its_page_with_the_words_highlighted(scan, page):
    # the search page's link to a hit on page 41, searched in another inflection
    page.goto(
        f"{scan.server.url}/app/documents/{scan.document_id}"
        f"?page={TARGET}&q=Nebenkostenabrechnungen#seite-{TARGET}"
    )
    viewer = page.locator("#pdfviewer")
    expect(viewer).to_have_attribute("data-rendered", str(TARGET))
    expect(viewer).to_have_attribute("data-text-page", str(TARGET))
    # marked in the drawn page's text layer, over the image ...
    hits = viewer.locator(".textLayer span mark.pv-hit")
    expect(hits.first).to_have_text("Nebenkostenabrechnung")
    assert hits.count() >= 1
    box = hits.first.bounding_box()
    stage = viewer.locator("[data-canvas]").bounding_box()
    assert box and stage and box["width"] > 20
    assert stage["x"] <= box["x"] <= stage["x"] + stage["width"]
    assert stage["y"] <= box["y"] <= stage["y"] + stage["height"]
    # ... and in the recognised text beside it
    panel = page.locator("[data-text-panel]")
    expect(panel.locator("mark.hit")).to_have_text("Nebenkostenabrechnung")
    shoot(page, "31-viewer-hit-highlighted")
    # a page without the word has nothing marked
    page.get_by_role("button", name="Nächste Seite").click()
    expect(viewer).to_have_attribute("data-text-page", str(TARGET + 1))
    expect(viewer).to_have_attribute("data-hits", "0")
    expect(viewer.locator("mark.pv-hit")).to_have_count(0)


def test_the_recognised_text_follows_the_viewer_page_by_page(scan, page):
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/text?" in r.url else None)
    page.goto(f"{scan.server.url}/app/documents/{scan.document_id}")
    viewer = page.locator("#pdfviewer")
    panel = page.locator("[data-text-panel]")
    expect(viewer).to_have_attribute("data-rendered", "1")
    expect(panel.locator(".ocr")).to_have_count(1)  # one page, not a slice of 20
    expect(panel.locator(".ocr")).to_have_text(page_words(1))
    expect(panel.locator("[data-text-position]")).to_have_text(f"Seite 1 von {PAGES}")

    page.get_by_role("button", name="Nächste Seite").click()
    expect(panel.locator(".ocr")).to_have_text(page_words(2))
    expect(panel.locator("h3")).to_contain_text("Seite 2")

    page.get_by_label("Seite", exact=True).fill(str(TARGET))
    page.get_by_label("Seite", exact=True).press("Enter")
    expect(viewer).to_have_attribute("data-rendered", str(TARGET))
    expect(panel.locator(".ocr")).to_have_text(page_words(TARGET))
    expect(panel.locator("[data-text-position]")).to_have_text(f"Seite {TARGET} von {PAGES}")

    # paging in the panel moves the viewer too
    panel.get_by_role("link", name="Vorherige Seite").click()
    expect(viewer).to_have_attribute("data-rendered", str(TARGET - 1))
    expect(panel.locator(".ocr")).to_have_text(page_words(TARGET - 1))
    # each page's text came on its own, one page per request
    pages = sorted({int(re.search(r"[?&]page=(\d+)", url).group(1)) for url in asked})
    assert pages == [1, 2, TARGET - 1, TARGET], asked


def _audit(scan: Scan, action: str) -> int:
    with session_scope(scan.server.ctx.session_factory) as session:
        return session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(
                AuditEntry.object_id == str(scan.document_id),
                AuditEntry.actor_id == scan.user_id,
                AuditEntry.action == action,
            )
        )


def test_a_viewing_is_one_audit_entry_not_one_per_range_request(scan, page):
    views, downloads = _audit(scan, "document.view"), _audit(scan, "document.download")
    ranges: list[str] = []
    page.on("request", lambda r: ranges.append(r.url) if "/content?" in r.url else None)
    page.goto(f"{scan.server.url}/app/documents/{scan.document_id}#page={TARGET}")
    expect(page.locator("#pdfviewer")).to_have_attribute("data-rendered", str(TARGET))
    page.get_by_role("button", name="Nächste Seite").click()
    expect(page.locator("#pdfviewer")).to_have_attribute("data-rendered", str(TARGET + 1))
    assert len(ranges) > 3, ranges
    # who opened which document when: one entry, however many byte ranges followed
    assert _audit(scan, "document.view") == views + 1
    assert _audit(scan, "document.download") == downloads

    # the whole file is a download, recorded as such
    base = f"{scan.server.url}/app/documents/{scan.document_id}/content"
    assert page.request.get(f"{base}?rendition=archive").status == 200
    assert _audit(scan, "document.download") == downloads + 1
    # and a byte range of a file not open in the viewer is recorded too
    answer = page.request.get(f"{base}?rendition=original", headers={"Range": "bytes=0-99"})
    assert answer.status == 206
    assert _audit(scan, "document.download") == downloads + 2
