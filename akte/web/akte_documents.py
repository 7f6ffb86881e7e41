"""The document table of the Akte page: one page of :data:`PAGE_SIZE` rows, sorted and
filtered with the same parameters as the API list (:mod:`akte.documents.listing`).

The page stays lenient where the API is strict: parameters it does not know (``msg`` for
flashes, old bookmarks) are left alone; a value it cannot use is 422 with the field named.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from akte.auth.principal import Principal
from akte.core.errors import Unprocessable
from akte.core.pagination import PageParams, paginate
from akte.documents import service as documents
from akte.documents.listing import DocumentListQuery
from akte.documents.models import Document
from akte.web import messages

PAGE_SIZE = 50
SORT_LABELS = {
    "received_at": "Eingang",
    "title": "Titel",
    "doc_type": "Dokumentart",
    "status": "Status",
}
FIELD_LABELS = {
    "sort": "Sortierung",
    "order": "Reihenfolge",
    "doc_type": "Dokumentart",
    "vorgang": "Vorgang",
    "year": "Jahr",
    "source": "Quelle",
    "status": "Status",
    "q": "Suche",
    "page": "Seite",
}


def parse(params: Any) -> DocumentListQuery:
    """The known parameters of the page's query string (empty ones as not given)."""
    known = {
        name: params[name]
        for name in DocumentListQuery.model_fields
        if name != "size" and params.get(name) not in (None, "")
    }
    try:
        return DocumentListQuery.model_validate({**known, "size": PAGE_SIZE})
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first.get("loc") else ""
        raise Unprocessable(
            f"{FIELD_LABELS.get(field, field)}: {messages.form_reason(first)}",
            code="invalid_filter",
        ) from None


@dataclass
class Table:
    documents: list[Document]
    total: int
    query: DocumentListQuery
    doc_types: list[str]

    @property
    def pages(self) -> int:
        return max((self.total + PAGE_SIZE - 1) // PAGE_SIZE, 1)

    def link(self, **changes: Any) -> str:
        """The page's query string with ``changes`` (``None`` drops a parameter)."""
        values: dict[str, Any] = {
            **self.query.filters(),
            "sort": self.query.sort,
            "order": self.query.order,
            "page": self.query.page,
        }
        values.update(changes)
        defaults = {"sort": "received_at", "order": "desc", "page": 1}
        kept = {
            k: v for k, v in values.items() if v is not None and v != "" and defaults.get(k) != v
        }
        return "?" + urlencode(kept) if kept else "?"

    def sort_link(self, key: str) -> str:
        """Sorting by ``key``; the column already sorted by flips its order."""
        if self.query.sort == key:
            order = "asc" if self.query.order == "desc" else "desc"
        else:
            order = "desc" if key == "received_at" else "asc"
        return self.link(sort=key, order=order, page=None)

    def arrow(self, key: str) -> str:
        """A visible hint of the sorted column (screen readers get ``aria-sort``)."""
        if self.query.sort != key:
            return ""
        return " ▲" if self.query.order == "asc" else " ▼"

    def aria_sort(self, key: str) -> str:
        if self.query.sort != key:
            return "none"
        return "ascending" if self.query.order == "asc" else "descending"


def table(
    session: Session, principal: Principal, case_file_id: Any, query: DocumentListQuery
) -> Table:
    """One page of the Akte's documents (access checked and audited by the service)."""
    stmt = documents.list_query(session, principal, case_file_id, query)
    rows, total = paginate(session, stmt, PageParams(query.page, PAGE_SIZE))
    doc_types = sorted(
        t
        for t in session.scalars(
            select(Document.doc_type).where(Document.case_file_id == case_file_id).distinct()
        )
        if t
    )
    return Table(rows, total, query, doc_types)
