"""Letting Akten out, in headless Chromium against a live server: a caseworker requests an
Aktenübersendung from the Akte and downloads the PDF with its Blattzahlen; a tenant admin
offers a closed Akte to the archive and reads the archive's evaluation in. axe-core checks
each page; screenshots go to ``test-artifacts/screenshots/records-*``."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pdfplumber
import pytest
from playwright.sync_api import expect

from akte.core.database import session_scope
from akte.documents.models import Document, DocumentSource
from akte.users.models import Role
from tests.builders import PASSWORD, make_case_file, make_org_unit, make_tenant, make_user
from tests.ingest.samples import text_pdf
from tests.records.test_aussonderung import evaluation_0502
from tests.web.live import live_server, shoot, wait_until
from tests.web.test_browser import _store, assert_accessible, axe, browser, page  # noqa: F401

pytestmark = pytest.mark.slow
expect.set_options(timeout=20_000)


@pytest.fixture(scope="module")
def office(tmp_path_factory):  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    with live_server(tmp_path_factory.mktemp("records-live")) as server:
        ctx = server.ctx
        with session_scope(ctx.session_factory) as session:
            tenant = make_tenant(session, name="Jobcenter Musterkreis")
            unit = make_org_unit(session, tenant, name="Leistung")
            worker = make_user(session, tenant, Role.caseworker, (unit,))
            admin = make_user(session, tenant, Role.tenant_admin)
            akte = make_case_file(session, tenant, unit, aktenzeichen="AZ-2025-000100")
            old = make_case_file(
                session,
                tenant,
                unit,
                aktenzeichen="AZ-2010-000001",
                status="closed",
                closed_at=datetime.now(UTC) - timedelta(days=4000),
            )
            for case, title in ((akte, "Weiterbewilligungsantrag"), (old, "Bescheid 2010")):
                _store(
                    session,
                    ctx,
                    case,
                    text_pdf([[title, "Seite eins"], ["Seite zwei des Schreibens"]]),
                    f"{title}.pdf",
                    title=title,
                    source=DocumentSource.staff_upload,
                )
            names = {
                "worker": worker.username,
                "admin": admin.username,
                "akte": str(akte.id),
                "old": str(old.id),
            }

        def processed() -> bool:
            with session_scope(ctx.session_factory) as session:
                return set(session.scalars(select(Document.status))) <= {"ready", "failed"}

        assert wait_until(processed, timeout=120), "the documents were not processed"
        yield server, names


def _login(tab, base: str, username: str) -> None:  # type: ignore[no-untyped-def]
    tab.goto(f"{base}/login")
    tab.get_by_label("Benutzername").fill(username)
    tab.get_by_label("Passwort").fill(PASSWORD)
    tab.get_by_role("button", name="Anmelden").click()
    expect(tab).not_to_have_url(re.compile(r"/login$"))


def test_a_caseworker_sends_the_akte_to_court(office, page, axe):  # noqa: F811
    server, names = office
    base = server.url
    _login(page, base, names["worker"])
    page.goto(f"{base}/app/akten/{names['akte']}")
    page.get_by_role("link", name="Akteneinsicht und Aktenübersendung").click()
    expect(page.get_by_role("heading", name="Akteneinsicht und Aktenübersendung")).to_be_visible()
    page.get_by_label("Empfänger", exact=True).fill("Sozialgericht Gotha")
    page.get_by_label("Zeichen des Empfängers (optional)").fill("S 12 AS 345/25")
    page.get_by_role("button", name="Export anfordern").click()
    expect(page.get_by_role("status").first).to_contain_text("Export angefordert")

    def ready() -> bool:
        page.reload()
        return page.get_by_role("link", name=re.compile(r"^PDF \(")).count() == 1

    assert wait_until(ready, timeout=90), "the export was not built"
    shoot(page, "records-01-exporte")
    assert_accessible(page, axe, "Exporte")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile(r"^PDF \(")).click()
    data = open(download.value.path(), "rb").read()  # noqa: SIM115
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        texts = [p.extract_text() or "" for p in pdf.pages]
    assert "Sozialgericht Gotha" in texts[0]
    assert all(re.search(rf"\bBlatt {n}\b", t) for n, t in enumerate(texts, start=1))


def test_a_tenant_admin_offers_a_closed_akte_to_the_archive(office, page, axe, tmp_path):  # noqa: F811
    server, names = office
    base = server.url
    _login(page, base, names["admin"])
    page.goto(f"{base}/app")
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role(
        "link", name="Aussonderung"
    ).click()
    expect(page.get_by_role("heading", name="Aussonderung an das Archiv")).to_be_visible()
    assert_accessible(page, axe, "Aussonderung")
    page.get_by_label("Archiv").fill("Landesarchiv Thüringen")
    page.get_by_label(re.compile("^Aktenzeichen")).fill("AZ-2010-000001")
    page.get_by_role("button", name="Anbieten").click()
    expect(page.get_by_role("status").first).to_contain_text("dem Archiv angeboten")
    expect(page.get_by_role("cell", name="AZ-2010-000001")).to_be_visible()
    expect(page.get_by_role("cell", name="angeboten", exact=True)).to_be_visible()
    process_id = page.locator("code").first.inner_text().strip()
    answer = tmp_path / f"{process_id}_Aussonderung.Bewertungsverzeichnis.0502.xml"
    answer.write_bytes(evaluation_0502("3.0.0", process_id, [(names["old"], "V")]))
    page.get_by_label("Datei").set_input_files(str(answer))
    page.get_by_role("button", name="Einlesen").click()
    expect(page.get_by_role("status").first).to_contain_text("Nachricht des Archivs eingelesen")
    expect(page.get_by_role("cell", name="zu vernichten (V)")).to_be_visible()
    shoot(page, "records-02-aussonderung")
    assert_accessible(page, axe, "Aussonderung detail")
    # a wrong file is explained in German, nothing recorded
    wrong = tmp_path / "falsch.xml"
    wrong.write_bytes(b"<kein-xdomea/>")
    page.get_by_label("Datei").set_input_files(str(wrong))
    page.get_by_role("button", name="Einlesen").click()
    expect(page.locator("main")).to_contain_text("xdomea")
