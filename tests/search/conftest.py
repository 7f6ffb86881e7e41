"""Fixtures for search tests: one suite, two engines; documents made ``ready``.

Every test that takes ``sctx`` (or builds a context with :func:`search_context` and
``search_engine``) runs once per engine: ``whoosh`` on both database pairs, ``postgres``
on the PostgreSQL pair only (it is refused on SQLite). The session-wide ``ctx`` keeps one
index folder; Whoosh tests get a copy of the context whose index lives under
``tmp_path``. PostgreSQL tests share the session database's ``search_documents`` table;
each test builds its own tenants, so scopes keep them apart. Jobs run with
:func:`akte.jobs.worker.run_until_idle` on that copy, so the handlers write into the
test's own index.

Where the engines differ by design, :data:`DIFFERENCES` says so, and only there.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy.orm import Session

from akte.app import create_app
from akte.case_files.models import CaseFile
from akte.core.context import AppContext
from akte.documents import events
from akte.documents.models import Document, DocumentPage, DocumentVersion
from search.indexing import IndexService
from tests.client import TestClient

ENGINES = ("whoosh", "postgres")

#: What one engine does differently from the other, on purpose (engine → feature → why).
DIFFERENCES: dict[str, dict[str, str]] = {
    "postgres": {
        "result_cache": "no per-process result cache: another host may have written",
        "bounded_counts": "above 1,000 matches the total says 'more than' "
        "(total_is_estimate) and facets count those first matches; above 500 a relevance "
        "page is ranked from the newest title/name matches and the newest matches",
        "statement_timeout": "a search statement running past "
        "AKTE_SEARCH_STATEMENT_TIMEOUT_MS is stopped: 503 search_timeout",
        "long_phrases": "word positions end at 16,383 (PostgreSQL's limit; about 120 KB of "
        "text): later words are found, phrases there not",
    },
    "whoosh": {
        "several_hosts": "one host owns the index folder; other hosts are refused in "
        "production (search.placement)",
    },
}


def differs(engine: str, feature: str) -> bool:
    return feature in DIFFERENCES.get(engine, {})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``postgres`` on the SQLite pair is not a configuration akte runs: not collected.
    Tests marked ``whoosh_engine`` are about the Whoosh engine's own files (index folder,
    format file, rebuild marker and journal); they run on the ``whoosh`` engine only."""
    keep, drop = [], []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        engine = params.get("search_engine")
        if (engine == "postgres" and params.get("ctx") == "embedded") or (
            engine == "postgres" and item.get_closest_marker("whoosh_engine")
        ):
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(scope="session", params=ENGINES)
def search_engine(request: pytest.FixtureRequest) -> str:
    return request.param


def search_context(ctx: AppContext, index_dir, engine: str = "whoosh") -> AppContext:  # type: ignore[no-untyped-def]
    """A copy of ``ctx`` whose search service is a fresh one of ``engine``."""
    if engine == "postgres":
        from search.pg.service import PostgresIndexService

        settings = ctx.settings.model_copy(update={"search_backend": "postgres"})
        base = AppContext(
            settings=settings,
            engine=ctx.engine,
            session_factory=ctx.session_factory,
            storage=ctx.storage,
        )
        service = PostgresIndexService(base)
    else:
        settings = ctx.settings
        service = IndexService(index_dir)
        service.backend.mark_healthy()
    return AppContext(
        settings=settings,
        engine=ctx.engine,
        session_factory=ctx.session_factory,
        storage=ctx.storage,
        # other features' per-process services stay: jobs of other tests that
        # run_until_idle picks up on this context must find what they need
        extensions={**ctx.extensions, "search": service},
    )


@pytest.fixture
def sctx(ctx: AppContext, search_engine: str, tmp_path) -> Iterator[AppContext]:  # type: ignore[no-untyped-def]
    context = search_context(ctx, tmp_path / "index", search_engine)
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
    document = Document(
        tenant_id=case_file.tenant_id,
        case_file_id=case_file.id,
        title=title,
        doc_type=doc_type,
        source=source,
        document_date=document_date,
        status=status,
        current_version=1,
    )
    session.add(document)
    session.flush()
    digest = hashlib.sha256(uuid.uuid4().bytes).hexdigest()
    version = DocumentVersion(
        document_id=document.id,
        version_no=1,
        filename="scan.pdf",
        mime_type="application/pdf",
        size=1000,
        sha256=digest,
        page_count=len(pages),
    )
    session.add(version)
    session.flush()
    for number, text in enumerate(pages, 1):
        session.add(DocumentPage(version_id=version.id, page_no=number, text=text, method="ocr"))
    session.flush()
    if status == "ready":
        events.document_changed(session, document.id)
    return document
