"""Keeping the index in step with the database: single documents, rebuilds, checks.

The database is the source of truth; every function here reads it and makes the index
agree. All of them are idempotent (a job that runs twice writes the same state).

While ``akte search reindex`` builds new generations, index jobs still write the live
generation *and* note the document ids in ``index_dir/rebuild.journal``; after each swap
the rebuild replays the journal, so no change made during a long rebuild is lost.
"""

from __future__ import annotations

import fcntl
import multiprocessing
import os
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from akte.core.context import AppContext
from akte.core.database import make_engine, make_session_factory, session_scope
from akte.core.errors import Conflict
from search import loader
from search.backend import IndexDoc
from search.whoosh_backend import WhooshBackend

Progress = Callable[[str, int], None]
#: A parallel rebuild reports every this many seconds (and whenever a tenant is done).
PROGRESS_SECONDS = 10.0
PROGRESS_EVERY = 1000
#: A tenant of at least twice this many documents is rebuilt in parts by several
#: processes, each part at least this large: below it, a process's start (imports, word
#: list) costs more than the second core saves. The same holds for the whole index:
#: tenants are rebuilt in processes of their own only when they hold at least twice this
#: many documents together, and one after the other in this process below that.
PART_MIN_DOCS = 5000
#: A tenant and its parts (``None``: the whole tenant) as ``akte search reindex`` writes them.
Plan = tuple[uuid.UUID, list[list[loader.Piece] | None]]


def _noop(_msg: str, _n: int) -> None:
    return None


class IndexService:
    """The per-process index service (``ctx.extensions["search"]``)."""

    def __init__(self, root: Path, cache_size: int = 512) -> None:
        self.backend = WhooshBackend(root, cache_size=cache_size)
        self.root = Path(root)

    @property
    def _marker(self) -> Path:
        return self.root / "REBUILDING"

    @property
    def _journal(self) -> Path:
        return self.root / "rebuild.journal"

    def bootstrap(self, ctx: AppContext) -> None:
        """A new installation starts with an empty, healthy index; a *lost* index (the
        folder is gone but the database has ready documents) stays degraded until
        ``akte search reindex``, rather than silently answering with nothing."""
        self._recover_crashed_rebuild()
        if self.backend.outdated():
            self._queue_rebuild(ctx)
            return
        if self.backend.healthy() or (self.root / "tenants").exists():
            return
        with session_scope(ctx.session_factory) as session:
            if not loader.any_ready(session):
                self.backend.mark_healthy()

    def _queue_rebuild(self, ctx: AppContext) -> None:
        """An index written by an earlier akte version (another ``FORMAT``) is rebuilt by
        a ``search.reindex`` job; search answers 503 until it has run. Every process
        starting sees the old format, so the job is queued only if none is waiting."""
        from akte.jobs import repository as jobs
        from akte.jobs.models import Job

        with session_scope(ctx.session_factory) as session:
            waiting = session.scalar(
                select(Job.id)
                .where(Job.kind == "search.reindex", Job.status.in_(("queued", "running")))
                .limit(1)
            )
            if waiting is None:
                jobs.enqueue(session, "search.reindex", {"reason": "index format changed"})

    def _recover_crashed_rebuild(self) -> None:
        """A rebuild that died left its marker: the live generations are intact (each swap
        is atomic) and every journalled change was also written to them, so the marker
        and journal are simply dropped; otherwise jobs would journal forever."""
        try:
            pid = int(self._marker.read_text().strip() or 0)
        except (FileNotFoundError, ValueError):
            return
        if pid and _alive(pid):
            return
        self._marker.unlink(missing_ok=True)
        self._journal.unlink(missing_ok=True)

    def close(self) -> None:
        self.backend.close()

    # -- incremental ---------------------------------------------------------------------
    def _note(self, ids: Iterable[uuid.UUID]) -> None:
        if self._marker.exists():
            with open(self._journal, "a") as journal:
                journal.write("".join(f"{i}\n" for i in ids))

    def index_documents(self, ctx: AppContext, doc_ids: list[uuid.UUID]) -> int:
        """(Re-)indexes ready documents and removes the others among ``doc_ids``."""
        self._note(doc_ids)
        with session_scope(ctx.session_factory) as session:
            docs = loader.load(session, doc_ids)
        if not self.backend.healthy():
            return 0  # degraded: the rebuild that restores the index reads the database
        written = self.backend.upsert(docs)
        gone = set(doc_ids) - {d.doc_id for d in docs}
        if gone:
            self.backend.delete(gone)
        return written

    def index_case_file(self, ctx: AppContext, case_file_id: uuid.UUID) -> int:
        with session_scope(ctx.session_factory) as session:
            ids = loader.document_ids_of_case_file(session, case_file_id)
        total = 0
        for start in range(0, len(ids), loader.BATCH):
            total += self.index_documents(ctx, ids[start : start + loader.BATCH])
        return total

    def remove_documents(self, doc_ids: list[uuid.UUID]) -> int:
        self._note(doc_ids)
        if not self.backend.healthy():
            return 0
        return self.backend.delete(doc_ids)

    # -- whole index ---------------------------------------------------------------------
    def reindex(self, ctx: AppContext, progress: Progress = _noop) -> int:
        """Rebuilds every tenant's index from the database; search keeps working.

        One rebuild at a time per index folder (``Conflict`` otherwise)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / "rebuild.lock", "a+") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise Conflict("another 'akte search reindex' is running") from None
            return self._reindex(ctx, progress)

    def _reindex(self, ctx: AppContext, progress: Progress) -> int:
        self._marker.write_text(str(os.getpid()))
        try:
            with session_scope(ctx.session_factory) as session:
                tenants = loader.tenant_ids(session)
            workers = ctx.settings.search_reindex_workers or os.cpu_count() or 1
            plan = self._plan(ctx, tenants, workers) if workers > 1 and not _is_sqlite(ctx) else []
            if sum(len(parts) for _tenant, parts in plan) > 1:
                total = self._rebuild_in_processes(ctx, plan, workers, progress)
            else:
                total = self._rebuild_here(ctx, tenants, progress)
            for stale in set(self.backend.tenants()) - set(tenants):
                self.backend.drop_tenant(stale)
            self.backend.mark_healthy()
            self._replay(ctx)
        finally:
            self._marker.unlink(missing_ok=True)
        self._replay(ctx)
        return total

    def _rebuild_here(self, ctx: AppContext, tenants: list[uuid.UUID], progress: Progress) -> int:
        total = 0
        for tenant_id in tenants:

            def counted(tenant_id: uuid.UUID = tenant_id, base: int = total):  # type: ignore[no-untyped-def]
                for n, doc in enumerate(loader.stream(ctx.session_factory, tenant_id), 1):
                    if n % 1000 == 0:
                        progress(f"tenant {tenant_id}", base + n)
                    yield doc

            total += self.backend.rebuild(tenant_id, counted())
            progress(f"tenant {tenant_id} done", total)
        return total

    def _plan(self, ctx: AppContext, tenants: list[uuid.UUID], workers: int) -> list[Plan]:
        """Each tenant's parts, largest tenants first (so the last process to finish is
        not the only one busy). A tenant of at least ``2 × PART_MIN_DOCS`` documents is
        cut into up to ``workers`` parts (:func:`loader.split`), each written as one
        segment by a process of its own: one large tenant then uses every core.

        No plan (a rebuild in this process) when all tenants together hold fewer than
        ``2 × PART_MIN_DOCS`` documents: each process of the pool imports akte and loads
        the word lists before its first document (about a CPU-second), more than two
        small tenants side by side save."""
        with session_scope(ctx.session_factory) as session:
            sizes = loader.tenant_sizes(session)
            if sum(sizes.get(tenant_id, 0) for tenant_id in tenants) < 2 * PART_MIN_DOCS:
                return []
            plan: list[Plan] = []
            for tenant_id in sorted(tenants, key=lambda t: -sizes.get(t, 0)):
                k = min(workers, sizes.get(tenant_id, 0) // PART_MIN_DOCS)
                parts = loader.split(session, tenant_id, k) if k > 1 else [None]
                plan.append((tenant_id, parts))
        return plan

    def _rebuild_in_processes(
        self, ctx: AppContext, plan: list[Plan], workers: int, progress: Progress
    ) -> int:
        """Tenants are independent indexes, and a large tenant's parts are consecutive
        segments of one: every part is written side by side, one process per core
        (analysis is pure Python: threads would share one core under the GIL). A tenant's
        new generation is committed, its segments in the parts' order, and swapped in
        as soon as its last part is written."""
        tasks = [(t, i, part) for t, parts in plan for i, part in enumerate(parts)]
        generations = {t: self.backend.new_generation(t) for t, _parts in plan}
        segments: dict[uuid.UUID, list[object | None]] = {t: [None] * len(p) for t, p in plan}
        waiting = {t: len(parts) for t, parts in plan}
        total = 0
        spawn = multiprocessing.get_context("spawn")  # no inherited connections or locks
        streamed = spawn.Value("q", 0)  # documents handed to Whoosh, across the processes
        url = ctx.settings.effective_database_url
        try:
            with ProcessPoolExecutor(
                min(workers, len(tasks)),
                mp_context=spawn,
                initializer=_count_into,
                initargs=(streamed,),
            ) as pool:
                futures = {
                    pool.submit(_write_part, str(self.root), url, t, generations[t], part): (t, i)
                    for t, i, part in tasks
                }
                pending = set(futures)
                while pending:
                    done, pending = wait(
                        pending, timeout=PROGRESS_SECONDS, return_when=FIRST_COMPLETED
                    )
                    for future in done:
                        tenant_id, i = futures[future]
                        segments[tenant_id][i], count = future.result()
                        total += count
                        waiting[tenant_id] -= 1
                        if not waiting[tenant_id]:
                            self.backend.swap_in(
                                tenant_id, generations.pop(tenant_id), segments[tenant_id]
                            )
                            progress(f"tenant {tenant_id} done", streamed.value)
                    if not done:
                        progress(f"{len(pending)} parts to go", streamed.value)
        finally:
            for tenant_id, generation in generations.items():  # not swapped in: failed
                self.backend.abandon_generation(tenant_id, generation)
        return total

    def _replay(self, ctx: AppContext) -> None:
        try:
            lines = self._journal.read_text().split()
        except FileNotFoundError:
            return
        tmp = self._journal.with_suffix(".replaying")
        os.replace(self._journal, tmp)
        ids = sorted({uuid.UUID(line) for line in lines if line})
        for start in range(0, len(ids), loader.BATCH):
            self.index_documents(ctx, ids[start : start + loader.BATCH])
        tmp.unlink(missing_ok=True)

    def check(
        self, ctx: AppContext, *, repair: bool = False, progress: Progress = _noop
    ) -> CheckReport:
        """Compares the index with the database: missing, stale and orphaned documents."""
        report = CheckReport()
        with session_scope(ctx.session_factory) as session:
            tenants = loader.tenant_ids(session)
        for tenant_id in sorted(set(tenants) | set(self.backend.tenants())):
            indexed = self.backend.stamps(tenant_id)
            for doc_id, stamp in loader.stream_stamps(ctx.session_factory, tenant_id):
                have = indexed.pop(doc_id, None)
                if have is None:
                    report.missing.append(doc_id)
                elif have != stamp:
                    report.stale.append(doc_id)
                report.checked += 1
            report.orphaned.extend(indexed)
            progress(f"tenant {tenant_id}", report.checked)
        if repair:
            todo = report.missing + report.stale
            for start in range(0, len(todo), loader.BATCH):
                self.index_documents(ctx, todo[start : start + loader.BATCH])
            if report.orphaned:
                self.backend.delete(report.orphaned)
            report.repaired = True
        return report


@dataclass
class CheckReport:
    checked: int = 0
    missing: list[uuid.UUID] = field(default_factory=list)
    stale: list[uuid.UUID] = field(default_factory=list)
    orphaned: list[uuid.UUID] = field(default_factory=list)
    repaired: bool = False

    @property
    def clean(self) -> bool:
        return not (self.missing or self.stale or self.orphaned)


def _is_sqlite(ctx: AppContext) -> bool:
    return ctx.engine.dialect.name == "sqlite"


_streamed: Any = None


def _count_into(counter: Any) -> None:
    """Worker-process initializer: where :func:`_write_part` reports progress."""
    global _streamed
    _streamed = counter


def _write_part(
    root: str,
    database_url: str,
    tenant_id: uuid.UUID,
    generation: str,
    part: list[loader.Piece] | None,
) -> tuple[object | None, int]:
    """One part of a tenant's new generation (``None``: all of it), written as one
    segment in a worker process of :meth:`IndexService._rebuild_in_processes`."""
    engine = make_engine(
        database_url, pool_size=1, max_overflow=0, connect_args=loader.REBUILD_CONNECT_ARGS
    )

    def counted(docs: Iterator[IndexDoc]) -> Iterator[IndexDoc]:
        unreported = 0
        for doc in docs:
            unreported += 1
            if unreported == PROGRESS_EVERY and _streamed is not None:
                with _streamed.get_lock():
                    _streamed.value += unreported
                unreported = 0
            yield doc
        if _streamed is not None:
            with _streamed.get_lock():
                _streamed.value += unreported

    try:
        backend = WhooshBackend(Path(root), cache_size=0)
        stream = loader.stream(make_session_factory(engine), tenant_id, part=part)
        return backend.write_part(tenant_id, generation, counted(stream))
    finally:
        engine.dispose()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def get(ctx: AppContext) -> IndexService:
    """The context's index service, attached on first use if ``startup`` did not run."""
    service = ctx.extensions.get("search")
    if service is None:
        service = make_service(ctx)
        ctx.extensions["search"] = service
    return service


def make_service(ctx: AppContext) -> IndexService:
    """The index service of the configured engine (``AKTE_SEARCH_BACKEND``)."""
    if ctx.settings.search_backend == "postgres":
        from search.pg.service import PostgresIndexService

        return PostgresIndexService(ctx)
    return IndexService(ctx.settings.index_dir, ctx.settings.search_cache_size)
