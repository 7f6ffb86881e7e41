"""Reading what the index should contain from the database (the source of truth).

Everything streams in keyset-paginated batches (``id > last ORDER BY id LIMIT n``): a
rebuild of a million documents holds one batch of rows and page texts in memory at a
time, works the same on SQLite and PostgreSQL, and never keeps one long transaction open.

Ids leave this module as :class:`uuid.UUID` (see :func:`as_uuid`): the index names its
tenant folders and scope terms by the dashed form, and a raw value of another form (SQLite
keeps UUIDs as 32 hex digits) would make a whole tenant's index look stale or unreachable.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, sessionmaker

# The tables that documents and Akten refer to must be mapped too: until they are, the
# foreign-key columns (tenant_id, org_unit_id) have no type, and SQLite hands back their
# raw text (an ``akte search`` command imports nothing else).
import akte.tenants.models  # noqa: F401
from akte.case_files.models import CaseFile
from akte.core.database import session_scope
from akte.documents.models import (
    Document,
    DocumentPage,
    DocumentStatus,
    DocumentVersion,
    page_digest,
)
from search.backend import IndexDoc

try:  # Aktenvermerke are indexed beside documents, in the same scope (their Akte's)
    from akte.casework.models import CaseNote
except ModuleNotFoundError:  # the casework feature is not installed
    CaseNote = None  # type: ignore[assignment,misc]

T = TypeVar("T")
#: ``source`` and Dokumentart of an indexed Aktenvermerk
NOTE_SOURCE = "note"
NOTE_TYPE = "Aktenvermerk"

BATCH = 500
#: Connection settings of a rebuild's reading connections on PostgreSQL. A batch's
#: statements are short (500 documents, then their pages), and PostgreSQL planned them
#: with two parallel workers each, processes started for every statement: the pages'
#: statement took 53-72 ms that way and 9-11 ms without them (1,000,000 documents).
REBUILD_CONNECT_ARGS = {"options": "-c max_parallel_workers_per_gather=0"}
#: Pages a snippet may come from (a match on page 300 is found, but not shown).
SNIPPET_PAGES = 20

#: What a document or Aktenvermerk takes from its Akte (scope and the Akte's own fields).
_AKTE_COLUMNS = (
    CaseFile.org_unit_id,
    CaseFile.aktenzeichen,
    CaseFile.bg_nummer,
    CaseFile.kundennummer,
    CaseFile.person_name,
    CaseFile.status,
)
_COLUMNS = (
    Document.id,
    Document.tenant_id,
    Document.case_file_id,
    Document.title,
    Document.doc_type,
    Document.source,
    Document.document_date,
    Document.received_at,
    *_AKTE_COLUMNS,
    DocumentVersion.id.label("version_id"),
)


def as_uuid(value: Any) -> uuid.UUID:
    """An id as :class:`uuid.UUID`, whether the driver gave a UUID or its text (dashed or
    32 hex digits)."""
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _base(*columns: Any):  # type: ignore[no-untyped-def]
    """Ready documents with ``columns`` (else the indexed ones)."""
    return (
        select(*(columns or _COLUMNS))
        .select_from(Document)
        .join(CaseFile, CaseFile.id == Document.case_file_id)
        .outerjoin(
            DocumentVersion,
            and_(
                DocumentVersion.document_id == Document.id,
                DocumentVersion.version_no == Document.current_version,
            ),
        )
        # a document turned back from the Posteingang stays in the Akte with its reason,
        # but is not searchable: a rebuild must not bring it back
        .where(Document.status == DocumentStatus.ready, Document.rejected_at.is_(None))
    )


def stamp(row: Any, page_count: int, text_chars: int) -> str:
    """A digest of everything indexed about a document (texts by count and length, so
    ``akte search check`` can compute it in SQL without reading every page)."""
    parts = [
        row.title,
        row.doc_type,
        row.source,
        row.document_date,
        row.received_at.isoformat(),
        as_uuid(row.org_unit_id),
        row.aktenzeichen,
        row.bg_nummer,
        row.kundennummer,
        row.person_name,
        row.status,
        row.version_id,
        page_count,
        text_chars,
    ]
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:24]


def _to_docs(session: Session, rows: Sequence[Any]) -> list[IndexDoc]:
    version_ids = [r.version_id for r in rows if r.version_id is not None]
    texts: dict[uuid.UUID, list[str]] = {}
    if version_ids:
        pages = session.execute(
            select(DocumentPage.version_id, DocumentPage.text)
            .where(DocumentPage.version_id.in_(version_ids))
            .order_by(DocumentPage.version_id, DocumentPage.page_no)
        )
        for version_id, text in pages:
            texts.setdefault(version_id, []).append(text or "")
    docs = []
    for row in rows:
        page_texts = texts.get(row.version_id, [])
        docs.append(
            IndexDoc(
                doc_id=as_uuid(row.id),
                tenant_id=as_uuid(row.tenant_id),
                org_unit_id=as_uuid(row.org_unit_id),
                case_file_id=as_uuid(row.case_file_id),
                title=row.title,
                doc_type=row.doc_type,
                source=row.source,
                aktenzeichen=row.aktenzeichen,
                bg_nummer=row.bg_nummer,
                kundennummer=row.kundennummer,
                person_name=row.person_name,
                case_status=row.status,
                document_date=row.document_date,
                received_at=row.received_at,
                text="\n\n".join(page_texts),
                stamp=stamp(row, len(page_texts), sum(len(t) for t in page_texts)),
            )
        )
    return docs


def load(session: Session, doc_ids: Sequence[uuid.UUID]) -> list[IndexDoc]:
    """The indexable (``ready``) documents and the Aktenvermerke among ``doc_ids``; others
    are simply absent."""
    if not doc_ids:
        return []
    rows = session.execute(_base().where(Document.id.in_(list(doc_ids)))).all()
    docs = _to_docs(session, rows)
    missing = set(doc_ids) - {d.doc_id for d in docs}
    return docs + load_notes(session, sorted(missing)) if missing else docs


def snippet_texts(
    session: Session, doc_ids: Sequence[uuid.UUID], max_chars: int
) -> dict[uuid.UUID, str]:
    """The current text of each document, at most ``max_chars`` of it (what a snippet
    can be cut from), in one query; pages beyond that are not read. A page whose text
    does not match its digest contributes nothing (the whole page is read to check it)."""
    if not doc_ids:
        return {}
    rows = session.execute(
        select(
            Document.id,
            DocumentPage.text,
            DocumentPage.version_id,
            DocumentPage.page_no,
            DocumentPage.text_digest,
        )
        .join(
            DocumentVersion,
            and_(
                DocumentVersion.document_id == Document.id,
                DocumentVersion.version_no == Document.current_version,
            ),
        )
        .join(DocumentPage, DocumentPage.version_id == DocumentVersion.id)
        .where(Document.id.in_(list(doc_ids)))
        .where(DocumentPage.page_no <= SNIPPET_PAGES)
        .order_by(Document.id, DocumentPage.page_no)
    )
    texts: dict[uuid.UUID, list[str]] = {}
    for doc_id, text, version_id, page_no, digest in rows:
        parts = texts.setdefault(doc_id, [])
        if digest is not None and digest != page_digest(version_id, page_no, text):
            text = ""  # altered since it was written: never quoted as if right
        if sum(len(p) for p in parts) < max_chars:
            parts.append((text or "")[:max_chars])
    found = {doc_id: "\n\n".join(parts)[:max_chars] for doc_id, parts in texts.items()}
    missing = [i for i in doc_ids if i not in found]
    return {**found, **note_texts(session, missing, max_chars)} if missing else found


def document_ids_of_case_file(session: Session, case_file_id: uuid.UUID) -> list[uuid.UUID]:
    """Ids of the Akte's documents and Aktenvermerke (both carry its fields in the index)."""
    ids = [
        as_uuid(d)
        for d in session.scalars(select(Document.id).where(Document.case_file_id == case_file_id))
    ]
    if CaseNote is not None:
        ids += [
            as_uuid(n)
            for n in session.scalars(
                select(CaseNote.id).where(CaseNote.case_file_id == case_file_id)
            )
        ]
    return ids


def tenant_ids(session: Session) -> list[uuid.UUID]:
    found = {as_uuid(t) for t in session.scalars(select(Document.tenant_id).distinct())}
    if CaseNote is not None:
        found |= {as_uuid(t) for t in session.scalars(select(CaseNote.tenant_id).distinct())}
    return sorted(found)


def tenant_sizes(session: Session) -> dict[uuid.UUID, int]:
    """Ready documents per tenant (to schedule the largest rebuilds first)."""
    rows = session.execute(
        select(Document.tenant_id, func.count())
        .where(Document.status == DocumentStatus.ready)
        .group_by(Document.tenant_id)
    )
    return {as_uuid(tenant_id): int(n) for tenant_id, n in rows}


def any_ready(session: Session) -> bool:
    return (
        session.scalar(select(Document.id).where(Document.status == DocumentStatus.ready).limit(1))
        is not None
    )


def _in_batches(
    factory: sessionmaker[Session],
    stmt: Any,
    batch: int,
    convert: Callable[[Session, Sequence[Any]], list[T]],
    key: Any = Document.id,
    after: uuid.UUID | None = None,
) -> Iterator[T]:
    """``stmt``'s rows in ``key`` (id) order, ``batch`` at a time, each batch read and
    converted in one short transaction (keyset pagination: ``id > last``), starting
    after the id ``after``."""
    last = after
    while True:
        with session_scope(factory) as session:
            page = stmt.order_by(key)
            if last is not None:
                page = page.where(key > last)
            rows = session.execute(page.limit(batch)).all()
            if not rows:
                return
            converted = convert(session, rows)
            last = rows[-1].id
        yield from converted


@dataclass(frozen=True)
class Piece:
    """A run of a tenant's rebuild stream: one org unit's documents (or, ``notes``, its
    Aktenvermerke) with ids in ``(after, upto]`` (``None``: unbounded), in id order."""

    unit: uuid.UUID
    notes: bool = False
    after: uuid.UUID | None = None
    upto: uuid.UUID | None = None


def _units(session: Session, tenant_id: uuid.UUID) -> list[uuid.UUID]:
    return list(
        session.scalars(
            select(CaseFile.org_unit_id)
            .where(CaseFile.tenant_id == tenant_id)
            .distinct()
            .order_by(CaseFile.org_unit_id)
        )
    )


def _piece_stmt(tenant_id: uuid.UUID, piece: Piece, *columns: Any) -> tuple[Any, Any]:
    """The rows of ``piece`` up to ``upto`` (with ``columns``, else the indexed ones) and
    their id column (``after`` is left to the caller: keyset pagination starts there)."""
    if piece.notes:
        stmt = _note_base(*columns).where(
            CaseNote.tenant_id == tenant_id, CaseFile.org_unit_id == piece.unit
        )
        key = CaseNote.id
    else:
        stmt = _base(*columns).where(
            Document.tenant_id == tenant_id, CaseFile.org_unit_id == piece.unit
        )
        key = Document.id
    if piece.upto is not None:
        stmt = stmt.where(key <= piece.upto)
    return stmt, key


def pieces(session: Session, tenant_id: uuid.UUID) -> list[Piece]:
    """A tenant's whole rebuild stream: org unit by org unit, documents then notes."""
    kinds = (False, True) if CaseNote is not None else (False,)
    return [Piece(unit, notes) for unit in _units(session, tenant_id) for notes in kinds]


def split(session: Session, tenant_id: uuid.UUID, parts: int) -> list[list[Piece]]:
    """A tenant's rebuild stream cut into ``parts`` consecutive parts of about equal
    size (fewer if there are fewer rows), so that part 1, then part 2, … streams exactly
    what :func:`stream` streams, in the same order.

    A cut may fall inside an org unit (at a document id): the unit then continues in the
    next part, and since the parts become consecutive segments of one index its
    documents are still one run of document numbers. The pieces of a unit cut at an id
    together cover every id (the first open below, the last above), so a row added
    while the rebuild runs is streamed by exactly one part, as by :func:`stream`.
    Costs a count per unit and one ``OFFSET`` query per cut inside a unit.
    """
    whole = pieces(session, tenant_id)
    counts: list[int] = []
    for piece in whole:
        stmt, _key = _piece_stmt(tenant_id, piece, func.count())
        counts.append(int(session.scalar(stmt) or 0))
    total = sum(counts)
    parts = max(1, min(parts, total))
    cuts = [total * k // parts for k in range(1, parts)]  # rows before each cut
    out: list[list[Piece]] = [[]]
    seen = 0
    for piece, count in zip(whole, counts, strict=True):
        current = piece
        while cuts and cuts[0] < seen + count:
            offset = cuts.pop(0) - seen  # rows of this piece that stay in this part
            if offset == 0:
                out.append([])
                continue
            stmt, key = _piece_stmt(
                tenant_id, current, CaseNote.id if current.notes else Document.id
            )
            if current.after is not None:
                stmt = stmt.where(key > current.after)
            boundary = as_uuid(session.scalar(stmt.order_by(key).offset(offset - 1).limit(1)))
            out[-1].append(Piece(current.unit, current.notes, current.after, boundary))
            out.append([])
            current = Piece(current.unit, current.notes, boundary, current.upto)
            seen += offset
            count -= offset
        out[-1].append(current)
        seen += count
    return out


def stream(
    factory: sessionmaker[Session],
    tenant_id: uuid.UUID,
    batch: int = BATCH,
    part: Sequence[Piece] | None = None,
) -> Iterator[IndexDoc]:
    """Every ready document of a tenant, org unit by org unit, one short transaction per
    batch (``part``: only those pieces of it, see :func:`split`).

    Grouping by org unit makes each unit's documents one contiguous run of document
    numbers in the rebuilt index; a caseworker's query then decodes only the posting
    blocks of their units (see :mod:`search.vectorized`).
    """
    if part is None:
        with session_scope(factory) as session:
            part = pieces(session, tenant_id)
    for piece in part:
        stmt, key = _piece_stmt(tenant_id, piece)
        convert = _notes_to_docs if piece.notes else _to_docs
        yield from _in_batches(factory, stmt, batch, convert, key=key, after=piece.after)


def _stamps(session: Session, rows: Sequence[Any]) -> list[tuple[uuid.UUID, str]]:
    version_ids = [r.version_id for r in rows if r.version_id is not None]
    stats = (
        {
            version_id: (pages, chars)
            for version_id, pages, chars in session.execute(
                select(
                    DocumentPage.version_id,
                    func.count(),
                    func.coalesce(func.sum(func.length(DocumentPage.text)), 0),
                )
                .where(DocumentPage.version_id.in_(version_ids))
                .group_by(DocumentPage.version_id)
            )
        }
        if version_ids
        else {}
    )
    stamps = []
    for row in rows:
        pages, chars = stats.get(row.version_id, (0, 0))
        stamps.append((as_uuid(row.id), stamp(row, int(pages), int(chars))))
    return stamps


def stream_stamps(
    factory: sessionmaker[Session],
    tenant_id: uuid.UUID,
    batch: int = 2000,
    *,
    notes: bool = True,
) -> Iterator[tuple[uuid.UUID, str]]:
    """``(document id, stamp)`` of every ready document, computed without page texts, and
    of every Aktenvermerk (``notes``: for an engine that indexes them)."""
    yield from _in_batches(factory, _base().where(Document.tenant_id == tenant_id), batch, _stamps)
    if notes and CaseNote is not None:
        yield from _in_batches(
            factory,
            _note_base().where(CaseNote.tenant_id == tenant_id),
            batch,
            lambda _s, rows: [(as_uuid(r.id), note_stamp(r)) for r in rows],
            key=CaseNote.id,
        )


# -- Aktenvermerke ----------------------------------------------------------------------------
# A note is indexed like a one-page document of its Akte: the same permission fields (tenant,
# org unit, Akte), so every query's scope applies to it unchanged; ``source`` "note" tells
# the result apart. Notes are append-only: only their Akte's fields can change, and
# re-indexing the Akte (``document_ids_of_case_file``) re-indexes its notes too.


def _note_base(*columns: Any):  # type: ignore[no-untyped-def]
    """Aktenvermerke with ``columns`` (else the indexed ones)."""
    if not columns:
        columns = (
            CaseNote.id,
            CaseNote.tenant_id,
            CaseNote.case_file_id,
            CaseNote.body,
            CaseNote.author_name,
            CaseNote.created_at,
            *_AKTE_COLUMNS,
        )
    return (
        select(*columns).select_from(CaseNote).join(CaseFile, CaseFile.id == CaseNote.case_file_id)
    )


def note_stamp(row: Any) -> str:
    parts = [
        NOTE_SOURCE,
        row.author_name,
        row.created_at.isoformat(),
        as_uuid(row.org_unit_id),
        row.aktenzeichen,
        row.bg_nummer,
        row.kundennummer,
        row.person_name,
        row.status,
        hashlib.sha256(row.body.encode()).hexdigest(),
    ]
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:24]


def _notes_to_docs(_session: Session, rows: Sequence[Any]) -> list[IndexDoc]:
    return [
        IndexDoc(
            doc_id=as_uuid(row.id),
            tenant_id=as_uuid(row.tenant_id),
            org_unit_id=as_uuid(row.org_unit_id),
            case_file_id=as_uuid(row.case_file_id),
            title=f"{NOTE_TYPE} von {row.author_name}",
            doc_type=NOTE_TYPE,
            source=NOTE_SOURCE,
            aktenzeichen=row.aktenzeichen,
            bg_nummer=row.bg_nummer,
            kundennummer=row.kundennummer,
            person_name=row.person_name,
            case_status=row.status,
            document_date=row.created_at.date(),
            received_at=row.created_at,
            text=row.body,
            stamp=note_stamp(row),
        )
        for row in rows
    ]


def load_notes(session: Session, ids: Sequence[uuid.UUID]) -> list[IndexDoc]:
    """The Aktenvermerke among ``ids`` (any other id is simply absent)."""
    if CaseNote is None or not ids:
        return []
    return _notes_to_docs(
        session, session.execute(_note_base().where(CaseNote.id.in_(list(ids)))).all()
    )


def note_texts(session: Session, ids: Sequence[uuid.UUID], max_chars: int) -> dict[uuid.UUID, str]:
    if CaseNote is None or not ids:
        return {}
    rows = session.execute(select(CaseNote.id, CaseNote.body).where(CaseNote.id.in_(list(ids))))
    return {as_uuid(note_id): body[:max_chars] for note_id, body in rows}
