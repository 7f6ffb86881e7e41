"""What a search returns, at the API edge and to the web pages."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

SortOrder = Literal["relevance", "date"]
FacetName = Literal["doc_type", "year", "source", "case_status"]


class CaseFileRef(BaseModel):
    id: uuid.UUID
    aktenzeichen: str
    person_name: str | None = None
    status: str | None = None


class SearchHit(BaseModel):
    #: ``note``: an Aktenvermerk of the Akte (``note_id``; ``document_id`` is null)
    kind: Literal["document", "note"] = "document"
    document_id: uuid.UUID | None
    note_id: uuid.UUID | None = None
    title: str
    doc_type: str | None
    source: str
    document_date: date | None
    received_at: datetime
    score: float
    #: HTML: the document text escaped, matches wrapped in ``<mark>``…``</mark>``.
    snippet: str
    #: Pages (1-based) where the searched words occur, at most ten; the snippet is cut from
    #: the first. Empty when only title, Dokumentart or the Akte's data matched.
    pages: list[int] = []
    case_file: CaseFileRef


class SearchResult(BaseModel):
    query: str
    total: int = Field(description="matches the caller may see (nothing else is counted)")
    total_is_estimate: bool = Field(
        default=False,
        description="true: more than `total` match (the engine stopped counting there; "
        "facets count those first matches only)",
    )
    page: int
    size: int
    sort: SortOrder
    hits: list[SearchHit]
    #: facet name → value → count, over all matches the caller may see.
    facets: dict[str, dict[str, int]]
    typo_tolerance: bool = Field(
        default=False,
        description="nothing matched as typed: these are the matches of the query with "
        "a typo or two allowed in each word of five letters or more",
    )
    corrected_query: str | None = Field(
        default=None,
        description="with typo_tolerance: the query with each loosened word replaced by "
        "the word the hits contain (as written in them), when every one is known; "
        "otherwise null",
    )
