"""``akte search reindex`` on PostgreSQL: a fresh table, filled by ``COPY``, indexed in
bulk, swapped in.

Rewriting ``search_documents`` in place made the server do, for every row, a delete, an
insert into a table with eleven indexes (three of them GIN), two row triggers and two
foreign-key checks that lock the referenced document row, and left a dead copy of every
row and index entry behind for vacuum (the table doubled). A full rebuild instead:

1. creates ``search_documents_next`` like the table (columns, defaults, checks, storage,
   compression), **without** indexes, foreign keys or triggers;
2. fills it from the worker processes by plain ``COPY`` (:class:`Writer`), ``head``
   computed in Python (:func:`search.pg.rows.to_row`), the vocabulary recorded as before;
3. builds every index of the table on it (:func:`build_indexes`: the definitions are read
   from the live table, so an index a later migration adds is built too), each in one
   pass with a large ``maintenance_work_mem`` (a GIN index built in bulk sorts its
   entries once instead of merging a pending list every few MB), two at a time;
4. swaps it in, in one transaction (:func:`swap`): writers of ``search_documents`` and
   of the documents and notes are held back (searches are not), the rows index jobs
   wrote since the rebuild started are copied over theirs, rows whose document or note
   was deleted or stopped being indexable meanwhile are dropped, the foreign keys and
   triggers are added, and the two tables trade names. Searches wait only for the
   renames; the old table is dropped after the commit.

What a search sees: the old table until the swap commits, then the new one, complete.
What an index job sees: it writes the live table as always; if it runs during the swap
it waits for it and then writes the new table (PostgreSQL resolves the name again after
the lock wait). A crash at any point leaves the live table untouched; the next rebuild
drops the leftovers (:func:`prepare`).
"""

# Statements are assembled from the catalog's own definitions and fixed names.
# ruff: noqa: S608

from __future__ import annotations

import logging
import re
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import psycopg
from sqlalchemy import Connection, Engine, text

from search.backend import IndexDoc
from search.loader import as_uuid, stamp
from search.pg import vocabulary
from search.pg.rows import REBUILD_COLUMNS, to_row, vocabulary_word

log = logging.getLogger(__name__)

TABLE = "search_documents"
NEXT = "search_documents_next"
OLD = "search_documents_old"
#: Memory of each index build (two run at once). A GIN build keeps its entries in memory
#: up to this and writes them out sorted; above it, it flushes and merges.
MAINTENANCE_WORK_MEM = "256MB"
#: How long the swap waits for a lock (on the table, the documents, the notes) before it
#: gives up and tries again (up to :data:`SWAP_ATTEMPTS` times): a long transaction
#: holding one must not queue every writer of the documents behind the swap.
LOCK_TIMEOUT = "5s"
SWAP_ATTEMPTS = 12
#: What makes the swap (or the drop after it) try again.
_RETRY = (psycopg.errors.LockNotAvailable, psycopg.errors.DeadlockDetected)
#: Documents read per statement in a worker process.
LOAD_BATCH = 1000

#: One statement per batch of a part's documents: the document, its Akte's fields, its
#: current version and the pages' text joined in the server (as
#: :func:`search.loader._to_docs` joins them: in page order, ``"\n\n"`` between pages, a
#: missing text as ""), with the count and length the stamp needs.
_LOAD = """
SELECT d.id, d.tenant_id, d.case_file_id, d.title, d.doc_type, d.source, d.document_date,
       d.received_at, c.org_unit_id, c.aktenzeichen, c.bg_nummer, c.kundennummer,
       c.person_name, c.status, v.id AS version_id,
       coalesce(p.pages, 0), coalesce(p.chars, 0), coalesce(p.text, '')
FROM documents d
JOIN case_files c ON c.id = d.case_file_id
LEFT JOIN document_versions v ON v.document_id = d.id AND v.version_no = d.current_version
LEFT JOIN LATERAL (
    SELECT count(*) AS pages, sum(length(coalesce(g.text, ''))) AS chars,
           string_agg(coalesce(g.text, ''), E'\\n\\n' ORDER BY g.page_no) AS text
    FROM document_pages g WHERE g.version_id = v.id
) p ON true
WHERE d.tenant_id = %(tenant)s AND c.org_unit_id = %(unit)s
  AND d.status = 'ready' AND d.rejected_at IS NULL AND d.id > %(after)s
ORDER BY d.id
LIMIT %(limit)s
"""


class _Row:
    """The fields :func:`search.loader.stamp` reads, by name."""

    __slots__ = (
        "aktenzeichen",
        "bg_nummer",
        "doc_type",
        "document_date",
        "kundennummer",
        "org_unit_id",
        "person_name",
        "received_at",
        "source",
        "status",
        "title",
        "version_id",
    )


def load_documents(
    raw: psycopg.Connection[Any], tenant_id: uuid.UUID, org_unit_id: uuid.UUID
) -> Iterator[IndexDoc]:
    """The ready documents of one org unit of one tenant, in id order, as
    :func:`search.loader.stream` gives them (same texts, same stamps), one statement and
    one short transaction per :data:`LOAD_BATCH` documents, through the driver directly:
    the ORM's row processing cost about as much as the statement."""
    after = uuid.UUID(int=0)
    row = _Row()
    while True:
        with raw.transaction(), raw.cursor() as cur:
            cur.execute(
                _LOAD,
                {"tenant": tenant_id, "unit": org_unit_id, "after": after, "limit": LOAD_BATCH},
            )
            rows = cur.fetchall()
        if not rows:
            return
        for (
            doc_id,
            tenant,
            case_file_id,
            title,
            doc_type,
            source,
            document_date,
            received_at,
            unit,
            aktenzeichen,
            bg_nummer,
            kundennummer,
            person_name,
            status,
            version_id,
            pages,
            chars,
            body,
        ) in rows:
            received_at = received_at.astimezone(UTC)  # as the ORM's UTCDateTime gives it
            row.title, row.doc_type, row.source = title, doc_type, source
            row.document_date, row.received_at, row.org_unit_id = document_date, received_at, unit
            row.aktenzeichen, row.bg_nummer, row.kundennummer = (
                aktenzeichen,
                bg_nummer,
                kundennummer,
            )
            row.person_name, row.status, row.version_id = person_name, status, version_id
            yield IndexDoc(
                doc_id=as_uuid(doc_id),
                tenant_id=as_uuid(tenant),
                org_unit_id=as_uuid(unit),
                case_file_id=as_uuid(case_file_id),
                title=title,
                doc_type=doc_type,
                source=source,
                aktenzeichen=aktenzeichen,
                bg_nummer=bg_nummer,
                kundennummer=kundennummer,
                person_name=person_name,
                case_status=status,
                document_date=document_date,
                received_at=received_at,
                text=body,
                stamp=stamp(row, int(pages), int(chars)),
            )
        after = rows[-1][0]


class Writer:
    """Writes a worker process's rows into :data:`NEXT` and their words into the
    vocabulary, one transaction per batch that does not wait for the WAL flush (a crash
    loses a rebuild that must be run again anyway). Each word is sent once per process."""

    def __init__(self, raw: psycopg.Connection[Any]) -> None:
        self.raw = raw
        self.recorded: dict[uuid.UUID, set[str]] = {}
        self.statement = f"COPY {NEXT} ({', '.join(REBUILD_COLUMNS)}) FROM STDIN"

    def write(self, docs: Sequence[IndexDoc]) -> int:
        words: dict[uuid.UUID, set[str]] = {}
        rows = [to_row(d, words.setdefault(d.tenant_id, set()), head=True) for d in docs]
        if not rows:
            return 0
        with self.raw.transaction(), self.raw.cursor() as cur:
            cur.execute("SET LOCAL synchronous_commit = off")
            with cur.copy(self.statement) as copy:
                for row in rows:
                    copy.write_row(row)
            for tenant_id, tenant_words in sorted(words.items()):
                known = self.recorded.setdefault(tenant_id, set())
                fresh = tenant_words - known  # each lexeme is looked at once per process
                known |= fresh
                new = sorted(filter(vocabulary_word, fresh))
                if new:
                    cur.execute(vocabulary.RECORD_WORDS, [tenant_id, new])
        return len(rows)


def prepare(conn: Connection) -> None:
    """Drops what a crashed rebuild left and creates the empty :data:`NEXT`."""
    conn.execute(text(f"DROP TABLE IF EXISTS {NEXT}"))
    conn.execute(text(f"DROP TABLE IF EXISTS {OLD}"))
    conn.execute(text(f"CREATE TABLE {NEXT} (LIKE {TABLE} INCLUDING ALL EXCLUDING INDEXES)"))


def discard(engine: Engine) -> None:
    """Drops :data:`NEXT` after a failed rebuild (the live table never changed)."""
    with engine.begin() as conn:
        conn.execute(text(f"DROP TABLE IF EXISTS {NEXT}"))


def _indexes(conn: Connection) -> list[tuple[str, str, bool]]:
    """(name, definition, is the primary key) of every index of the live table."""
    return [
        (name, definition, primary)
        for name, definition, primary in conn.execute(
            text(
                "SELECT c.relname, pg_get_indexdef(i.indexrelid), i.indisprimary "
                "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "WHERE i.indrelid = CAST(:t AS regclass) ORDER BY c.relpages DESC, c.relname"
            ),
            {"t": TABLE},
        )
    ]


def _next_name(name: str) -> str:
    return f"{name[:58]}_next"


def _on_next(definition: str, name: str) -> str:
    """An index (or trigger) definition of the live table, made for :data:`NEXT`."""
    definition = re.sub(rf"\bON (ONLY )?(public\.)?{TABLE}\b", f"ON {NEXT}", definition, count=1)
    return definition.replace(f"INDEX {name} ON", f"INDEX {_next_name(name)} ON", 1)


def build_indexes(engine: Engine, workers: int = 2) -> None:
    """Every index of the live table, built on the filled :data:`NEXT`, ``workers`` at
    a time (each its own connection; ``CREATE INDEX`` statements do not block each
    other). The primary key's unique index is built like the others and then made the
    key. A document indexed twice (its Akte moved to another org unit while both
    units were read) keeps its newest row."""
    with engine.connect() as conn:
        indexes = _indexes(conn)
    queue = list(indexes)
    failed: list[BaseException] = []
    lock = threading.Lock()

    def run() -> None:
        with engine.connect() as conn:
            while True:
                with lock:
                    if not queue or failed:
                        return
                    name, definition, primary = queue.pop(0)
                try:
                    _build(conn, name, definition, primary)
                except BaseException as exc:  # reported by the caller
                    failed.append(exc)
                    return

    threads = [threading.Thread(target=run) for _ in range(max(1, workers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failed:
        raise failed[0]


def _build(conn: Connection, name: str, definition: str, primary: bool) -> None:
    sql = _on_next(definition, name)
    memory = f"SET LOCAL maintenance_work_mem = '{MAINTENANCE_WORK_MEM}'"
    try:
        conn.exec_driver_sql(memory)
        conn.exec_driver_sql(sql)
        conn.commit()
    except Exception as exc:
        conn.rollback()
        if not (primary and isinstance(getattr(exc, "orig", None), psycopg.errors.UniqueViolation)):
            raise
        conn.execute(
            text(
                f"DELETE FROM {NEXT} a USING {NEXT} b WHERE a.doc_id = b.doc_id "
                "AND (a.indexed_at, a.ctid) < (b.indexed_at, b.ctid)"
            )
        )
        conn.exec_driver_sql(memory)
        conn.exec_driver_sql(sql)
        conn.commit()
    if primary:
        conn.exec_driver_sql(
            f"ALTER TABLE {NEXT} ADD CONSTRAINT {_next_name(name)} "
            f"PRIMARY KEY USING INDEX {_next_name(name)}"
        )
        conn.commit()


def swap(engine: Engine, started: datetime, *, before_swap: Any = None) -> None:
    """Makes the filled and indexed :data:`NEXT` the live table (see the module's
    docstring), then drops the old one; tries again when a lock is not granted within
    :data:`LOCK_TIMEOUT`."""
    # The planner must know the new table from its first query: left with no statistics
    # until autovacuum came by, it planned a 1,000,000-row tenant as a few rows and
    # tested every row of the caller's scope (Miete in one org unit: 337 ms, analysed
    # 11 ms). Before the swap, so searches never see the table unanalysed.
    with engine.begin() as conn:
        conn.execute(text(f"ANALYZE {NEXT}"))
    if before_swap is not None:
        before_swap()
    for attempt in range(SWAP_ATTEMPTS):
        try:
            begun = time.monotonic()
            with engine.begin() as conn:
                _swap(conn, started)
            log.info("search rebuild swapped in; writers waited %.3f s", time.monotonic() - begun)
            break
        except Exception as exc:
            if attempt + 1 == SWAP_ATTEMPTS or not isinstance(getattr(exc, "orig", None), _RETRY):
                raise
            time.sleep(1)
    for attempt in range(SWAP_ATTEMPTS):
        try:
            with engine.begin() as conn:
                conn.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
                # after the commit: dropping its foreign keys locks the documents and
                # notes, which must not wait inside the swap
                conn.execute(text(f"DROP TABLE IF EXISTS {OLD}"))
                for (constraint,) in conn.execute(
                    text(
                        "SELECT conname FROM pg_constraint WHERE conrelid = CAST(:t AS regclass) "
                        "AND contype = 'f' AND NOT convalidated"
                    ),
                    {"t": TABLE},
                ).all():
                    conn.execute(text(f'ALTER TABLE {TABLE} VALIDATE CONSTRAINT "{constraint}"'))
            return
        except Exception as exc:
            if not isinstance(getattr(exc, "orig", None), _RETRY):
                raise
            if attempt + 1 == SWAP_ATTEMPTS:  # the new table is live; the next rebuild drops it
                log.warning("the rebuild's old table %s was not dropped: %s", OLD, exc)
                return
            time.sleep(1)


def _swap(conn: Connection, started: datetime) -> None:
    conn.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
    notes = conn.scalar(text("SELECT to_regclass('case_notes')")) is not None
    # Writers of documents and notes first (their deletes cascade into both tables: taken
    # in this order, no such transaction can hold one table and wait for the other),
    # then the index jobs' writes. Reads go on.
    conn.execute(
        text(f"LOCK TABLE documents{', case_notes' if notes else ''} IN SHARE ROW EXCLUSIVE MODE")
    )
    conn.execute(text(f"LOCK TABLE {TABLE} IN SHARE ROW EXCLUSIVE MODE"))
    columns = list(
        conn.scalars(
            text(
                "SELECT attname FROM pg_attribute WHERE attrelid = CAST(:t AS regclass) "
                "AND attnum > 0 AND NOT attisdropped ORDER BY attnum"
            ),
            {"t": TABLE},
        )
    )
    names = ", ".join(columns)
    update = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns if c != "doc_id")
    # 1. what index jobs wrote since the rebuild started is at least as new as the rebuild's row
    conn.execute(
        text(
            f"INSERT INTO {NEXT} ({names}) SELECT {names} FROM {TABLE} "
            f"WHERE indexed_at >= :started ON CONFLICT (doc_id) DO UPDATE SET {update}"
        ),
        {"started": started},
    )
    # 2. a row the live table no longer has, whose document or note is gone or not
    # indexable any more: removed (deleted, rejected, …) while the rebuild ran
    indexable = (
        "EXISTS (SELECT 1 FROM documents x WHERE x.id = n.document_id "
        "AND x.status = 'ready' AND x.rejected_at IS NULL)"
    )
    if notes:
        indexable += " OR EXISTS (SELECT 1 FROM case_notes x WHERE x.id = n.note_id)"
    conn.execute(
        text(
            f"DELETE FROM {NEXT} n WHERE NOT EXISTS "
            f"(SELECT 1 FROM {TABLE} s WHERE s.doc_id = n.doc_id) AND NOT ({indexable})"
        )
    )
    # 3. the live table's foreign keys (cascading deletes from now on; validated after the
    # commit) and triggers
    for name, definition in conn.execute(
        text(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = CAST(:t AS regclass) AND contype = 'f'"
        ),
        {"t": TABLE},
    ).all():
        conn.execute(text(f'ALTER TABLE {NEXT} ADD CONSTRAINT "{name}" {definition} NOT VALID'))
    for (definition,) in conn.execute(
        text(
            "SELECT pg_get_triggerdef(oid) FROM pg_trigger "
            "WHERE tgrelid = CAST(:t AS regclass) AND NOT tgisinternal"
        ),
        {"t": TABLE},
    ).all():
        conn.exec_driver_sql(_on_next(definition, ""))
    # 4. the names: searches wait from here to the commit
    indexes = [name for name, _d, _p in _indexes(conn)]
    conn.execute(text(f"ALTER TABLE {TABLE} RENAME TO {OLD}"))
    for name in indexes:
        conn.execute(text(f"ALTER INDEX {name} RENAME TO {name[:59]}_old"))
        conn.execute(text(f"ALTER INDEX {_next_name(name)} RENAME TO {name}"))
    conn.execute(text(f"ALTER TABLE {NEXT} RENAME TO {TABLE}"))
