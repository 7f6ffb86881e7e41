"""Keeping ``search_documents`` in step with the documents (``AKTE_SEARCH_BACKEND=postgres``).

The same operations as :class:`search.indexing.IndexService` (index jobs, rebuild, check),
without anything on the local disk: an index job reads the document and upserts its row
in one transaction, a deleted document takes its row along (``ON DELETE CASCADE``), and
one rebuild at a time is ensured by a PostgreSQL advisory lock, so it holds across hosts.
No journal is needed during a rebuild: index jobs write rows the rebuild keeps (see
:meth:`search.pg.backend.PostgresBackend.rebuild`).
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import uuid
from concurrent.futures import ProcessPoolExecutor, as_completed

from sqlalchemy import func, select, text

from akte.case_files.models import CaseFile
from akte.core.context import AppContext
from akte.core.database import make_engine, make_session_factory, session_scope
from akte.core.errors import Conflict
from akte.documents.models import Document, DocumentStatus
from search import loader
from search.indexing import IndexService, Progress, _noop
from search.pg.backend import PostgresBackend

#: ``pg_try_advisory_lock`` key of ``akte search reindex`` ("akte-search" as a number).
REBUILD_LOCK = 0x616B7465_73726368


class PostgresIndexService(IndexService):
    def __init__(self, ctx: AppContext) -> None:
        url = ctx.settings.search_database_url
        read_engine = make_engine(url) if url else None
        self.backend = PostgresBackend(  # type: ignore[assignment]
            ctx.engine, read_engine, timeout_ms=ctx.settings.search_statement_timeout_ms
        )
        self.root = ctx.settings.index_dir

    def bootstrap(self, ctx: AppContext) -> None:
        """Nothing to prepare: the migration made the table."""

    def index_documents(self, ctx: AppContext, doc_ids: list[uuid.UUID]) -> int:
        """Reads the documents and writes their rows in one transaction; documents that
        are not ``ready`` (or gone) lose theirs."""
        with session_scope(ctx.session_factory) as session:
            docs = loader.load(session, doc_ids)
            conn = session.connection()
            written = self.backend.upsert(docs, conn)  # type: ignore[call-arg]
            gone = set(doc_ids) - {d.doc_id for d in docs}
            if gone:
                self.backend.delete(gone, conn)  # type: ignore[call-arg]
        return written

    def remove_documents(self, doc_ids: list[uuid.UUID]) -> int:
        return self.backend.delete(doc_ids)

    def reindex(self, ctx: AppContext, progress: Progress = _noop) -> int:
        """Rewrites every row from the database, then drops the rows no document wrote
        (older than the rebuild's start); search keeps answering throughout.

        The work is split by (tenant, org unit) over ``AKTE_SEARCH_REINDEX_WORKERS``
        processes (default: one per core): analysis is pure Python, and one large tenant
        must not be built by a single process."""
        with ctx.engine.connect() as lock:
            if not lock.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": REBUILD_LOCK}):
                raise Conflict("another 'akte search reindex' is running")
            try:
                started = lock.scalar(text("SELECT clock_timestamp()"))
                with session_scope(ctx.session_factory) as session:
                    parts = [
                        tuple(row)
                        for row in session.execute(
                            select(Document.tenant_id, CaseFile.org_unit_id, func.count())
                            .join(CaseFile, CaseFile.id == Document.case_file_id)
                            .where(Document.status == DocumentStatus.ready)
                            .group_by(Document.tenant_id, CaseFile.org_unit_id)
                            .order_by(func.count().desc())
                        )
                    ]
                    if loader.CaseNote is not None:  # units with notes but no document
                        have = {(t, u) for t, u, _n in parts}
                        parts += [
                            (t, u, 0)
                            for t, u in session.execute(
                                select(loader.CaseNote.tenant_id, CaseFile.org_unit_id)
                                .join(CaseFile, CaseFile.id == loader.CaseNote.case_file_id)
                                .distinct()
                            )
                            if (t, u) not in have
                        ]
                workers = ctx.settings.search_reindex_workers or os.cpu_count() or 1
                total = 0
                url = ctx.settings.effective_database_url
                with ProcessPoolExecutor(
                    max_workers=min(workers, max(len(parts), 1)),
                    mp_context=multiprocessing.get_context("spawn"),
                ) as pool:
                    futures = [pool.submit(_rebuild_part, url, t, u) for t, u, _n in parts]
                    for future in as_completed(futures):
                        total += future.result()
                        progress(f"{len(parts)} parts", total)
                with ctx.engine.begin() as conn:
                    conn.execute(
                        text("DELETE FROM search_documents WHERE indexed_at < :s"), {"s": started}
                    )
                # The planner's row estimates must see the rebuilt table at once: a rebuild
                # into an empty or much smaller table left it planning with the old
                # statistics until autovacuum got round to it, and at 1,000,000 rows that
                # chose a row-by-row test of every row of the caller's scope (Miete in one
                # org unit: 337 ms, after ANALYZE 11 ms).
                with ctx.engine.connect() as conn:
                    conn.execute(text("ANALYZE search_documents"))
                    conn.commit()
                return total
            finally:
                lock.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": REBUILD_LOCK})
                lock.commit()

    def close(self) -> None:
        self.backend.close()


def _rebuild_part(database_url: str, tenant_id: uuid.UUID, org_unit_id: uuid.UUID) -> int:
    """The rows of one org unit of one tenant (documents, then Aktenvermerke), written in a worker process of
    :meth:`PostgresIndexService.reindex` (streamed in keyset batches, bounded memory)."""
    engine = make_engine(database_url, pool_size=1, max_overflow=0)
    try:
        backend = PostgresBackend(engine, rebuild=True)
        factory = make_session_factory(engine)
        stmt = loader._base().where(
            Document.tenant_id == tenant_id, CaseFile.org_unit_id == org_unit_id
        )
        docs = loader._in_batches(factory, stmt, loader.BATCH, loader._to_docs)
        if loader.CaseNote is not None:
            notes = loader._note_base().where(
                loader.CaseNote.tenant_id == tenant_id, CaseFile.org_unit_id == org_unit_id
            )
            docs = itertools.chain(
                docs,
                loader._in_batches(
                    factory, notes, loader.BATCH, loader._notes_to_docs, key=loader.CaseNote.id
                ),
            )
        count = 0
        batch = []
        for doc in docs:
            batch.append(doc)
            if len(batch) >= 1000:
                count += backend.upsert(batch)
                batch = []
        return count + backend.upsert(batch)
    finally:
        engine.dispose()
