"""End to end in headless Chromium against a live server: what caseworkers and citizens do.

Screenshots of the main pages go to ``test-artifacts/screenshots/``; axe-core checks the
login, search, Akte, Posteingang and upload pages for serious or critical violations.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlalchemy import select

from akte.auth.service import principal_for
from akte.core.database import session_scope, utcnow
from akte.documents import intake
from akte.documents.models import Document, DocumentSource
from akte.uploads import service as codes
from akte.uploads.models import UploadCode
from akte.users.models import Role
from tests.builders import PASSWORD, make_case_file, make_org_unit, make_tenant, make_user
from tests.ingest.samples import png_bytes, render_lines, text_pdf
from tests.web.live import (
    CHROMIUM,
    CHROMIUM_ARGS,
    LiveServer,
    axe_source,
    live_server,
    serious_violations,
    shoot,
    wait_until,
)

pytestmark = pytest.mark.slow
#: The machine is shared and the worker OCRs in the background: allow for slow moments.
expect.set_options(timeout=20_000)


@dataclass
class Scene:
    server: LiveServer
    caseworker: str
    case_file_id: object
    aktenzeichen: str
    other_case_file_id: object


def _store(session, ctx, case_file, data: bytes, name: str, **kwargs) -> Document:
    scanned = intake.scan_file(io.BytesIO(data), max_bytes=10_000_000)
    intake.store(ctx.storage, io.BytesIO(data), scanned)
    return intake.add_document(
        session,
        tenant_id=case_file.tenant_id,
        case_file_id=case_file.id,
        scanned=scanned,
        filename=name,
        **kwargs,
    )


@pytest.fixture(scope="module")
def scene(tmp_path_factory) -> Iterator[Scene]:
    with live_server(tmp_path_factory.mktemp("live")) as server:
        ctx = server.ctx
        with session_scope(ctx.session_factory) as session:
            tenant = make_tenant(session, name="Jobcenter Musterstadt")
            unit = make_org_unit(session, tenant, name="Leistungsbereich 1")
            user = make_user(
                session, tenant, Role.caseworker, (unit,), display_name="Sabine Beispiel"
            )
            case_file = make_case_file(
                session,
                tenant,
                unit,
                aktenzeichen="AZ-2024-000777",
                person_name="Erika Mustermann",
                betreff="Leistungen nach dem SGB II",
                address_lines="Erika Mustermann\nHauptstraße 12\n12345 Musterstadt",
            )
            other = make_case_file(
                session, tenant, unit, aktenzeichen="AZ-2024-000778", person_name="Max Muster"
            )
            _store(
                session,
                ctx,
                case_file,
                text_pdf(
                    [
                        [
                            "Kontoauszug Nr. 7 der Sparkasse Musterstadt",
                            "Miete an Wohnungsbau GmbH 450,00 EUR",
                        ]
                    ]
                ),
                "kontoauszug.pdf",
                title="Kontoauszug Juni",
                doc_type="Kontoauszug",
                source=DocumentSource.staff_upload,
            )
            _store(
                session,
                ctx,
                case_file,
                text_pdf([["Lohnabrechnung Mai 2024", "Nettobetrag 1.234,56 EUR"]]),
                "Lohnabrechnung <Mai>.pdf",
                title=None,
                source=DocumentSource.citizen_upload,
                filed=False,
            )
            scene = Scene(server, user.username, case_file.id, case_file.aktenzeichen, other.id)

        def processed() -> bool:
            with session_scope(ctx.session_factory) as session:
                states = set(session.scalars(select(Document.status)))
            return states <= {"ready", "failed"}

        assert wait_until(processed, timeout=120), "the worker did not process the documents"
        yield scene


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def axe() -> str:
    return axe_source()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(bypass_csp=True, accept_downloads=True, locale="de-DE")
    tab = context.new_page()
    tab.set_default_timeout(20_000)
    yield tab
    call = getattr(request.node, "rep_call", None)
    if call is not None and call.failed:
        shoot(tab, f"FAILED-{request.node.name}")
    context.close()


def new_code(scene: Scene, *, expired: bool = False) -> str:
    ctx = scene.server.ctx
    with session_scope(ctx.session_factory) as session:
        from akte.users.models import User

        user = session.scalar(select(User).where(User.username == scene.caseworker))
        issued = codes.issue(session, principal_for(session, user), scene.case_file_id)
        if expired:
            row = session.get(UploadCode, issued.code.id)
            row.expires_at = utcnow() - timedelta(hours=1)
        return issued.plaintext


def assert_accessible(page: Page, axe: str, name: str) -> None:
    problems = serious_violations(page, axe)
    assert not problems, f"{name}: {problems}"


def test_caseworker_searches_opens_views_files_and_writes_a_letter(scene, page, axe, tmp_path):
    base = scene.server.url
    page.goto(f"{base}/app")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    expect(page.locator("html")).to_have_attribute("lang", "de")
    shoot(page, "01-login")
    assert_accessible(page, axe, "login")
    page.get_by_label("Benutzername").fill(scene.caseworker)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", name="Akten", exact=True)).to_be_visible()
    shoot(page, "02-akten")

    # Search from the box on every page; the hit names its Akte and highlights the match.
    def search_hit() -> bool:
        page.get_by_role("search").get_by_label("Suche").fill("Miete")
        page.get_by_role("search").get_by_role("button", name="Suchen").click()
        return page.locator(".hits mark").count() > 0

    assert wait_until(search_hit, timeout=60, every=1), "no highlighted search hit for 'Miete'"
    expect(page.locator(".hits")).to_contain_text(scene.aktenzeichen)
    # Facets narrow the hits; the active one can be removed again.
    facets = page.get_by_role("complementary")
    facets.get_by_role("link", name="Kontoauszug (1)").click()
    expect(page.get_by_role("link", name="Dokumentart: Kontoauszug – entfernen")).to_be_visible()
    expect(page.locator(".hits")).to_contain_text("Kontoauszug Juni")
    shoot(page, "03-search")
    assert_accessible(page, axe, "search")

    # One click from the hit to the Akte: documents in date order with type, source, status.
    page.locator(".hits").get_by_role("link", name=scene.aktenzeichen).first.click()
    expect(page.get_by_role("heading", name=f"Akte {scene.aktenzeichen}")).to_be_visible()
    table = page.get_by_role("table").first
    expect(table).to_contain_text("Kontoauszug")
    expect(table).to_contain_text("Upload Sachbearbeitung")
    expect(table).to_contain_text("bereit")
    shoot(page, "04-akte")
    assert_accessible(page, axe, "Akte")

    # The viewer: the archive PDF drawn page by page (PDF.js), recognised text beside it.
    page.get_by_role("link", name="Kontoauszug Juni").click()
    viewer = page.locator("#pdfviewer")
    expect(viewer).to_have_attribute("data-src", re.compile(r"rendition=archive&inline=true"))
    expect(viewer).to_have_attribute("data-rendered", "1")
    expect(viewer.locator("[data-count]")).to_contain_text("von 1")
    expect(page.locator(".ocr").first).to_contain_text("Wohnungsbau GmbH")
    response = page.request.get(base + viewer.get_attribute("data-src"))
    assert response.ok and response.body().startswith(b"%PDF")
    assert_accessible(page, axe, "viewer")
    with page.expect_download() as download:
        page.get_by_role("link", name="Original herunterladen").click()
    assert download.value.suggested_filename == "kontoauszug.pdf"
    shoot(page, "05-viewer")

    # Posteingang: set the Dokumentart and file it (select + one click).
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role(
        "link", name="Posteingang"
    ).click()
    item = page.locator("article.inbox-item", has_text="Lohnabrechnung <Mai>.pdf")
    expect(item).to_be_visible()
    shoot(page, "06-posteingang")
    assert_accessible(page, axe, "Posteingang")
    # The Dokumentart is suggested from the text, so filing is one click.
    expect(item.get_by_label("Dokumentart")).to_have_value("Lohnabrechnung")
    item.get_by_role("button", name=re.compile("^Ablegen")).click()
    expect(page.get_by_role("status").first).to_contain_text("Dokument abgelegt.")
    expect(page.locator("article.inbox-item", has_text="Lohnabrechnung <Mai>.pdf")).to_have_count(0)

    # Upload two files into the Akte with the progress script.
    page.goto(f"{base}/app/akten/{scene.case_file_id}")
    a = tmp_path / "bescheid.pdf"
    a.write_bytes(text_pdf([["Bescheid vom 1. Juli 2024"]]))
    b = tmp_path / "nachweis.png"
    b.write_bytes(png_bytes(render_lines(["Nachweis Kita-Beitrag"], width=1200)))
    page.locator("#staff-files").set_input_files([str(a), str(b)])
    expect(page.locator(".progress-list li")).to_have_count(2)
    page.get_by_role("button", name="Hochladen").click()
    expect(page.get_by_role("status").first).to_contain_text("Dateien hochgeladen")
    expect(page.get_by_role("table").first).to_contain_text("bescheid.pdf")
    expect(page.get_by_role("table").first).to_contain_text("nachweis.png")

    # A letter from a template: preview (PDF), then into the outbox; its status is shown.
    page.get_by_role("link", name="Brief schreiben").click()
    expect(page.get_by_label("Betreff")).to_have_value(
        "Aufforderung zur Mitwirkung (§§ 60 ff. SGB I)"
    )
    expect(page.get_by_label("Empfänger (eine Zeile je Anschriftzeile)")).to_contain_text(
        "Hauptstraße 12"
    )
    shoot(page, "07-brief")
    csrf = page.locator("input[name=csrf_token]").first.get_attribute("value")
    preview = page.request.post(
        f"{base}/app/akten/{scene.case_file_id}/brief",
        form={
            "csrf_token": csrf,
            "subject": "Test",
            "body": "Hallo",
            "action": "preview",
            "recipient": "Erika Mustermann\nHauptstraße 12\n12345 Musterstadt",
        },
    )
    assert preview.ok and preview.body().startswith(b"%PDF")
    # the Mitwirkung names its deadline (and prints a new upload code with a QR code)
    page.locator("#deadline").fill((date.today() + timedelta(days=14)).isoformat())
    page.get_by_role("button", name="In den Postausgang").click()
    expect(page.locator("#briefe")).to_be_visible()
    # Queued, or already sealed into a batch by the worker's outbox schedule.
    expect(page.locator(".letter-status").first).to_have_text(
        re.compile("im Postausgang|im Versandstapel|an Druckdienstleister übergeben")
    )
    shoot(page, "08-akte-brief")


def test_citizen_uploads_two_files_with_a_code_and_downloads_the_receipt(
    scene, page, axe, tmp_path
):
    base = scene.server.url
    code = new_code(scene)
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{base}/upload?code={code}")
    expect(page.get_by_label("Upload-Code")).to_have_value(code)
    shoot(page, "10-portal-code-mobile")
    assert_accessible(page, axe, "portal code")
    page.get_by_role("button", name="Weiter").click()
    expect(page.get_by_text("Erlaubt: PDF, JPEG, PNG")).to_be_visible()
    expect(page.get_by_text(scene.aktenzeichen)).to_be_visible()
    assert_accessible(page, axe, "portal upload")
    first = tmp_path / "Mietvertrag Seite 1.pdf"
    first.write_bytes(text_pdf([["Mietvertrag", "Kaltmiete 450 EUR"]]))
    second = tmp_path / "Ausweis.jpg"
    image = render_lines(["Personalausweis"], width=900).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG")
    second.write_bytes(buffer.getvalue())
    note = tmp_path / "notiz.txt"
    note.write_text("kein Dokument")
    chooser = page.get_by_label("Dokumente auswählen oder fotografieren")
    chooser.set_input_files([str(first), str(second), str(note)])
    expect(page.locator(".progress-list li")).to_have_count(3)
    # Refused before sending: the type is not one the portal takes.
    refused = page.locator(".progress-list li", has_text="notiz.txt")
    expect(refused).to_contain_text("nur PDF, JPEG oder PNG")
    shoot(page, "11-portal-files-mobile")
    page.get_by_role("button", name="Hochladen").click()
    expect(page.get_by_role("heading", name="Eingangsbestätigung")).to_be_visible()
    receipt = page.get_by_role("table")
    expect(receipt).to_contain_text("Mietvertrag Seite 1.pdf")
    expect(receipt).to_contain_text("Ausweis.jpg")
    expect(page.locator(".hash").first).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
    shoot(page, "12-portal-receipt-mobile")
    with page.expect_download() as download:
        page.get_by_role("link", name="Eingangsbestätigung als PDF herunterladen").click()
    pdf = download.value.path().read_bytes()
    assert pdf.startswith(b"%PDF")
    page.set_viewport_size({"width": 1280, "height": 900})
    shoot(page, "13-portal-receipt-desktop")
    # The files wait in the Posteingang of the Akte.
    with session_scope(scene.server.ctx.session_factory) as session:
        titles = set(
            session.scalars(
                select(Document.title).where(
                    Document.case_file_id == scene.case_file_id, Document.filed.is_(False)
                )
            )
        )
    assert {"Mietvertrag Seite 1.pdf", "Ausweis.jpg"} <= titles


def test_expired_and_wrong_codes_are_refused(scene, page):
    base = scene.server.url
    for attempt in (new_code(scene, expired=True), "ABCD-EFGH-JKMN-PQRS"):
        page.goto(f"{base}/upload")
        page.get_by_label("Upload-Code").fill(attempt)
        page.get_by_role("button", name="Weiter").click()
        expect(page.get_by_role("alert")).to_contain_text("ungültig, abgelaufen oder widerrufen")
        expect(page.get_by_label("Upload-Code")).to_have_attribute("aria-invalid", "true")
        assert page.context.cookies() and all(
            c["name"] != "akte_citizen" for c in page.context.cookies()
        )
    shoot(page, "14-portal-refused")
    page.goto(f"{base}/upload/files")
    expect(page).to_have_url(re.compile(r"/upload$"))


def test_keyboard_only_skip_link_and_code_entry(scene, page):
    """The first Tab reaches the skip link; a code is entered and sent with keys alone."""
    page.goto(f"{scene.server.url}/upload")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Zum Inhalt springen")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))
    field = page.get_by_label("Upload-Code")
    for _ in range(30):  # Tab through the language links to the field
        if field.evaluate("el => el === document.activeElement"):
            break
        page.keyboard.press("Tab")
    expect(field).to_be_focused()
    page.keyboard.type(new_code(scene))
    page.keyboard.press("Enter")
    expect(page.get_by_text("Erlaubt: PDF, JPEG, PNG")).to_be_visible()


def test_the_portal_speaks_six_languages_and_arabic_runs_right_to_left(scene, page, axe):
    base = scene.server.url
    page.goto(f"{base}/upload")
    page.get_by_role("link", name="العربية").click()
    html = page.locator("html")
    expect(html).to_have_attribute("dir", "rtl")
    expect(html).to_have_attribute("lang", "ar")
    expect(page.get_by_role("heading", level=1)).to_contain_text("إرسال المستندات")
    shoot(page, "15-portal-ar")
    assert_accessible(page, axe, "portal ar")
    page.set_viewport_size({"width": 360, "height": 740})
    shoot(page, "16-portal-ar-mobile")
    for lang, direction in (
        ("fa", "rtl"),
        ("ur", "rtl"),
        ("ti", "ltr"),
        ("en", "ltr"),
        ("de", "ltr"),
    ):
        page.goto(f"{base}/upload?lang={lang}")
        expect(html).to_have_attribute("dir", direction)
        expect(html).to_have_attribute("lang", lang)
        if lang in ("fa", "ti"):
            shoot(page, f"17-portal-{lang}")
    # The choice is remembered for the next page.
    page.goto(f"{base}/upload?lang=fa")
    page.goto(f"{base}/upload")
    expect(html).to_have_attribute("lang", "fa")
