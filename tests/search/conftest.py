"""Fixtures for search tests: an index of their own per test, documents made ``ready``.

The session-wide ``ctx`` keeps one index folder; tests here get a copy of the context
whose index service lives under ``tmp_path``, so they never see (or break) each other's
index. Jobs run with :func:`akte.jobs.worker.run_until_idle` on that copy, so the handlers
write into the test's own index.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from akte.app import create_app
from akte.case_files.models import CaseFile
from akte.core.context import AppContext
from akte.documents import events
from akte.documents.models import Document, DocumentPage, DocumentVersion
from search.indexing import IndexService


def search_context(ctx: AppContext, index_dir) -> AppContext:  # type: ignore[no-untyped-def]
    service = IndexService(index_dir)
    service.backend.mark_healthy()
    return AppContext(settings=ctx.settings, engine=ctx.engine,
                      session_factory=ctx.session_factory, storage=ctx.storage,
                      # other features' per-process services stay: jobs of other tests that
                      # run_until_idle picks up on this context must find what they need
                      extensions={**ctx.extensions, "search": service})


@pytest.fixture
def sctx(ctx: AppContext, tmp_path) -> Iterator[AppContext]:  # type: ignore[no-untyped-def]
    context = search_context(ctx, tmp_path / "index")
    yield context
    context.extensions["search"].close()


@pytest.fixture
def sclient(sctx: AppContext) -> Iterator[TestClient]:
    with TestClient(create_app(ctx=sctx, start_worker=False)) as client:
        yield client


def add_document(
    session: Session,
    case_file: CaseFile,
    *,
    pages: list[str],
    title: str = "Dokument",
    doc_type: str | None = None,
    source: str = "scan-import",
    document_date: date | None = None,
    status: str = "ready",
) -> Document:
    """A document as ingest leaves it (pages recognised, status set), queued for indexing."""
    document = Document(tenant_id=case_file.tenant_id, case_file_id=case_file.id, title=title,
                        doc_type=doc_type, source=source, document_date=document_date,
                        status=status, current_version=1)
    session.add(document)
    session.flush()
    digest = hashlib.sha256(uuid.uuid4().bytes).hexdigest()
    version = DocumentVersion(document_id=document.id, version_no=1, filename="scan.pdf",
                              mime_type="application/pdf", size=1000, sha256=digest,
                              page_count=len(pages))
    session.add(version)
    session.flush()
    for number, text in enumerate(pages, 1):
        session.add(DocumentPage(version_id=version.id, page_no=number, text=text, method="ocr"))
    session.flush()
    if status == "ready":
        events.document_changed(session, document.id)
    return document
