"""Page texts carry a digest: altered text is never served as if right, fsck repairs it.

The text is altered the way a damaged database file or a bad restore would: by an UPDATE
that bypasses akte (no ORM, so no new digest is written).
"""

from __future__ import annotations

import uuid

from sqlalchemy import select, update

from akte.core.database import session_scope
from akte.documents.models import DocumentPage, DocumentVersion, page_digest
from akte.jobs.models import Job
from tests.ingest.conftest import process
from tests.trust.helpers import fsck, text_pdf, upload

ALTERED = "Zahlbetrag 99999 Euro an Konto DE00 fremd"


def _alter_first_page(ctx, document_id: str) -> str:
    with session_scope(ctx.session_factory) as session:
        version_id = session.scalar(
            select(DocumentVersion.id).where(DocumentVersion.document_id == uuid.UUID(document_id))
        )
        page = session.get(DocumentPage, (version_id, 1))
        original = page.text
        session.execute(
            update(DocumentPage.__table__)
            .where(
                DocumentPage.__table__.c.version_id == version_id,
                DocumentPage.__table__.c.page_no == 1,
            )
            .values(text=ALTERED)
        )
    return original


def _queued_processing(ctx, document_id: str) -> int:
    with session_scope(ctx.session_factory) as session:
        return sum(
            1
            for job in session.scalars(
                select(Job).where(Job.kind == "ingest.process_document", Job.status == "queued")
            )
            if job.payload.get("document_id") == document_id
        )


def test_processing_writes_page_digests(ctx, client, world):
    word = f"Pruefwort{uuid.uuid4().hex[:8]}"
    doc = upload(client, world, text_pdf(f"Bescheid {word} vom Jobcenter"))
    process(ctx)
    with session_scope(ctx.session_factory) as session:
        [page] = session.scalars(
            select(DocumentPage)
            .join(DocumentVersion)
            .where(DocumentVersion.document_id == uuid.UUID(doc["id"]))
        ).all()
        assert page.text_digest == page_digest(page.version_id, 1, page.text)
        assert word in page.text


def test_altered_page_text_is_not_served_and_fsck_reprocesses_it(ctx, client, world):
    word = f"Kontrollwort{uuid.uuid4().hex[:8]}"
    doc = upload(client, world, text_pdf(f"Leistungsbescheid {word} Regelbedarf"))
    process(ctx)
    headers = world.headers["caseworker_a1"]
    original = _alter_first_page(ctx, doc["id"])

    [page] = client.get(f"/api/v1/documents/{doc['id']}/pages", headers=headers).json()
    assert page["damaged"] is True and page["text"] == ""
    assert "99999" not in str(page)

    hits = client.get("/api/v1/search", params={"q": word}, headers=headers)
    assert hits.status_code == 200, hits.text  # found by its indexed words, but the
    snippets = [
        h.get("snippet") or ""
        for h in hits.json()["hits"]  # altered text is
        if h["document_id"] == doc["id"]
    ]  # never quoted
    assert snippets and all("99999" not in s for s in snippets)

    report = fsck(ctx, check_index=False, sample=0)
    assert doc["id"] in {d.document_id for d in report.damaged_texts} and not report.clean
    repaired = fsck(ctx, repair=True, check_index=False, sample=0)
    assert any(doc["id"] in line for line in repaired.repaired)
    fsck(ctx, repair=True, check_index=False, sample=0)
    assert _queued_processing(ctx, doc["id"]) == 1  # a second repair does not queue again

    process(ctx)
    [page] = client.get(f"/api/v1/documents/{doc['id']}/pages", headers=headers).json()
    assert page["damaged"] is False and page["text"] == original
    after = fsck(ctx, check_index=False, sample=0)
    assert doc["id"] not in {d.document_id for d in after.damaged_texts}
