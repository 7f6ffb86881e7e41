"""Searching on behalf of a caller: the one function the API and the web pages call.

Permission filtering happens inside the query: the engine only ever matches documents of
the caller's tenant in the org units they hold a membership in (or single Akten shared
with them), so totals and facet counts describe exactly what the caller may open and
reveal nothing about the rest. Aktenvermerke are indexed beside the documents with their
Akte's permission fields (:mod:`search.loader`), so the same scope decides which a caller
finds; they come back as hits of ``kind`` ``note``.
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from akte.audit import service as audit
from akte.auth import permissions
from akte.auth.principal import Principal
from akte.case_files import service as case_files
from akte.core.context import AppContext
from akte.core.errors import Unprocessable
from akte.users.models import Role
from search import corrections, hitpages, indexing, loader
from search.backend import QuerySpec, Scope
from search.query import typo_tolerant
from search.schema import FACETS
from search.schemas import CaseFileRef, SearchHit, SearchResult, SortOrder
from search.snippets import SCAN_CHARS

SEARCH_ROLES = (Role.caseworker, Role.tenant_admin)
MAX_RESULTS = 10_000
#: The API's page size limit; with :data:`MAX_PAGE` the published schema keeps every
#: page it allows within the first :data:`MAX_RESULTS` results.
MAX_SIZE = 100
MAX_PAGE = MAX_RESULTS // MAX_SIZE


def search(
    ctx: AppContext,
    session: Session,
    principal: Principal,
    *,
    q: str,
    page: int = 1,
    size: int = 20,
    sort: SortOrder = "relevance",
    filters: dict[str, str] | None = None,
    case_file_id: uuid.UUID | None = None,
) -> SearchResult:
    """Ranked, permission-filtered, paginated search with snippets and facets.

    ``q`` uses the query language of ``search/README.md``. ``filters`` are exact facet
    values the user clicked (``{"doc_type": "Kontoauszug", "year": "2024"}``; keys as in
    ``SearchResult.facets``). ``sort="date"`` orders by document date (received date when
    the document has none), newest first. ``case_file_id`` narrows the search to one Akte
    the caller may read (404 if they may not).

    Each hit names the pages where the words occur (``pages``) and its snippet is cut from
    the first of them, however deep in the document (:mod:`search.hitpages`).

    Raises ``Forbidden`` (roles without case-data access), ``InvalidQuery`` (400,
    ``invalid_query``: the detail says what to fix), ``SearchDegraded`` (503: the index
    is missing; ``akte search reindex``). Every search is written to the audit log.
    """
    principal.require_role(*SEARCH_ROLES)
    filters = dict(filters or {})
    unknown = set(filters) - set(FACETS)
    if unknown:
        raise Unprocessable(f"unknown filter {sorted(unknown)}; use {sorted(FACETS)}")
    if page * size > MAX_RESULTS:
        raise Unprocessable(f"only the first {MAX_RESULTS} results can be paged through")
    scope = permissions.readable_search_scope(principal)
    if case_file_id is not None:
        # only after the Akte is known to be readable: a narrower scope, never a wider one
        case_files.get_visible(session, principal, case_file_id)
        scope = Scope(
            tenant_id=scope.tenant_id,
            org_unit_ids=frozenset(),
            case_file_ids=frozenset({case_file_id}),
        )
    service = indexing.get(ctx)
    synonyms = tenant_synonyms(session, principal.tenant_id)
    spec = QuerySpec(
        text=q, scope=scope, page=page, size=size, sort=sort, filters=filters, synonyms=synonyms
    )
    hits = service.backend.search(spec)
    retry = typo_tolerant(q) if hits.total == 0 and not filters else None
    if retry is not None:
        # nothing matched as typed: the words once more, each allowed a typo or two
        hits = service.backend.search(
            QuerySpec(
                text=retry,
                scope=scope,
                page=page,
                size=size,
                sort=sort,
                filters=filters,
                synonyms=synonyms,
            )
        )
    located = hitpages.locate(
        session, [h.doc_id for h in hits.hits], lambda text: service.backend.snippet(hits, text)
    )
    texts = loader.snippet_texts(
        session, [h.doc_id for h in hits.hits if not located[h.doc_id].pages], SCAN_CHARS
    )
    result = SearchResult(
        query=q,
        total=hits.total,
        total_is_estimate=hits.total_is_estimate,
        page=page,
        size=size,
        sort=sort,
        facets=hits.facets,
        hits=[
            SearchHit(
                kind="note" if h.stored["source"] == loader.NOTE_SOURCE else "document",
                document_id=None if h.stored["source"] == loader.NOTE_SOURCE else h.doc_id,
                note_id=h.doc_id if h.stored["source"] == loader.NOTE_SOURCE else None,
                title=h.stored["title"],
                doc_type=h.stored.get("doc_type"),
                source=h.stored["source"],
                document_date=h.stored.get("document_date"),
                received_at=h.stored["received_at"],
                score=round(h.score, 4),
                snippet=located[h.doc_id].snippet
                or service.backend.snippet(hits, texts.get(h.doc_id, "")),
                pages=located[h.doc_id].pages,
                case_file=CaseFileRef(
                    id=h.case_file_id,
                    aktenzeichen=h.stored["aktenzeichen"],
                    person_name=h.stored.get("person_name"),
                    status=h.stored.get("case_status"),
                ),
            )
            for h in hits.hits
        ],
    )
    if retry is not None and result.total:
        # say so: the user sees matches for words they did not type
        result.typo_tolerance = True
        result.corrected_query = corrections.corrected_query(q, (h.snippet for h in result.hits))
    audit.record(
        session,
        principal,
        "search.query",
        object_type="search",
        detail={
            "q": q[:500],
            "filters": filters,
            "page": page,
            "total": hits.total,
            **({"typo_tolerance": True} if result.typo_tolerance else {}),
            **({"case_file_id": str(case_file_id)} if case_file_id else {}),
        },
    )
    return result


def tenant_synonyms(session: Session, tenant_id: uuid.UUID | None) -> tuple[str, ...]:
    """The tenant's own synonym groups (tenant option ``search_synonyms``, set by its
    admin), added to the built-in list for its searches."""
    if tenant_id is None:
        return ()
    from akte.tenants.models import Tenant

    tenant = session.get(Tenant, tenant_id)
    return tuple((tenant.options or {}).get("search_synonyms") or ()) if tenant else ()
