"""Where the PostgreSQL engine's indexing spends its time, per document, in one run.

Builds a corpus (``bench.search.build_corpus``: one tenant, ten org units) in a fresh
database, then indexes it in one process, stage by stage, measuring CPU time of this
process (``time.process_time``) and of its PostgreSQL backend (``/proc/PID/stat`` of
``pg_backend_pid()``, the server runs on this machine) — CPU seconds, unlike wall-clock
figures, mean something on a shared machine:

* ``load``: reading documents and page texts (``search.loader``), nothing written;
* ``rows``: :func:`search.pg.rows.to_row` (Python: identifiers, compound parts, the
  ``tsvector`` literal);
* ``write``: the upsert (the batch's old rows deleted, ``COPY`` into ``search_documents``
  with its GIN and btree indexes);
* ``sql-analysis``: the pre-0930 path for comparison (:mod:`bench.pg_sql_baseline`): raw
  texts in, ``akte_search_vector`` in PostgreSQL — its ``rows`` and ``write`` stages.

Then ``akte search reindex`` as a subprocess (wall clock, 2 processes) for the new path and
the baseline's process pool on the same rows. From CPU per document it prints the rate two
idle cores would reach (2 / CPU seconds per document).

Run: ``python -m bench.pg_index --docs 5000 [--reindex]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

TICK = os.sysconf("SC_CLK_TCK")


def backend_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


class Meter:
    """CPU seconds of this process and of one PostgreSQL backend, per stage."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.stages: dict[str, list[float]] = {}

    def __call__(self, name: str):  # type: ignore[no-untyped-def]
        meter = self

        class _Stage:
            def __enter__(self) -> None:
                self.py, self.pg = time.process_time(), backend_cpu(meter.pid)
                self.wall = time.monotonic()

            def __exit__(self, *exc: object) -> None:
                got = meter.stages.setdefault(name, [0.0, 0.0, 0.0])
                got[0] += time.process_time() - self.py
                got[1] += backend_cpu(meter.pid) - self.pg
                got[2] += time.monotonic() - self.wall

        return _Stage()


def profile(url: str, n_docs: int) -> None:
    from sqlalchemy import text

    from akte.core.database import make_engine, make_session_factory
    from akte.documents.models import Document
    from bench import pg_sql_baseline
    from search import loader
    from search.pg.backend import PostgresBackend
    from search.pg.rows import to_row

    engine = make_engine(url, pool_size=1, max_overflow=0)
    factory = make_session_factory(engine)
    backend = PostgresBackend(engine, rebuild=True)  # as akte search reindex writes
    with engine.connect() as conn:
        pid = conn.scalar(text("SELECT pg_backend_pid()"))
    meter = Meter(pid)
    with meter("load"):
        docs = list(loader._in_batches(factory, loader._base(), loader.BATCH, loader._to_docs))
    n = len(docs)
    pg_sql_baseline.to_row(docs[0])  # the compound word list is read once, not measured
    to_row(docs[0])
    for variant in ("sql-analysis", "python-tsvector"):
        with engine.begin() as conn:
            conn.execute(text("TRUNCATE search_documents"))
        with engine.connect() as conn:  # a checkpoint's writes are not the next run's
            conn.execute(text("CHECKPOINT"))
        batch = 1000
        for start in range(0, n, batch):
            chunk = docs[start : start + batch]
            if variant == "sql-analysis":
                with meter(f"{variant}: rows"):
                    rows = [pg_sql_baseline.to_row(d) for d in chunk]
                with meter(f"{variant}: write"), engine.begin() as conn:
                    pg_sql_baseline.copy(conn, rows)
            else:
                words: dict = {}
                with meter(f"{variant}: rows"):
                    rows = [to_row(d, words.setdefault(d.tenant_id, set())) for d in chunk]
                with meter(f"{variant}: write"), engine.begin() as conn:
                    backend._copy(conn, rows, words)
        with engine.connect() as conn:
            size = conn.scalar(text("SELECT pg_total_relation_size('search_documents')"))
        print(f"  {variant}: search_documents {size / 1e6:.1f} MB", flush=True)
    del Document
    print(f"\n{n} documents; CPU ms per document (Python + PostgreSQL backend), wall ms:")
    totals: dict[str, float] = {}
    for name, (py, pg, wall) in meter.stages.items():
        print(
            f"  {name:28s} {1000 * py / n:6.3f} + {1000 * pg / n:6.3f} = "
            f"{1000 * (py + pg) / n:6.3f} ms   (wall {1000 * wall / n:6.3f} ms)"
        )
        variant = name.split(":")[0]
        if ":" in name:
            totals[variant] = totals.get(variant, 0.0) + py + pg
    load = sum(meter.stages["load"][:2])
    for variant, cpu in totals.items():
        per_doc = (cpu + load) / n
        print(
            f"  {variant}: load + rows + write = {1000 * per_doc:.3f} ms CPU/document "
            f"-> {2 / per_doc:,.0f} documents/s on two idle cores"
        )
    base, new = totals["sql-analysis"] + load, totals["python-tsvector"] + load
    print(f"  ratio CPU per document sql-analysis / python-tsvector: {base / new:.2f}")
    engine.dispose()


def reindex(url: str) -> None:
    """``akte search reindex`` (2 processes) and the baseline's reindex, wall clock."""
    akte = str(Path(sys.executable).parent / "akte")
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    results = {}
    for variant in ("sql-analysis", "python-tsvector"):
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("TRUNCATE search_documents")
            conn.execute("CHECKPOINT")
        with tempfile.TemporaryDirectory(prefix="akte-bench-") as tmp:
            env = {
                **os.environ,
                "AKTE_DATA_DIR": tmp,
                "AKTE_DATABASE_URL": url,
                "AKTE_SECRET_KEY": "bench-secret-key-that-is-long-enough-0123456789",
                "AKTE_SEARCH_BACKEND": "postgres",
                "AKTE_SEARCH_REINDEX_WORKERS": "2",
            }
            cmd = (
                [sys.executable, "-m", "bench.pg_sql_baseline", url, "2"]
                if variant == "sql-analysis"
                else [akte, "search", "reindex"]
            )
            start = time.monotonic()
            load0 = os.getloadavg()[0]
            done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
            seconds = time.monotonic() - start
        if done.returncode != 0:
            raise RuntimeError(f"{variant} failed: {done.stdout[-2000:]} {done.stderr[-2000:]}")
        n = int(done.stdout.rsplit("indexed ", 1)[1].split()[0])
        results[variant] = n / seconds
        print(
            f"  reindex {variant}: {n} documents in {seconds:.1f}s = {n / seconds:,.0f} "
            f"docs/s (load {load0:.1f} -> {os.getloadavg()[0]:.1f})",
            flush=True,
        )
    print(
        f"  ratio python-tsvector / sql-analysis: "
        f"{results['python-tsvector'] / results['sql-analysis']:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=5000)
    parser.add_argument(
        "--reindex",
        action="store_true",
        help="also time 'akte search reindex' against the baseline",
    )
    args = parser.parse_args()

    from akte.core.migrations import upgrade
    from bench.search import build_corpus
    from tests.infra.postgres import fresh_database, postgres_server

    print(
        f"PostgreSQL indexing profile: {args.docs} documents, {os.cpu_count()} cores, "
        f"load {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    with postgres_server() as admin, fresh_database(admin) as url:
        upgrade(url)
        t0 = time.monotonic()
        corpus = build_corpus(url, args.docs, tenants=1, units_per_tenant=10)
        print(
            f"  corpus: {corpus.docs} documents, {corpus.pages} pages, "
            f"{corpus.text_bytes / 1e6:.1f} MB text ({time.monotonic() - t0:.0f}s)",
            flush=True,
        )
        profile(url, corpus.docs)
        if args.reindex:
            reindex(url)


if __name__ == "__main__":
    main()
