"""``GET /documents/{id}/archive?pages=3-7``: a few pages of a long PDF as one PDF."""

from __future__ import annotations

import io

from pypdf import PdfReader
from sqlalchemy import select

from akte.audit.models import AuditEntry
from akte.core.database import session_scope
from tests.ingest.samples import text_pdf

PDF = text_pdf([[f"Inhalt der Seite {n}"] for n in range(1, 13)])


def _upload(client, world) -> str:
    answer = client.post(
        f"/api/v1/case-files/{world.case_a1.id}/documents",
        files={"file": ("altakte.pdf", PDF, "application/pdf")},
        headers=world.headers["caseworker_a1"],
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def test_pages_3_to_7_come_as_one_pdf_and_are_audited(client, ctx, world):
    doc_id = _upload(client, world)
    answer = client.get(
        f"/api/v1/documents/{doc_id}/archive",
        params={"pages": "3-7"},
        headers=world.headers["caseworker_a1"],
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    assert "altakte.S3-7.pdf" in answer.headers["content-disposition"]
    reader = PdfReader(io.BytesIO(answer.content))
    texts = [page.extract_text() for page in reader.pages]
    assert len(texts) == 5
    assert "Seite 3" in texts[0] and "Seite 7" in texts[-1]
    with session_scope(ctx.session_factory) as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "document.download_pages")
        ).one()
        assert entry.detail["pages"] == "3-7"


def test_ranges_outside_the_document_or_malformed_are_422(client, world):
    doc_id = _upload(client, world)
    url = f"/api/v1/documents/{doc_id}/archive"
    headers = world.headers["caseworker_a1"]
    for pages in ("12-13", "7-3", "0", "a-b", "3-"):
        answer = client.get(url, params={"pages": pages}, headers=headers)
        assert answer.status_code == 422, pages
    assert client.get(url, params={"pages": "12"}, headers=headers).status_code == 200
    unknown = client.get(url, params={"pages": "1", "seiten": "2"}, headers=headers)
    assert unknown.json()["error"] == "unknown_parameter"


def test_other_units_tenants_and_service_accounts_get_nothing(client, world):
    doc_id = _upload(client, world)
    for who in ("caseworker_a2", "caseworker_b", "caseworker_none", "importer_a", "provider_a"):
        answer = client.get(
            f"/api/v1/documents/{doc_id}/archive", params={"pages": "1"}, headers=world.headers[who]
        )
        assert answer.status_code in (403, 404), who
        assert not answer.content.startswith(b"%PDF")
