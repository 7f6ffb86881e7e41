"""Keeping ``search_documents`` in step with the documents (``AKTE_SEARCH_BACKEND=postgres``).

The same operations as :class:`search.indexing.IndexService` (index jobs, rebuild, check),
without anything on the local disk: an index job reads the document and upserts its row
in one transaction, a deleted document takes its row along (``ON DELETE CASCADE``), and
one rebuild at a time is ensured by a PostgreSQL advisory lock, so it holds across hosts.
No journal is needed during a rebuild: index jobs write the live table, and the swap
carries their rows over (see :mod:`search.pg.rebuild`).
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, cast

import psycopg
from sqlalchemy import func, select, text

from akte.case_files.models import CaseFile
from akte.core.context import AppContext
from akte.core.database import make_engine, make_session_factory, session_scope
from akte.core.errors import Conflict
from akte.documents.models import Document, DocumentStatus
from search import loader, warm
from search.backend import IndexDoc
from search.indexing import IndexService, Progress, _noop
from search.pg import rebuild
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
        """Builds every row again from the database into a fresh table and swaps it in
        (:mod:`search.pg.rebuild`); search keeps answering from the old table
        throughout, and what index jobs write meanwhile is carried over.

        The work is split by (tenant, org unit) over ``AKTE_SEARCH_REINDEX_WORKERS``
        processes (default: one per core): analysis is pure Python, and one large tenant
        must not be built by a single process."""
        with ctx.engine.connect() as lock:
            if not lock.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": REBUILD_LOCK}):
                raise Conflict("another 'akte search reindex' is running")
            try:
                with ctx.engine.begin() as conn:
                    rebuild.prepare(conn)
                try:
                    total = self._fill(ctx, progress)
                    workers = ctx.settings.search_reindex_workers or os.cpu_count() or 1
                    progress("building the indexes", total)
                    rebuild.build_indexes(ctx.engine, min(workers, 2))
                    progress("swapping the new table in", total)
                    rebuild.swap(ctx.engine, self._started, before_swap=self.before_swap)
                except BaseException:
                    rebuild.discard(ctx.engine)
                    raise
                return total
            finally:
                lock.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": REBUILD_LOCK})
                lock.commit()

    #: Called after the new table is built, before the swap (tests slip changes in here).
    before_swap: Callable[[], None] | None = None

    def _fill(self, ctx: AppContext, progress: Progress) -> int:
        """Every part's rows into the new table, in worker processes; the rebuild's
        start (what index jobs write from then on is carried over by the swap)."""
        with ctx.engine.connect() as conn:
            self._started = conn.scalar(text("SELECT clock_timestamp()"))
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
        # the word list and hyphenation patterns, built here once into the cache folder if
        # it is empty (a new container: seconds of CPU) so the workers read the file
        # instead of each building them
        warm.load_analysis()
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
        return total

    def close(self) -> None:
        self.backend.close()


def _rebuild_part(database_url: str, tenant_id: uuid.UUID, org_unit_id: uuid.UUID) -> int:
    """The rows of one org unit of one tenant (documents, then Aktenvermerke) into the
    rebuild's table (:mod:`search.pg.rebuild`), in a worker process of
    :meth:`PostgresIndexService.reindex` (streamed in keyset batches, bounded memory)."""
    # two connections: the rows' (raw, autocommit) and the notes' session
    engine = make_engine(
        database_url, pool_size=2, max_overflow=0, connect_args=loader.REBUILD_CONNECT_ARGS
    )
    try:
        with engine.connect() as conn:
            raw = cast(psycopg.Connection[Any], conn.connection.driver_connection)
            raw.autocommit = True
            docs: Iterator[IndexDoc] = rebuild.load_documents(raw, tenant_id, org_unit_id)
            if loader.CaseNote is not None:
                notes = loader._note_base().where(
                    loader.CaseNote.tenant_id == tenant_id, CaseFile.org_unit_id == org_unit_id
                )
                docs = itertools.chain(
                    docs,
                    loader._in_batches(
                        make_session_factory(engine),
                        notes,
                        loader.BATCH,
                        loader._notes_to_docs,
                        key=loader.CaseNote.id,
                    ),
                )
            writer = rebuild.Writer(raw)
            count = 0
            while batch := list(itertools.islice(docs, rebuild.LOAD_BATCH)):
                count += writer.write(batch)
            raw.autocommit = False
            return count
    finally:
        engine.dispose()
