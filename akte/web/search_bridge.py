"""Adapting ``search.service.search`` results to the search page's :class:`Hit` s.

The search engine returns snippets as escaped HTML with ``<mark>`` around matches; they are
split back into plain text parts here and escaped again by the template, so nothing from
the index is ever inserted as markup. Akten themselves (by Aktenzeichen, name, BG-Nummer)
come from the database as before, documents from the index. If the index is unavailable
(``SearchDegraded``) the caller falls back to the database search.
"""

from __future__ import annotations

import html
import logging
import uuid
from typing import Any

from sqlalchemy.orm import Session

from akte.auth.principal import Principal
from akte.case_files import service as case_files
from akte.core.context import AppContext
from akte.core.errors import AkteError, ServiceUnavailable
from akte.web.finder import FACETS, Hit, Results, marked_to_parts, ordered, split_highlight

log = logging.getLogger("akte.web")
AKTEN_LIMIT = 10


def via_search_service(
    service: Any,
    session: Session,
    ctx: AppContext,
    principal: Principal,
    q: str,
    *,
    filters: dict[str, str],
    limit: int,
    page: int = 1,
    case_file_id: uuid.UUID | None = None,
) -> Results | None:
    """One page of ``limit`` documents; Akten (by Aktenzeichen, name …) lead page 1 of an
    unfiltered search over all Akten."""
    try:
        result = service.search(
            ctx,
            session,
            principal,
            q=q,
            page=page,
            size=limit,
            filters=filters,
            case_file_id=case_file_id,
        )
    except ServiceUnavailable as exc:
        log.warning("search index unavailable, using the database: %s", exc.detail)
        return None
    except AkteError as exc:
        if exc.status_code != 400:
            raise
        return Results(hits=[], total=0, facets={}, engine="search", error=exc.detail)
    hits: list[Hit] = []
    if not filters and page == 1 and case_file_id is None:
        stmt = case_files.list_query(principal, status=None, org_unit_id=None, q=q)
        for case_file in session.scalars(stmt.limit(AKTEN_LIMIT)):
            label = " · ".join(x for x in (case_file.betreff, case_file.bg_nummer) if x)
            hits.append(
                Hit(
                    case_file.id,
                    case_file.aktenzeichen,
                    case_file.person_name,
                    snippet=split_highlight(label, q),
                )
            )
    for hit in result.hits:
        parts = marked_to_parts(hit.snippet, "<mark>", "</mark>")
        hits.append(
            Hit(
                hit.case_file.id,
                hit.case_file.aktenzeichen,
                hit.case_file.person_name,
                document_id=hit.document_id,
                note_id=hit.note_id,
                title=hit.title,
                doc_type=hit.doc_type,
                source=hit.source,
                snippet=[(html.unescape(text), match) for text, match in parts],
                pages=list(getattr(hit, "pages", []) or []),
            )
        )
    facets = {name: ordered(name, result.facets.get(name, {}).items()) for name in FACETS}
    return Results(
        hits=hits,
        total=result.total + len(hits) - len(result.hits),
        facets=facets,
        engine="search",
        page=page,
        pages=max((result.total + limit - 1) // limit, 1),
        total_is_estimate=result.total_is_estimate,
        typo_tolerance=result.typo_tolerance,
        corrected_query=result.corrected_query,
    )
