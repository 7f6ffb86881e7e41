"""The PostgreSQL engine's indexing as it was before migration 0840: analysis in Python.

The baseline of ``python -m bench.search --pg-baseline``: every document is folded and
stemmed in Python (:mod:`search.analysis`, the Whoosh engine's chain) and its ``tsvector``
written as a literal, then ``COPY``-ed through a temporary table into
``search_documents`` — the same parts (tenant, org unit), processes and batches as
``akte search reindex`` on the PostgreSQL engine. Kept here, not in ``search/``, so the
speed-up of the SQL analysis can be measured against it in one run on one machine.

Run: ``python -m bench.pg_python_baseline DATABASE_URL [WORKERS]``; prints
``indexed N documents in S s``.
"""

# ruff: noqa: S608

from __future__ import annotations

import multiprocessing
import os
import re
import sys
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from typing import Any

from akte.case_files.identifiers import normalize_identifier
from search.analysis import WORD_PATTERN, GermanStemFilter, fold, identifiers_in
from search.backend import IndexDoc

#: PostgreSQL's limits: positions above 16383 are clamped, at most 256 per lexeme,
#: lexemes shorter than 2 KB.
MAX_POS = 16383
MAX_POSITIONS = 255
MAX_LEXEME_BYTES = 2046
#: The page text analysed for the tsvector (a 1 MB tsvector is PostgreSQL's hard limit).
MAX_TEXT_CHARS = 2_000_000
_NAME_WORDS = re.compile(r"\w+")
GAP = 8

COLUMNS = (
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
    "names",
    "tsv",
    "stamp",
)

_stemmer = GermanStemFilter()
#: word form → index term, and lexeme → its quoted literal; bounded like the stem filter's
#: own memo (a county's vocabulary is some hundred thousand forms).
_terms: dict[str, str] = {}
_quoted: dict[str, str] = {}
MEMO_SIZE = 300_000


def stem(word: str) -> str:
    term = _terms.get(word)
    if term is None:
        if len(_terms) >= MEMO_SIZE:
            _terms.clear()
        term = _terms[word] = _stemmer.stem(word)
    return term


def quote(lexeme: str) -> str:
    """A lexeme as tsvector/tsquery literal text."""
    quoted = _quoted.get(lexeme)
    if quoted is None:
        if len(_quoted) >= MEMO_SIZE:
            _quoted.clear()
        quoted = _quoted[lexeme] = "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"
    return quoted


def name_words(text: str | None) -> list[str]:
    """Names and identifier words as the Whoosh ``name`` analyzer cuts them."""
    return [fold(w) for w in _NAME_WORDS.findall(text or "")]


def text_words(text: str | None) -> list[str]:
    if not text:
        return []
    memo = _terms
    return [memo.get(w) or stem(w) for w in WORD_PATTERN.findall(text[:MAX_TEXT_CHARS])]


class _Vector:
    """Collects lexeme positions and writes PostgreSQL's tsvector literal.

    Positions are plain numbers; each field's weight is known from its position range,
    and D (the text, by far the most positions) is the literal's default, written bare.
    """

    def __init__(self) -> None:
        self.positions: dict[str, list[int]] = {}
        self.cursor = 1
        #: (first position, weight letter) of each field added, in order
        self.fields: list[tuple[int, str]] = []

    def add(self, words: list[str], weight: str) -> None:
        pos = self.cursor
        self.fields.append((pos, "" if weight == "D" else weight))
        positions = self.positions
        for word in words:
            slots = positions.get(word)
            if slots is None:
                if not word or (
                    len(word) * 4 > MAX_LEXEME_BYTES and len(word.encode()) > MAX_LEXEME_BYTES
                ):
                    pos += 1
                    continue
                positions[word] = slots = []
            if len(slots) < MAX_POSITIONS:
                slots.append(pos if pos < MAX_POS else MAX_POS)
            pos += 1
        self.cursor = min(pos + GAP, MAX_POS)

    def literal(self) -> str:
        starts = self.fields
        text_start = next((p for p, w in starts if w == ""), MAX_POS + 1)
        parts = []
        for word, slots in self.positions.items():
            if slots[0] >= text_start and len(starts) and starts[-1][1] == "":
                body = ",".join(map(str, slots))
            else:
                body = ",".join(f"{p}{self._weight(p)}" for p in slots)
            parts.append(f"{quote(word)}:{body}")
        return " ".join(parts)

    def _weight(self, pos: int) -> str:
        weight = ""
        for start, letter in self.fields:
            if pos >= start:
                weight = letter
        return weight


def to_row(doc: IndexDoc) -> dict[str, Any]:
    """The ``search_documents`` row of ``doc`` (column → value)."""
    idents_raw = [doc.aktenzeichen, doc.bg_nummer, doc.kundennummer, *identifiers_in(doc.text)]
    idents = sorted(
        {v for v in (normalize_identifier(i.replace(" ", "")) for i in idents_raw if i) if v}
    )
    vector = _Vector()
    vector.add(name_words(doc.person_name), "A")
    vector.add(name_words(" ".join(i for i in idents_raw[:3] if i)), "A")
    vector.add(text_words(doc.title), "B")
    vector.add(text_words(doc.doc_type), "C")
    vector.add(text_words(doc.text), "D")
    received = doc.received_at if doc.received_at.tzinfo else doc.received_at.replace(tzinfo=UTC)
    sort_date = (
        datetime(doc.document_date.year, doc.document_date.month, doc.document_date.day)
        if doc.document_date
        else received.astimezone(UTC).replace(tzinfo=None)
    )
    return {
        "doc_id": doc.doc_id,
        "tenant_id": doc.tenant_id,
        "org_unit_id": doc.org_unit_id,
        "case_file_id": doc.case_file_id,
        "title": doc.title,
        "doc_type": doc.doc_type,
        "source": doc.source,
        "aktenzeichen": doc.aktenzeichen,
        "person_name": doc.person_name,
        "case_status": doc.case_status,
        "document_date": doc.document_date,
        "received_at": received,
        "sort_date": sort_date,
        "year": (doc.document_date or received.date()).year,
        "az": normalize_identifier(doc.aktenzeichen),
        "bg": normalize_identifier(doc.bg_nummer),
        "kdnr": normalize_identifier(doc.kundennummer),
        "idents": idents,
        "names": " ".join(name_words(doc.person_name)),
        "tsv": vector.literal(),
        "stamp": doc.stamp,
    }


_UPDATE = ", ".join(f"{c} = EXCLUDED.{c}" for c in COLUMNS if c != "doc_id")
_UPSERT = (
    f"INSERT INTO search_documents ({', '.join(COLUMNS)}) "
    f"SELECT {', '.join(COLUMNS)} FROM search_load l "
    "WHERE EXISTS (SELECT 1 FROM documents WHERE documents.id = l.doc_id) "
    f"ON CONFLICT (doc_id) DO UPDATE SET {_UPDATE}, indexed_at = clock_timestamp()"
)


def upsert(engine: Any, docs: list[IndexDoc]) -> int:
    rows = [to_row(doc) for doc in docs]
    if not rows:
        return 0
    with engine.begin() as conn:
        raw = conn.connection.driver_connection
        with raw.cursor() as cur:
            cur.execute(
                "CREATE TEMP TABLE IF NOT EXISTS search_load "
                "(LIKE search_documents INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
            )
            cur.execute("TRUNCATE search_load")
            with cur.copy(f"COPY search_load ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(tuple(row[c] for c in COLUMNS))
            cur.execute(_UPSERT)
    return len(rows)


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
                count += upsert(engine, batch)
                batch = []
        return count + upsert(engine, batch)
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
