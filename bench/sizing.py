"""Sizing on the production shape: what one document costs in the database, the object
store and the search index, and how many documents one worker process handles per second.

    .venv/bin/python -m bench.sizing [--docs 200] [--pages 2] [--search-backend whoosh|postgres]

A fresh PostgreSQL database and a SeaweedFS S3 server (started as the tests start them);
``--docs`` born-digital PDFs of ``--pages`` pages of about 1,800 characters of German text
each (a typical letter or payslip page) are uploaded through the API, then processed by one
worker in this process (the real job path: text, archive PDF, thumbnail, index), timed.

Printed: database growth per document (total and by table), stored blob bytes per byte
uploaded (originals + archive PDFs + thumbnails), the object store's disk per document,
the search index per document, and worker throughput (documents/s, pages/s), so
docs/OPERATIONS.md can scale them to 1,000,000 documents. Born-digital only: scans add
Tesseract time (bench.ocr) and larger archive PDFs.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

TEXT = (
    "Antrag Bewilligung Bescheid Leistungen Lebensunterhalt Mietvertrag Nebenkosten "
    "Heizkosten Kontoauszug Einkommen Lohnabrechnung Arbeitgeber Bedarfsgemeinschaft "
    "Mitwirkungspflicht Widerspruch Eingliederungsvereinbarung Weiterbewilligung "
    "Unterkunft Krankenversicherung Kindergeld Unterhalt Vermögen Zeitraum Betrag Euro "
    "Jobcenter Sachbearbeitung Frist Nachweis Unterlagen vorlegen gemäß Sozialgesetzbuch "
    "zweites Buch Monat Januar Februar März April Mai Juni Juli August"
)
WORDS = TEXT.split()


def du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def table_sizes(dsn: str) -> dict[str, int]:
    with psycopg.connect(dsn) as conn:
        return {
            name: size
            for name, size in conn.execute(
                "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'public' AND c.relkind = 'r'"
            )
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=200)
    parser.add_argument("--pages", type=int, default=2)
    parser.add_argument("--search-backend", default="whoosh", choices=["whoosh", "postgres"])
    args = parser.parse_args()

    from fastapi.testclient import TestClient

    from akte.app import create_app
    from akte.core.context import AppContext
    from akte.core.migrations import upgrade
    from akte.core.settings import Settings
    from akte.jobs.worker import run_until_idle
    from tests.builders import make_world
    from tests.infra.postgres import fresh_database, postgres_server
    from tests.infra.s3 import s3_server
    from tests.ingest.samples import text_pdf

    rng = random.Random(7)
    data_dir = Path(tempfile.mkdtemp(prefix="akte-bench-sizing-"))
    with postgres_server() as admin, fresh_database(admin) as url, s3_server() as s3:
        dsn = url.replace("postgresql+psycopg://", "postgresql://")
        settings = Settings(
            env="test",
            data_dir=data_dir,
            inprocess_worker=False,
            secret_key="bench-sizing-secret-key-long-enough-0123456789",
            database_url=url,
            storage_backend="s3",
            s3_endpoint=s3.endpoint,
            s3_access_key=s3.access_key,
            s3_secret_key=s3.secret_key,
            s3_bucket="akte-sizing",
            search_backend=args.search_backend,
        )
        upgrade(url)
        ctx = AppContext.from_settings(settings)
        world = make_world(ctx)
        run_until_idle(ctx)
        tables_before = table_sizes(dsn)
        weed_before = du(s3.workdir) if s3.workdir else 0
        index_before = du(data_dir / "index") if (data_dir / "index").exists() else 0
        uploaded = 0
        headers = world.headers["caseworker_a1"]
        started = time.perf_counter()
        with TestClient(create_app(ctx=ctx, start_worker=False)) as client:
            for i in range(args.docs):
                pages = []
                for _ in range(args.pages):
                    words = [rng.choice(WORDS) for _ in range(240)]
                    pages.append(
                        [" ".join(words[j : j + 12]) for j in range(0, 240, 12)]
                        + [f"Dokument {i} {uuid.uuid4().hex}"]
                    )
                data = text_pdf(pages)
                uploaded += len(data)
                r = client.post(
                    f"/api/v1/case-files/{world.case_a1.id}/documents",
                    files={"file": (f"d{i}.pdf", data, "application/pdf")},
                    headers=headers,
                )
                r.raise_for_status()
        upload_seconds = time.perf_counter() - started
        started = time.perf_counter()
        jobs = run_until_idle(ctx)
        work_seconds = time.perf_counter() - started
        with psycopg.connect(dsn) as conn:
            statuses = dict(
                conn.execute("SELECT status, count(*) FROM documents GROUP BY status").fetchall()
            )
        tables_after = table_sizes(dsn)
        stored = sum(ctx.storage.stat(d).size for d in ctx.storage.iter_blobs())
        blobs = sum(1 for _ in ctx.storage.iter_blobs())
        weed = (du(s3.workdir) if s3.workdir else 0) - weed_before
        index = (du(data_dir / "index") if (data_dir / "index").exists() else 0) - index_before
        ctx.close()

    n = args.docs
    growth = {t: tables_after.get(t, 0) - tables_before.get(t, 0) for t in tables_after}
    db = sum(growth.values())
    print(
        f"{n} documents x {args.pages} pages, search backend {args.search_backend}; "
        f"statuses {statuses}"
    )
    print(f"database: +{db / n / 1024:.1f} KiB per document ({db / 2**20:.1f} MiB total)")
    for table, size in sorted(growth.items(), key=lambda kv: -kv[1])[:8]:
        print(f"  {table:28} +{size / n / 1024:7.1f} KiB per document")
    print(
        f"uploaded {uploaded / n / 1024:.1f} KiB per document; stored blobs {blobs} "
        f"({blobs / n:.1f} per document), {stored / n / 1024:.1f} KiB per document = "
        f"x{stored / uploaded:.2f} the uploaded bytes; SeaweedFS disk +{weed / n / 1024:.1f} "
        f"KiB per document"
    )
    if args.search_backend == "whoosh":
        print(f"search index (Whoosh folder): +{index / n / 1024:.1f} KiB per document")
    print(f"upload through the API (in process, one client): {n / upload_seconds:.1f} documents/s")
    print(
        f"one worker process: {jobs} jobs in {work_seconds:.1f} s = "
        f"{n / work_seconds:.2f} documents/s, {n * args.pages / work_seconds:.1f} pages/s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
