"""Keeping ``search_documents`` in step with the documents (``AKTE_SEARCH_BACKEND=postgres``).

The same operations as :class:`search.indexing.IndexService` (index jobs, rebuild, check),
without anything on the local disk: an index job reads the document and upserts its row
in one transaction, a deleted document takes its row along (``ON DELETE CASCADE``), and
one rebuild at a time is ensured by a PostgreSQL advisory lock, so it holds across hosts.
No journal is needed during a rebuild: index jobs write rows the rebuild keeps (see
:meth:`search.pg.backend.PostgresBackend.rebuild`).
"""

from __future__ import annotations

import uuid

from sqlalchemy import text

from akte.core.context import AppContext
from akte.core.database import make_engine, session_scope
from akte.core.errors import Conflict
from search import loader
from search.indexing import IndexService, Progress, _noop
from search.pg.backend import PostgresBackend

#: ``pg_try_advisory_lock`` key of ``akte search reindex`` ("akte-search" as a number).
REBUILD_LOCK = 0x616B7465_73726368


class PostgresIndexService(IndexService):
    def __init__(self, ctx: AppContext) -> None:
        url = ctx.settings.search_database_url
        read_engine = make_engine(url) if url else None
        self.backend = PostgresBackend(ctx.engine, read_engine)  # type: ignore[assignment]
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
        """Rewrites every tenant's rows from the database; search keeps answering."""
        with ctx.engine.connect() as lock:
            if not lock.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": REBUILD_LOCK}):
                raise Conflict("another 'akte search reindex' is running")
            try:
                with session_scope(ctx.session_factory) as session:
                    tenants = loader.tenant_ids(session)
                total = self._rebuild_here(ctx, tenants, progress)
                for stale in set(self.backend.tenants()) - set(tenants):
                    self.backend.drop_tenant(stale)
                return total
            finally:
                lock.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": REBUILD_LOCK})
                lock.commit()

    def close(self) -> None:
        self.backend.close()
