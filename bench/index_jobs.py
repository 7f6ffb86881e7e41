"""Index jobs through the worker: one commit per document against one per batch.

A bulk import makes many documents ready within seconds, and each queues one
``search.index_document`` job. The worker takes the pending ones together (up to
``search.tasks.INDEX_BATCH``) and writes them in one index write. This bench measures what
that saves on the path a worker takes: ``run_until_idle`` claiming the queued jobs,
loading the documents, analysing and writing them, completing the jobs.

For each round and each batch size (``1``: the baseline, a commit per document as before
the batches; then ``INDEX_BATCH``), a fresh embedded installation (SQLite, local blobs,
Whoosh) gets ``--docs`` ready documents of German text (1–3 pages of ~1 KB, the seeded
corpus of the relevance tests) in one Akte, queued for indexing. Printed: documents per
second, the index's segment count afterwards, and the ratio batched / baseline. The rounds
alternate the two sizes, so a noisy machine hits both alike.

Run: ``python -m bench.index_jobs [--docs 1000] [--rounds 3] [--production]``
(``--production``: PostgreSQL on 127.0.0.1:5432 and the PostgreSQL search engine, each
round in a fresh database).
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from akte.core.context import AppContext
from akte.core.database import session_scope
from akte.core.migrations import upgrade
from akte.core.settings import Settings
from akte.jobs.registry import batch_task
from akte.jobs.worker import run_until_idle
from search import tasks
from tests.builders import make_world
from tests.search.conftest import add_document
from tests.search.corpus import DOC_TYPES, page_texts, person

SECRET = "bench-secret-key-that-is-long-enough-0123456789"


@contextmanager
def installation(production: bool) -> Iterator[AppContext]:
    """A fresh installation: a temporary data folder, and for ``production`` a database
    of its own on the local PostgreSQL server."""
    with tempfile.TemporaryDirectory(prefix="akte-bench-index-") as data_dir:
        env: dict[str, object] = {"data_dir": Path(data_dir), "secret_key": SECRET}
        database = None
        if production:
            import psycopg

            database = f"akte_bench_{uuid.uuid4().hex[:10]}"
            with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres") as admin:
                admin.autocommit = True
                admin.execute(f'CREATE DATABASE "{database}"')
            env["database_url"] = f"postgresql+psycopg://postgres@127.0.0.1:5432/{database}"
            env["search_backend"] = "postgres"
        settings = Settings(**env)  # type: ignore[arg-type]
        upgrade(settings.effective_database_url)
        ctx = AppContext.from_settings(settings)
        try:
            yield ctx
        finally:
            ctx.close()
            if database:
                import psycopg

                with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres") as admin:
                    admin.autocommit = True
                    admin.execute(f'DROP DATABASE "{database}" WITH (FORCE)')


def one_round(docs: int, batch: int, production: bool) -> tuple[float, int]:
    """Documents per second through the worker, and the index's segments afterwards."""
    batch_task("search.index_document", size=batch)(tasks.index_documents)  # this round's size
    with installation(production) as ctx:
        world = make_world(ctx)
        run_until_idle(ctx)  # the world's own jobs
        rng = random.Random(7)
        with session_scope(ctx.session_factory) as session:
            for n in range(docs):
                doc_type = DOC_TYPES[n % len(DOC_TYPES)]
                pages = page_texts(rng, person(rng), doc_type, rng.randint(1, 3), filler=8)
                add_document(
                    session, world.case_a1, title=f"{doc_type} {n}", doc_type=doc_type, pages=pages
                )
        started = time.perf_counter()
        ran = run_until_idle(ctx)
        elapsed = time.perf_counter() - started
        assert ran == docs, (ran, docs)
        return docs / elapsed, segments(ctx, world.tenant_a.id)


def segments(ctx: AppContext, tenant_id: uuid.UUID) -> int:
    backend = ctx.extensions["search"].backend
    if not hasattr(backend, "_searcher"):
        return 0  # the PostgreSQL engine has rows, not segments
    with backend._searcher(tenant_id) as searcher:
        return len(list(searcher.leaf_searchers())) if searcher else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--production", action="store_true")
    args = parser.parse_args()
    batched = tasks.INDEX_BATCH
    rates: dict[int, list[float]] = {1: [], batched: []}
    for n in range(args.rounds):
        for size in (1, batched) if n % 2 == 0 else (batched, 1):
            rate, segs = one_round(args.docs, size, args.production)
            rates[size].append(rate)
            print(f"round {n + 1}, batch {size:>3}: {rate:7.1f} documents/s, {segs} segment(s)")
    base, new = statistics.median(rates[1]), statistics.median(rates[batched])
    engine = "PostgreSQL" if args.production else "Whoosh"
    print(
        f"{engine}, {args.docs} documents: one commit per document {base:.1f}/s, "
        f"batches of {batched} {new:.1f}/s: {new / base:.2f}x (medians of {args.rounds})"
    )


if __name__ == "__main__":
    main()
