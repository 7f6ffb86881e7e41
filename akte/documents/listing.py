"""The document list of one Akte: sorting, filters, a search scoped to the Akte, paging.

One definition serves the API (``GET /api/v1/case-files/{id}/documents``) and the Akte web
page, so both sort and filter alike. An Akte grows for years (1,500 documents is not
rare), so the list is always paged (``size`` ≤ 200) and every filter is applied in SQL:

* ``sort`` ``received_at`` (Eingang, the default), ``title``, ``doc_type``, ``status``;
  ``order`` ``asc``/``desc`` (default ``desc``). Ties are broken by the document id, so
  pages never overlap or skip a row.
* ``doc_type`` exact; ``"-"`` means documents without a Dokumentart.
* ``vorgang`` a Vorgang's id, or ``"none"`` for documents that belong to none.
* ``year`` the document date's year, or the year received where there is no date (the same
  rule as the search facet).
* ``source``, ``status`` exact.
* ``q`` words that must all occur (case-insensitively) in the title, the Dokumentart or the
  recognised text of the current version.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema
from sqlalchemy import Select, and_, column, exists, or_, select, table
from sqlalchemy.sql.elements import ColumnElement

from akte.documents.models import (
    Document,
    DocumentPage,
    DocumentSource,
    DocumentStatus,
    DocumentVersion,
)

SortKey = Literal["received_at", "title", "doc_type", "status"]
NO_DOC_TYPE = "-"
NO_VORGANG = "none"

#: The casework feature's assignment table, named rather than imported: the documents core
#: does not import feature packages (see ``akte/features.py``).
_vorgang_documents = table("vorgang_documents", column("document_id"), column("vorgang_id"))


_HEX = "[0-9a-fA-F]"
_VORGANG = rf"^(none|{_HEX}{{8}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{12}})$"


class DocumentListQuery(BaseModel):
    """Sorting, filters and paging of an Akte's document list (all optional)."""

    model_config = ConfigDict(extra="forbid")

    sort: SortKey = "received_at"
    order: Literal["asc", "desc"] = "desc"
    doc_type: Annotated[str, Field(max_length=100)] | SkipJsonSchema[None] = Field(
        default=None, description='exact Dokumentart; "-" for documents without one'
    )
    vorgang: Annotated[str, Field(pattern=_VORGANG)] | SkipJsonSchema[None] = Field(
        default=None, description='a Vorgang id, or "none" for documents without one'
    )
    year: Annotated[int, Field(ge=1900, le=2999)] | SkipJsonSchema[None] = None
    source: DocumentSource | SkipJsonSchema[None] = None
    status: DocumentStatus | SkipJsonSchema[None] = None
    q: Annotated[str, Field(max_length=200)] | SkipJsonSchema[None] = Field(
        default=None, description="words in title, Dokumentart or recognised text"
    )
    page: Annotated[int, Field(ge=1, le=100_000)] = 1
    size: Annotated[int, Field(ge=1, le=200)] = 50

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    def filters(self) -> dict[str, str]:
        """The filters in use, as query parameters (for links that keep them)."""
        picked = {
            "doc_type": self.doc_type,
            "vorgang": self.vorgang,
            "year": self.year,
            "source": self.source,
            "status": self.status,
            "q": self.q,
        }
        return {k: str(v) for k, v in picked.items() if v not in (None, "")}


_SORT_COLUMNS = {
    "received_at": Document.received_at,
    "title": Document.title,
    "doc_type": Document.doc_type,
    "status": Document.status,
}


def apply(stmt: Select, query: DocumentListQuery) -> Select:
    """``stmt`` (documents of one Akte) narrowed by the filters and put in order."""
    for clause in _clauses(query):
        stmt = stmt.where(clause)
    key = _SORT_COLUMNS[query.sort]
    if query.order == "asc":
        ordering = [key.asc().nulls_first(), Document.id.asc()]
    else:
        ordering = [key.desc().nulls_last(), Document.id.desc()]
    return stmt.order_by(None).order_by(*ordering)


def _clauses(query: DocumentListQuery) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    if query.doc_type == NO_DOC_TYPE:
        clauses.append(or_(Document.doc_type.is_(None), Document.doc_type == ""))
    elif query.doc_type:
        clauses.append(Document.doc_type == query.doc_type)
    if query.vorgang:
        assigned = select(_vorgang_documents.c.document_id)
        if query.vorgang == NO_VORGANG:
            clauses.append(Document.id.not_in(assigned))
        else:
            clauses.append(
                Document.id.in_(
                    assigned.where(_vorgang_documents.c.vorgang_id == uuid.UUID(query.vorgang))
                )
            )
    if query.year is not None:
        clauses.append(_in_year(query.year))
    if query.source:
        clauses.append(Document.source == query.source.value)
    if query.status:
        clauses.append(Document.status == query.status.value)
    for word in (query.q or "").split():
        clauses.append(_mentions(word))
    return clauses


def _in_year(year: int) -> ColumnElement[bool]:
    start = datetime(year, 1, 1, tzinfo=UTC)
    end = datetime(year + 1, 1, 1, tzinfo=UTC)
    return or_(
        and_(
            Document.document_date >= date(year, 1, 1),
            Document.document_date < date(year + 1, 1, 1),
        ),
        and_(
            Document.document_date.is_(None),
            Document.received_at >= start,
            Document.received_at < end,
        ),
    )


def _escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _mentions(word: str) -> ColumnElement[bool]:
    like = f"%{_escape_like(word)}%"
    in_text = exists(
        select(DocumentPage.page_no)
        .join(DocumentVersion, DocumentVersion.id == DocumentPage.version_id)
        .where(
            DocumentVersion.document_id == Document.id,
            DocumentVersion.version_no == Document.current_version,
            DocumentPage.text.ilike(like, escape="\\"),
        )
    )
    return or_(
        Document.title.ilike(like, escape="\\"), Document.doc_type.ilike(like, escape="\\"), in_text
    )
