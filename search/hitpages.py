"""Where in a long document the words of a search are: page numbers and that page's snippet.

The index knows that a document matches, not where. Cutting the snippet from the
document's first pages (as before) showed page-1 text for a word that stands only on page
418 of 600, without a highlight. Here the current version's pages are read in page order,
a few dozen at a time, and each is cut with the engine's own snippet function (same
analysis, same stems, so a page counts as a hit exactly when its snippet marks a word).
The first page with a match gives the snippet; up to :data:`MAX_PAGES` matching page
numbers are listed.

Bounded: reading stops at :data:`MAX_PAGES` matches per document, and a whole result page
reads at most :data:`PAGE_BUDGET` page texts (20 hits of 600 pages each would otherwise
be 12,000). Past the budget, remaining hits keep the snippet of their first pages. A page
whose text no longer matches its digest is never quoted.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from akte.documents.models import Document, DocumentPage, DocumentVersion, page_digest

MAX_PAGES = 10
PAGE_BUDGET = 4_000
BATCH = 50
MARK = "<mark>"


@dataclass
class Located:
    #: Page numbers (1-based) whose text holds a searched word, at most :data:`MAX_PAGES`.
    pages: list[int] = field(default_factory=list)
    #: The snippet (HTML, see ``search.snippets``) of the first of those pages.
    snippet: str = ""
    #: ``True`` when reading stopped at the budget before the document's end.
    partial: bool = False


def locate(
    session: Session, doc_ids: Sequence[uuid.UUID], cut: Callable[[str], str]
) -> dict[uuid.UUID, Located]:
    """For each document, the pages where ``cut`` (the engine's snippet function for this
    query) marks a word, and the first such page's snippet."""
    found: dict[uuid.UUID, Located] = {}
    budget = PAGE_BUDGET
    for doc_id in doc_ids:
        located = found[doc_id] = Located()
        last_page = 0
        while len(located.pages) < MAX_PAGES:
            if budget <= 0:
                located.partial = True
                break
            rows = _pages(session, doc_id, after=last_page, limit=min(BATCH, budget))
            if not rows:
                break
            budget -= len(rows)
            for version_id, page_no, text, digest in rows:
                last_page = page_no
                if digest is not None and digest != page_digest(version_id, page_no, text):
                    continue
                snippet = cut(text or "")
                if MARK in snippet:
                    if not located.pages:
                        located.snippet = snippet
                    located.pages.append(page_no)
                    if len(located.pages) >= MAX_PAGES:
                        break
    return found


def _pages(session: Session, doc_id: uuid.UUID, *, after: int, limit: int) -> list:
    return list(
        session.execute(
            select(
                DocumentPage.version_id,
                DocumentPage.page_no,
                DocumentPage.text,
                DocumentPage.text_digest,
            )
            .join(DocumentVersion, DocumentVersion.id == DocumentPage.version_id)
            .join(
                Document,
                and_(
                    Document.id == DocumentVersion.document_id,
                    DocumentVersion.version_no == Document.current_version,
                ),
            )
            .where(Document.id == doc_id, DocumentPage.page_no > after)
            .order_by(DocumentPage.page_no)
            .limit(limit)
        ).all()
    )
