"""The one interface between the search service and an index engine.

The service speaks in :class:`IndexDoc` (what to index), :class:`QuerySpec` (a parsed user
query plus the caller's permission scope) and :class:`Hits`. The Whoosh engine
(:mod:`search.whoosh_backend`) is the only implementation today; another engine (e.g.
OpenSearch for a state-wide installation) would implement the same protocol.

Exceptions: :class:`SearchDegraded` — the index is missing or unreadable; the API answers
503 until ``akte search reindex`` has rebuilt it. :class:`InvalidQuery` — the user's query
cannot be parsed; the API answers 400 with the reason.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal, Protocol

from akte.core.errors import AkteError, ServiceUnavailable


class SearchDegraded(ServiceUnavailable):
    code = "search_degraded"


class SearchTimeout(ServiceUnavailable):
    """A search statement ran past the engine's time limit and was stopped (PostgreSQL's
    ``statement_timeout``): the query was too broad for the moment's load, not wrong."""

    code = "search_timeout"


class InvalidQuery(AkteError):
    status_code = 400
    code = "invalid_query"


@dataclass
class IndexDoc:
    doc_id: uuid.UUID
    tenant_id: uuid.UUID
    org_unit_id: uuid.UUID
    case_file_id: uuid.UUID
    title: str
    doc_type: str | None
    source: str
    aktenzeichen: str
    bg_nummer: str | None
    kundennummer: str | None
    person_name: str | None
    case_status: str
    document_date: date | None
    received_at: datetime
    text: str
    #: Changes whenever anything indexed changes; compared by ``akte search check``.
    stamp: str


@dataclass(frozen=True)
class Scope:
    """Whose documents a query may match: built from the principal, never from input."""

    tenant_id: uuid.UUID
    org_unit_ids: frozenset[uuid.UUID]
    case_file_ids: frozenset[uuid.UUID] = frozenset()

    @property
    def empty(self) -> bool:
        return not self.org_unit_ids and not self.case_file_ids


@dataclass
class QuerySpec:
    text: str
    scope: Scope
    page: int = 1
    size: int = 20
    sort: Literal["relevance", "date"] = "relevance"
    #: Exact facet filters chosen in the UI: facet name → value.
    filters: dict[str, str] = field(default_factory=dict)
    facets: bool = True
    #: The tenant's own synonym groups ("a, b, c" each; tenant option ``search_synonyms``).
    synonyms: tuple[str, ...] = ()


@dataclass
class Hit:
    doc_id: uuid.UUID
    case_file_id: uuid.UUID
    score: float
    stored: dict[str, Any]


@dataclass
class Hits:
    total: int
    hits: list[Hit]
    facets: dict[str, dict[str, int]]
    #: Analysed query terms, for highlighting snippets cut from the database's page texts.
    terms: set[tuple[str, str]] = field(default_factory=set)
    #: More than ``total`` match: the engine stopped counting there (PostgreSQL, a large
    #: result); the facets then count the first ``total`` matches only.
    total_is_estimate: bool = False


class SearchBackend(Protocol):
    def upsert(self, docs: Iterable[IndexDoc]) -> int: ...

    def delete(self, doc_ids: Iterable[uuid.UUID]) -> int: ...

    def search(self, spec: QuerySpec) -> Hits: ...

    def snippet(self, hits: Hits, text: str, max_chars: int = 300) -> str: ...

    def stamps(self, tenant_id: uuid.UUID) -> dict[uuid.UUID, str]: ...

    def tenants(self) -> list[uuid.UUID]: ...

    def rebuild(self, tenant_id: uuid.UUID, docs: Iterator[IndexDoc]) -> int: ...

    def close(self) -> None: ...
