"""The PostgreSQL engine's indexing as it was before migration 0930: analysis in SQL.

The baseline of ``python -m bench.pg_index``: Python sends the raw texts (non-German
Latin letters folded, compound parts split) through a ``COPY`` into a temporary table, and
one ``INSERT … SELECT`` computes every ``tsvector`` with ``akte_search_vector`` and the
folded names with ``akte_names`` (migrations 0840/0920) — the same parts (tenant, org
unit), processes and batches as ``akte search reindex``. Kept here, not in ``search/``, so
the engine's current indexing can be measured against it in one run on one machine.

Run: ``python -m bench.pg_sql_baseline DATABASE_URL [WORKERS]``; prints
``indexed N documents in S s``.
"""

# ruff: noqa: S608

from __future__ import annotations

import multiprocessing
import os
import sys
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from typing import Any

from akte.case_files.identifiers import normalize_identifier
from search.analysis import identifiers_in, parts_text
from search.backend import IndexDoc
from search.folding import latin_fold

LOAD_COLUMNS = (
    "doc_id",
    "tenant_id",
    "org_unit_id",
    "case_file_id",
    "title",
    "doc_type",
    "source",
    "aktenzeichen",
    "person_name",
    "case_status",
    "document_date",
    "received_at",
    "sort_date",
    "year",
    "az",
    "bg",
    "kdnr",
    "idents",
    "stamp",
    "refs",
    "body",
    "name_words",
    "title_words",
    "type_words",
    "parts",
)
ANALYSED_ONLY = ("refs", "body", "name_words", "title_words", "type_words", "parts")
ROW_COLUMNS = {
    **{c: f"l.{c}" for c in LOAD_COLUMNS if c not in ANALYSED_ONLY},
    "document_id": "l.doc_id",
    "names": "array_to_string(tsvector_to_array(to_tsvector('akte_names', "
    "akte_words(coalesce(l.name_words, '')))), ' ')",
    "tsv": "akte_search_vector(l.name_words, l.refs, l.title_words, l.type_words, l.body, l.parts)",
}
_LOAD_TABLE = (
    "CREATE TEMP TABLE IF NOT EXISTS search_load_sql ("
    "doc_id uuid, tenant_id uuid, org_unit_id uuid, case_file_id uuid, title text, "
    "doc_type text, source text, aktenzeichen text, person_name text, "
    "case_status text, document_date date, received_at timestamptz, "
    "sort_date timestamp, year integer, az text, bg text, kdnr text, "
    "idents text[], stamp text, refs text, body text, name_words text, "
    "title_words text, type_words text, parts text) ON COMMIT DELETE ROWS"
)
_UPDATE = ", ".join(f"{c} = EXCLUDED.{c}" for c in ROW_COLUMNS if c != "doc_id")
_UPSERT = (
    f"INSERT INTO search_documents ({', '.join(ROW_COLUMNS)}) "
    f"SELECT {', '.join(ROW_COLUMNS.values())} FROM search_load_sql l "
    "WHERE EXISTS (SELECT 1 FROM documents WHERE documents.id = l.doc_id) "
    f"ON CONFLICT (doc_id) DO UPDATE SET {_UPDATE}, indexed_at = clock_timestamp()"
)


def to_row(doc: IndexDoc) -> tuple[Any, ...]:
    refs = [doc.aktenzeichen, doc.bg_nummer, doc.kundennummer]
    idents = sorted(
        {v for v in (normalize_identifier(i.replace(" ", "")) for i in refs if i) if v}
        | set(identifiers_in(doc.text))
    )
    received = doc.received_at if doc.received_at.tzinfo else doc.received_at.replace(tzinfo=UTC)
    sort_date = (
        datetime(doc.document_date.year, doc.document_date.month, doc.document_date.day)
        if doc.document_date
        else received.astimezone(UTC).replace(tzinfo=None)
    )
    return (
        doc.doc_id,
        doc.tenant_id,
        doc.org_unit_id,
        doc.case_file_id,
        doc.title,
        doc.doc_type,
        doc.source,
        doc.aktenzeichen,
        doc.person_name,
        doc.case_status,
        doc.document_date,
        received,
        sort_date,
        (doc.document_date or received.date()).year,
        normalize_identifier(doc.aktenzeichen),
        normalize_identifier(doc.bg_nummer),
        normalize_identifier(doc.kundennummer),
        idents,
        doc.stamp,
        " ".join(i for i in refs if i),
        latin_fold(doc.text),
        latin_fold(doc.person_name or ""),
        latin_fold(doc.title or ""),
        latin_fold(doc.doc_type or ""),
        parts_text(doc.text, doc.title, doc.doc_type),
    )


def copy(conn: Any, rows: list[tuple[Any, ...]]) -> None:
    raw = conn.connection.driver_connection
    with raw.cursor() as cur:
        cur.execute(_LOAD_TABLE)
        cur.execute("TRUNCATE search_load_sql")
        with cur.copy(f"COPY search_load_sql ({', '.join(LOAD_COLUMNS)}) FROM STDIN") as cp:
            for row in rows:
                cp.write_row(row)
        cur.execute(_UPSERT)


def _part(database_url: str, tenant_id: uuid.UUID, org_unit_id: uuid.UUID) -> int:
    from akte.case_files.models import CaseFile
    from akte.core.database import make_engine, make_session_factory
    from akte.documents.models import Document
    from search import loader

    engine = make_engine(database_url, pool_size=1, max_overflow=0)
    try:
        factory = make_session_factory(engine)
        stmt = loader._base().where(
            Document.tenant_id == tenant_id, CaseFile.org_unit_id == org_unit_id
        )
        count = 0
        batch: list[IndexDoc] = []
        for doc in loader._in_batches(factory, stmt, loader.BATCH, loader._to_docs):
            batch.append(doc)
            if len(batch) >= 1000:
                with engine.begin() as conn:
                    copy(conn, [to_row(d) for d in batch])
                count += len(batch)
                batch = []
        if batch:
            with engine.begin() as conn:
                copy(conn, [to_row(d) for d in batch])
        return count + len(batch)
    finally:
        engine.dispose()


def reindex(database_url: str, workers: int) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as conn:
        parts = conn.execute(
            text(
                "SELECT d.tenant_id, c.org_unit_id, count(*) FROM documents d "
                "JOIN case_files c ON c.id = d.case_file_id WHERE d.status = 'ready' "
                "GROUP BY 1, 2 ORDER BY 3 DESC"
            )
        ).all()
    engine.dispose()
    with ProcessPoolExecutor(
        max_workers=min(workers, max(len(parts), 1)),
        mp_context=multiprocessing.get_context("spawn"),
    ) as pool:
        return sum(
            pool.map(
                _part, [database_url] * len(parts), [p[0] for p in parts], [p[1] for p in parts]
            )
        )


if __name__ == "__main__":
    url = sys.argv[1]
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else os.cpu_count() or 1
    start = time.monotonic()
    total = reindex(url, workers)
    print(f"indexed {total} documents in {time.monotonic() - start:.1f}s")
