"""The search box: the full-text search service when installed, a database fallback if not.

Results come as :class:`Hit` s with snippets split into plain and matching parts, so the
template highlights matches with ``<mark>`` while everything stays autoescaped (no
``|safe`` on user text anywhere). The fallback matches Akten by Aktenzeichen, BG-Nummer,
Kundennummer, name or subject, and documents by title, Dokumentart or recognised text
(``LIKE``: fine for a small office, not for millions of pages: that is what ``search`` is
for).
"""

from __future__ import annotations

import importlib
import re
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from akte.audit import service as audit
from akte.auth.principal import Principal
from akte.case_files import service as case_files
from akte.case_files.models import CaseFile
from akte.core.context import AppContext
from akte.documents import repository as document_scope
from akte.documents.models import Document, DocumentPage, DocumentVersion

SNIPPET_CHARS = 160
#: Facets offered beside the results, in this order (names as in ``search.service``).
FACETS = ("doc_type", "year", "source")
NO_TYPE = "ohne Dokumentart"


def facet_values(document: Document) -> dict[str, str]:
    when = document.document_date or document.received_at
    return {
        "doc_type": document.doc_type or NO_TYPE,
        "year": str(when.year),
        "source": document.source,
    }


def ordered(name: str, counts: Iterable[tuple[str, int]]) -> list[tuple[str, int]]:
    """Years newest first, everything else by count."""
    if name == "year":
        return sorted(counts, key=lambda kv: kv[0], reverse=True)
    return sorted(counts, key=lambda kv: (-kv[1], kv[0]))


@dataclass
class Hit:
    case_file_id: uuid.UUID
    aktenzeichen: str
    person_name: str | None
    document_id: uuid.UUID | None = None
    title: str | None = None
    doc_type: str | None = None
    source: str | None = None
    snippet: list[tuple[str, bool]] = field(default_factory=list)
    #: an Aktenvermerk of the Akte (shown on the Akte page at ``#vermerk-<id>``)
    note_id: uuid.UUID | None = None
    #: Pages where the words occur (the snippet is from the first); empty if unknown.
    pages: list[int] = field(default_factory=list)


@dataclass
class Results:
    hits: list[Hit]
    total: int
    facets: dict[str, list[tuple[str, int]]]
    engine: str  # "search" or "database"
    #: Why the query could not run (e.g. unbalanced quotes), to show beside the box.
    error: str | None = None
    page: int = 1
    #: Pages of documents to page through (``total`` also counts the Akten of page 1).
    pages: int = 1
    #: More than ``total`` match (the search engine stopped counting): "mehr als …".
    total_is_estimate: bool = False
    #: Nothing matched as typed; these hits allow a typo or two per word
    #: (``SearchResult.typo_tolerance``), and the words they contain, when known.
    typo_tolerance: bool = False
    corrected_query: str | None = None


def split_highlight(text: str, query: str) -> list[tuple[str, bool]]:
    """``text`` cut into (part, is_match) for every query word, case-insensitively."""
    words = [re.escape(w) for w in query.split() if len(w) > 1]
    if not words or not text:
        return [(text, False)] if text else []
    pattern = re.compile("(" + "|".join(words) + ")", re.IGNORECASE)
    parts: list[tuple[str, bool]] = []
    for index, part in enumerate(pattern.split(text)):
        if part:
            parts.append((part, index % 2 == 1))
    return parts


def marked_to_parts(text: str, start: str, end: str) -> list[tuple[str, bool]]:
    """Snippets from a search engine that marks matches with ``start``/``end`` strings."""
    parts: list[tuple[str, bool]] = []
    rest = text
    while start in rest:
        before, _, after = rest.partition(start)
        match, _, rest = after.partition(end)
        if before:
            parts.append((before, False))
        if match:
            parts.append((match, True))
    if rest:
        parts.append((rest, False))
    return parts


def _excerpt(text: str, query: str) -> str:
    lowered = text.lower()
    positions = [lowered.find(w.lower()) for w in query.split() if w]
    positions = [p for p in positions if p >= 0]
    start = max(min(positions) - SNIPPET_CHARS // 3, 0) if positions else 0
    excerpt = " ".join(text[start : start + SNIPPET_CHARS].split())
    return ("… " if start else "") + excerpt + (" …" if start + SNIPPET_CHARS < len(text) else "")


def search_service() -> Any | None:
    try:
        return importlib.import_module("search.service")
    except ModuleNotFoundError:
        return None


def find(
    session: Session,
    ctx: AppContext,
    principal: Principal,
    q: str,
    *,
    filters: dict[str, str] | None = None,
    limit: int = 50,
    page: int = 1,
    case_file_id: uuid.UUID | None = None,
) -> Results:
    """Akten and documents for ``q``; ``filters`` are clicked facet values (:data:`FACETS`);
    ``page`` counts pages of ``limit`` documents; ``case_file_id`` searches one Akte (the
    caller must be able to read it, else 404)."""
    filters = {k: v for k, v in (filters or {}).items() if k in FACETS and v}
    if case_file_id is not None:
        case_files.get_visible(session, principal, case_file_id)
    service = search_service()
    if service is not None and hasattr(service, "search"):
        from akte.web.search_bridge import via_search_service

        results = via_search_service(
            service,
            session,
            ctx,
            principal,
            q,
            filters=filters,
            limit=limit,
            page=page,
            case_file_id=case_file_id,
        )
        if results is not None:
            return results
    return _database(
        session, principal, q, filters=filters, limit=limit, page=page, case_file_id=case_file_id
    )


def _database(
    session: Session,
    principal: Principal,
    q: str,
    *,
    filters: dict[str, str],
    limit: int,
    page: int = 1,
    case_file_id: uuid.UUID | None = None,
) -> Results:
    hits: list[Hit] = []
    akten = (
        []
        if page > 1 or case_file_id
        else list(
            session.scalars(
                case_files.list_query(principal, status=None, org_unit_id=None, q=q).limit(20)
            )
        )
    )
    for case_file in akten:
        label = " · ".join(x for x in (case_file.betreff, case_file.bg_nummer) if x)
        hits.append(
            Hit(
                case_file.id,
                case_file.aktenzeichen,
                case_file.person_name,
                snippet=split_highlight(label, q),
            )
        )
    like = f"%{q.strip()}%"
    text_match = (
        select(DocumentPage.text)
        .join(DocumentVersion, DocumentVersion.id == DocumentPage.version_id)
        .where(
            DocumentVersion.document_id == Document.id,
            DocumentVersion.version_no == Document.current_version,
            DocumentPage.text.ilike(like),
        )
        .limit(1)
        .scalar_subquery()
    )
    stmt = (
        document_scope.readable_statement(principal)
        .add_columns(CaseFile, text_match)
        .join(CaseFile, CaseFile.id == Document.case_file_id)
        .where(
            or_(Document.title.ilike(like), Document.doc_type.ilike(like), text_match.is_not(None)),
        )
        .order_by(Document.received_at.desc())
        .limit(500)
    )
    if case_file_id is not None:
        stmt = stmt.where(Document.case_file_id == case_file_id)
    doc_hits: list[Hit] = []
    counts: dict[str, Counter[str]] = {name: Counter() for name in FACETS}
    for document, case_file, page_text in session.execute(stmt):
        values = facet_values(document)
        for name, value in values.items():
            counts[name][value] += 1
        if any(values[name] != wanted for name, wanted in filters.items()):
            continue
        snippet_text = _excerpt(page_text, q) if page_text else document.title
        doc_hits.append(
            Hit(
                case_file.id,
                case_file.aktenzeichen,
                case_file.person_name,
                document_id=document.id,
                title=document.title,
                doc_type=document.doc_type,
                source=document.source,
                snippet=split_highlight(snippet_text, q),
            )
        )
    if filters:
        hits = []
    start = (page - 1) * limit
    hits.extend(doc_hits[start : start + limit])
    audit.record(session, principal, "search.query", detail={"q": q, "engine": "database"})
    return Results(
        hits=hits,
        total=len(doc_hits) + len(akten),
        facets={name: ordered(name, counts[name].items()) for name in FACETS},
        engine="database",
        page=page,
        pages=max((len(doc_hits) + limit - 1) // limit, 1),
    )
