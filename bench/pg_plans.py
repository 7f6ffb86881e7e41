"""Query plans of the PostgreSQL engine at a large tenant's size (``EXPLAIN ANALYZE``).

Builds one tenant with ten org units (``bench.search.build_corpus``), indexes it with
``akte search reindex`` (PostgreSQL engine), then runs each query of ``bench.search``'s
mix kinds through :class:`search.pg.backend.PostgresBackend` as a caseworker of one unit
(10 %) and as a tenant-wide member, and prints the time of every statement the engine
sent and, with ``--explain``, its plan. The database is kept (``--keep``) for the next run.

Run: ``python -m bench.pg_plans --docs 100000 [--explain] [--keep NAME] [--repeat N]``
(``--repeat``: the median of N timed runs of each search, for a loaded machine).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

QUERIES = [
    "Miete",
    "Jobcenter",
    "Kontoauszug Sparkasse",
    '"Kosten der Unterkunft"',
    "art:Lohnabrechnung Pflegedienst",
    "Nebenkost*",
    "Bescheid datum:2018-01-01..2018-06-30",
    "Anna Müller",
    "Weber~",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--keep", default=None, help="database name to build once and keep")
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="time each search this many times (after the warm-up) and print the median",
    )
    args = parser.parse_args()

    from sqlalchemy import event, text

    from akte.core.database import make_engine
    from akte.core.migrations import upgrade
    from bench.search import build_corpus
    from search.backend import QuerySpec, Scope
    from search.pg.backend import PostgresBackend
    from tests.infra.postgres import postgres_server

    with postgres_server() as admin:
        name = args.keep or f"akte_plans_{uuid.uuid4().hex[:8]}"
        base = admin.rsplit("/", 1)[0]
        url = f"{base.replace('postgresql://', 'postgresql+psycopg://', 1)}/{name}"
        with psycopg.connect(admin, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{name}"')
        try:
            if not exists:
                upgrade(url)
                t0 = time.monotonic()
                corpus = build_corpus(url, args.docs, tenants=1, units_per_tenant=10)
                print(f"corpus: {corpus.docs} documents ({time.monotonic() - t0:.0f}s)", flush=True)
                with tempfile.TemporaryDirectory() as tmp:
                    env = {
                        **os.environ,
                        "AKTE_DATA_DIR": tmp,
                        "AKTE_DATABASE_URL": url,
                        "AKTE_SECRET_KEY": "bench-secret-key-that-is-long-enough-0123456789",
                        "AKTE_SEARCH_BACKEND": "postgres",
                    }
                    t0 = time.monotonic()
                    subprocess.run(
                        [str(Path(sys.executable).parent / "akte"), "search", "reindex"],
                        env=env,
                        check=True,
                        capture_output=True,
                    )
                    print(
                        f"reindex: {corpus.docs / (time.monotonic() - t0):,.0f} docs/s", flush=True
                    )
                with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
                    conn.execute("VACUUM ANALYZE search_documents")
            engine = make_engine(url)
            backend = PostgresBackend(engine)
            with engine.connect() as conn:
                (tenant,) = conn.execute(
                    text("SELECT DISTINCT tenant_id FROM search_documents")
                ).one()
                units = list(
                    conn.scalars(
                        text("SELECT DISTINCT org_unit_id FROM search_documents ORDER BY 1")
                    )
                )
            sent: list[tuple[str, object, float]] = []

            @event.listens_for(engine, "before_cursor_execute")
            def _before(conn, cursor, statement, parameters, context, many):  # type: ignore[no-untyped-def]
                conn.info["t"] = time.perf_counter()

            @event.listens_for(engine, "after_cursor_execute")
            def _after(conn, cursor, statement, parameters, context, many):  # type: ignore[no-untyped-def]
                sent.append((statement, parameters, time.perf_counter() - conn.info["t"]))

            for wide in (False, True):
                scope = Scope(
                    tenant_id=tenant,
                    org_unit_ids=frozenset(units if wide else units[:1]),
                    case_file_ids=frozenset(),
                )
                print(f"\n== {'tenant-wide' if wide else 'one org unit (10 %)'}")
                for q in QUERIES:
                    spec = QuerySpec(text=q, scope=scope, page=1, size=20)
                    backend.search(spec)  # warm
                    runs = []
                    for _ in range(max(1, args.repeat)):
                        sent.clear()
                        t0 = time.perf_counter()
                        hits = backend.search(spec)
                        runs.append((1000 * (time.perf_counter() - t0), list(sent)))
                    runs.sort(key=lambda run: run[0])
                    total_ms, sent[:] = runs[len(runs) // 2]
                    parts = ", ".join(
                        f"{1000 * s:.1f}"
                        for st, _p, s in sent
                        if st.lstrip().upper().startswith("SELECT") and "set_config(" not in st
                    )
                    print(
                        f"  {q:45s} total {hits.total:6d}  {total_ms:7.1f} ms  "
                        f"(statements {parts})",
                        flush=True,
                    )
                    if args.explain:
                        raw = engine.raw_connection()
                        try:
                            with raw.cursor() as cur:
                                # in one transaction, with the engine's own SET LOCALs
                                # (work_mem, enable_indexscan) replayed where they were
                                for st, params, _s in list(sent):
                                    head = st.lstrip().upper()
                                    if head.startswith("SET") or "SET_CONFIG(" in head:
                                        cur.execute(st, params)
                                        continue
                                    if not head.startswith("SELECT"):
                                        continue
                                    cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + st, params)
                                    print("    " + "\n    ".join(r[0] for r in cur.fetchall()))
                            raw.rollback()
                        finally:
                            raw.close()
            engine.dispose()
        finally:
            if not args.keep:
                with psycopg.connect(admin, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
