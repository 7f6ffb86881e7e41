"""``GET /api/v1/search``: full-text search over the Akten the caller may read."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic.json_schema import SkipJsonSchema

from akte.auth.dependencies import CurrentUser
from akte.core.dependencies import Context, DbSession
from akte.core.errors import (
    Forbidden,
    NotAuthenticated,
    NotFound,
    ServiceUnavailable,
    Unprocessable,
    responses,
)
from search import service
from search.backend import InvalidQuery
from search.schemas import SearchResult, SortOrder

router = APIRouter(prefix="/api/v1/search", tags=["search"])


@router.get(
    "",
    response_model=SearchResult,
    responses=responses(
        InvalidQuery, NotAuthenticated, Forbidden, NotFound, Unprocessable, ServiceUnavailable
    ),
)
def search(
    ctx: Context,
    session: DbSession,
    principal: CurrentUser,
    # the published pattern (something besides white space) is what the service checks
    # first; its own 400 names the problem better than a pattern mismatch would
    q: Annotated[
        str,
        Query(
            min_length=1,
            max_length=1000,
            json_schema_extra={"pattern": r"\S"},
            description="query, see search/README.md",
        ),
    ],
    # page x size stays within the first MAX_RESULTS results whatever the two are
    page: Annotated[int, Query(ge=1, le=service.MAX_PAGE)] = 1,
    size: Annotated[int, Query(ge=1, le=service.MAX_SIZE)] = 20,
    sort: SortOrder = "relevance",
    doc_type: Annotated[str | None, Query(description="facet filter: Dokumentart")] = None,
    year: Annotated[str | None, Query(description="facet filter: year")] = None,
    source: Annotated[str | None, Query(description="facet filter: source")] = None,
    case_status: Annotated[str | None, Query(description="facet filter: Akte status")] = None,
    case_file_id: Annotated[
        uuid.UUID | SkipJsonSchema[None], Query(description="only this Akte")
    ] = None,
) -> SearchResult:
    """Searches document text, titles, Aktenzeichen, BG-Nummer, Kundennummer, names and
    Dokumentart of the Akten the caller may read.

    Words must all match; `"phrases"`, `OR`, `-word`, `art:Kontoauszug`, `az:`, `bg:`,
    `name:`, `quelle:`, `status:`, `prefix*`, `Müler~` (fuzzy) and
    `datum:2024-01-01..2024-03-31` / `eingang:` ranges work. A query that cannot be read
    gives 400 `invalid_query` with what to fix; a missing index gives 503 `search_degraded`.
    `case_file_id` searches one Akte (404 if the caller may not read it). Each hit lists
    the `pages` where the words occur; its snippet comes from the first of them.
    """
    filters = {
        name: value
        for name, value in (
            ("doc_type", doc_type),
            ("year", year),
            ("source", source),
            ("case_status", case_status),
        )
        if value
    }
    return service.search(
        ctx,
        session,
        principal,
        q=q,
        page=page,
        size=size,
        sort=sort,
        filters=filters,
        case_file_id=case_file_id,
    )
