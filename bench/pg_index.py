"""Where the PostgreSQL engine's indexing spends its time, per document, in one run.

Builds a corpus (``bench.search.build_corpus``: one tenant, ten org units) in a fresh
database, then indexes it in one process, stage by stage, measuring CPU time of this
process (``time.process_time``) and of its PostgreSQL backend (``/proc/PID/stat`` of
``pg_backend_pid()``, the server runs on this machine) — CPU seconds, unlike wall-clock
figures, mean something on a shared machine:

* ``load``: reading documents and page texts, nothing written — through the ORM
  (``search.loader``, what index jobs use) and through the rebuild's one statement per
  batch (``search.pg.rebuild.load_documents``; the bench checks both give equal documents);
* ``in place`` (how ``akte search reindex`` wrote until 2026-11-30): ``rows``
  (:func:`search.pg.rows.to_row`: identifiers, compound parts, the ``tsvector`` literal)
  and ``write`` (the batch's old rows deleted, ``COPY`` into ``search_documents`` with
  its eleven indexes, triggers and foreign keys);
* ``fresh table`` (``search.pg.rebuild``): rows with ``head`` and ``COPY`` into a table
  without indexes, then ``indexes`` (every index built in bulk, one at a time here) and
  ``swap``;
* ``sql-analysis`` (``--sql-baseline``): the pre-0930 path (:mod:`bench.pg_sql_baseline`):
  raw texts in, ``akte_search_vector`` in PostgreSQL.

Then ``akte search reindex`` as a subprocess (wall clock, 2 processes) for the new path and
the baseline's process pool on the same rows. From CPU per document it prints the rate two
idle cores would reach (2 / CPU seconds per document).

Run: ``python -m bench.pg_index --docs 5000 [--reindex]``. ``--database URL`` instead
times ``akte search reindex`` on a kept corpus (``bench.search --keep NAME --build-only``),
with the CPU seconds of its processes and of the database's backends per document.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
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


def profile(url: str, n_docs: int, sql_baseline: bool = False) -> None:
    from sqlalchemy import text

    from akte.core.database import make_engine, make_session_factory
    from bench import pg_sql_baseline
    from search import loader
    from search.pg import rebuild
    from search.pg.backend import PostgresBackend
    from search.pg.rows import to_row

    engine = make_engine(url, pool_size=1, max_overflow=0)
    factory = make_session_factory(engine)
    backend = PostgresBackend(engine, rebuild=True)  # as akte search reindex wrote in place
    with engine.connect() as conn:
        pid = conn.scalar(text("SELECT pg_backend_pid()"))
        parts = conn.execute(
            text(
                "SELECT d.tenant_id, c.org_unit_id FROM documents d "
                "JOIN case_files c ON c.id = d.case_file_id GROUP BY 1, 2 ORDER BY 1, 2"
            )
        ).all()
    meter = Meter(pid)
    with meter("load: ORM rows (search.loader)"):
        docs = list(loader._in_batches(factory, loader._base(), loader.BATCH, loader._to_docs))
    n = len(docs)
    with engine.connect() as conn:  # the same backend: the pool holds one connection
        raw = conn.connection.driver_connection
        raw.autocommit = True
        with meter("load: one statement (rebuild)"):
            fast = [d for t, u in parts for d in rebuild.load_documents(raw, t, u)]
        raw.autocommit = False
    by_id = {d.doc_id: d for d in fast}
    assert len(fast) == n and all(by_id[d.doc_id] == d for d in docs), "loaders differ"
    del fast, by_id
    pg_sql_baseline.to_row(docs[0])  # the compound word list is read once, not measured
    to_row(docs[0])
    variants = ["sql-analysis"] if sql_baseline else []
    for variant in [*variants, "in place", "fresh table"]:
        with engine.begin() as conn:
            conn.execute(text("TRUNCATE search_documents, search_vocabulary"))
            if variant == "fresh table":
                rebuild.prepare(conn)
        with engine.connect() as conn:  # a checkpoint's writes are not the next run's
            conn.execute(text("CHECKPOINT"))
        batch = 1000
        writer = None
        for start in range(0, n, batch):
            chunk = docs[start : start + batch]
            if variant == "sql-analysis":
                with meter(f"{variant}: rows"):
                    rows = [pg_sql_baseline.to_row(d) for d in chunk]
                with meter(f"{variant}: write"), engine.begin() as conn:
                    pg_sql_baseline.copy(conn, rows)
            elif variant == "in place":
                words: dict = {}
                with meter(f"{variant}: rows"):
                    rows = [to_row(d, words.setdefault(d.tenant_id, set())) for d in chunk]
                with meter(f"{variant}: write"), engine.begin() as conn:
                    backend._copy(conn, rows, words)
            else:
                with engine.connect() as conn:
                    raw = conn.connection.driver_connection
                    raw.autocommit = True
                    writer = writer or rebuild.Writer(raw)
                    writer.raw = raw
                    with meter(f"{variant}: rows + write"):
                        writer.write(chunk)
                    raw.autocommit = False
        if variant == "fresh table":
            with meter(f"{variant}: indexes"):
                rebuild.build_indexes(engine, workers=1)  # the pool's one connection
            with engine.connect() as conn:
                size = conn.scalar(text(f"SELECT pg_total_relation_size('{rebuild.NEXT}')"))
            with meter(f"{variant}: swap"):
                rebuild.swap(engine, datetime.now(UTC))
        else:
            with engine.connect() as conn:
                size = conn.scalar(text("SELECT pg_total_relation_size('search_documents')"))
        print(f"  {variant}: table {size / 1e6:.1f} MB", flush=True)
    print(f"\n{n} documents; CPU ms per document (Python + PostgreSQL backend), wall ms:")
    totals: dict[str, float] = {}
    for name, (py, pg, wall) in meter.stages.items():
        print(
            f"  {name:34s} {1000 * py / n:6.3f} + {1000 * pg / n:6.3f} = "
            f"{1000 * (py + pg) / n:6.3f} ms   (wall {1000 * wall / n:6.3f} ms)"
        )
        variant = name.split(":")[0]
        if not name.startswith("load"):
            totals[variant] = totals.get(variant, 0.0) + py + pg
    loads = {
        "in place": sum(meter.stages["load: ORM rows (search.loader)"][:2]),
        "sql-analysis": sum(meter.stages["load: ORM rows (search.loader)"][:2]),
        "fresh table": sum(meter.stages["load: one statement (rebuild)"][:2]),
    }
    for variant, cpu in totals.items():
        per_doc = (cpu + loads[variant]) / n
        print(
            f"  {variant}: load + rows + write = {1000 * per_doc:.3f} ms CPU/document "
            f"-> {2 / per_doc:,.0f} documents/s on two idle cores"
        )
    base, new = totals["in place"] + loads["in place"], totals["fresh table"] + loads["fresh table"]
    print(f"  ratio CPU per document in place / fresh table: {base / new:.2f}")
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


def _backends(dsn: str, database: str) -> list[int]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        return [
            pid
            for (pid,) in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                [database],
            )
        ]


def _server_helpers() -> dict[int, float]:
    """CPU seconds of the server's own processes (WAL writer, checkpointer, background
    writer): shared by every database of the server, so only a rough figure."""
    found = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmd = (proc / "cmdline").read_bytes().decode(errors="replace")
            if cmd.startswith(("postgres: ", "postgres:")) and any(
                k in cmd for k in ("walwriter", "checkpointer", "background writer")
            ):
                found[int(proc.name)] = backend_cpu(int(proc.name))
        except OSError:
            continue
    return found


def reindex_cpu(url: str, workers: int, runs: int, data_dir: str | None) -> None:
    """``akte search reindex`` on the rows already in the database (a kept corpus), ``runs``
    times: wall clock, CPU seconds of the Python processes (``RUSAGE_CHILDREN``: the
    command and its workers) and of this database's PostgreSQL backends (sampled from
    ``/proc`` every 0.1 s; a backend's last sample counts), per document."""
    import resource
    import threading

    akte = str(Path(sys.executable).parent / "akte")
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    database = dsn.rsplit("/", 1)[1]
    for run in range(runs):
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("CHECKPOINT")
            rows_before = conn.execute("SELECT count(*) FROM search_documents").fetchone()[0]
        with tempfile.TemporaryDirectory(prefix="akte-bench-") as tmp:
            env = {
                **os.environ,
                "AKTE_DATA_DIR": data_dir or tmp,
                "AKTE_DATABASE_URL": url,
                "AKTE_SECRET_KEY": "bench-secret-key-that-is-long-enough-0123456789",
                "AKTE_SEARCH_BACKEND": "postgres",
                "AKTE_SEARCH_REINDEX_WORKERS": str(workers),
            }
            seen: dict[int, float] = {}
            first: dict[int, float] = {}
            for pid in _backends(dsn, database):  # idle backends of others: not counted
                first[pid] = seen[pid] = backend_cpu(pid)
            helpers0 = _server_helpers()
            done_flag = threading.Event()

            def sample(
                done_flag: threading.Event = done_flag,
                seen: dict[int, float] = seen,
                first: dict[int, float] = first,
            ) -> None:
                while not done_flag.is_set():
                    try:
                        pids = _backends(dsn, database)
                    except psycopg.Error:
                        pids = []
                    for pid in pids:
                        try:
                            cpu = backend_cpu(pid)
                        except OSError:
                            continue
                        first.setdefault(pid, 0.0)
                        seen[pid] = cpu
                    time.sleep(0.1)

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            load0 = os.getloadavg()[0]
            start = time.monotonic()
            done = subprocess.run(
                [akte, "search", "reindex"], env=env, capture_output=True, text=True, check=False
            )
            seconds = time.monotonic() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            done_flag.set()
            sampler.join()
            helpers1 = _server_helpers()
        if done.returncode != 0:
            raise RuntimeError(f"reindex failed: {done.stdout[-2000:]} {done.stderr[-2000:]}")
        n = int(done.stdout.rsplit("indexed ", 1)[1].split()[0])
        py = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        pg = sum(seen[p] - first[p] for p in seen)
        helpers = sum(helpers1.get(p, 0.0) - c for p, c in helpers0.items())
        print(
            f"  reindex run {run + 1}: {n} documents ({rows_before} rows before) in "
            f"{seconds:.1f}s = {n / seconds:,.0f} docs/s wall, load {load0:.1f} -> "
            f"{os.getloadavg()[0]:.1f}; CPU ms/document: Python {1000 * py / n:.3f} + "
            f"PostgreSQL backends {1000 * pg / n:.3f} = {1000 * (py + pg) / n:.3f} "
            f"(server helpers, shared: {1000 * helpers / n:.3f}) -> "
            f"{2 * n / (py + pg):,.0f} docs/s on two idle cores",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=5000)
    parser.add_argument(
        "--reindex",
        action="store_true",
        help="also time 'akte search reindex' against the baseline",
    )
    parser.add_argument(
        "--sql-baseline", action="store_true", help="also the pre-0930 analysis in SQL"
    )
    parser.add_argument(
        "--database",
        help="a kept corpus (bench.search --keep NAME --build-only: postgresql+psycopg://"
        "…/NAME_large): only time 'akte search reindex' on it (--runs times), CPU per document",
    )
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--data-dir", help="AKTE_DATA_DIR of the reindex (default: a fresh one each run)"
    )
    args = parser.parse_args()
    if args.database:
        from akte.core.migrations import upgrade

        upgrade(args.database)
        print(f"reindex of {args.database}, load {os.getloadavg()[0]:.1f}", flush=True)
        reindex_cpu(args.database, args.workers, args.runs, args.data_dir)
        return

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
        profile(url, corpus.docs, args.sql_baseline)
        if args.reindex:
            reindex(url)


if __name__ == "__main__":
    main()
