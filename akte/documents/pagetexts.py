"""Page texts as they may be shown: checked against the digest written with them.

A page text is derived data (text layer or OCR), but a caseworker acts on it, and search
snippets quote it. Each row carries :func:`akte.documents.models.page_digest` of its text,
set whenever the text is written; a row whose text no longer matches (bytes altered in the
database file, a bad restore) is returned with ``damaged=True`` and *no* text, never the
altered text as if it were right. ``akte fsck --repair`` re-processes such a document from
its original (:mod:`akte.operations.pagecheck`).

The ORM rows are never changed here: blanking ``text`` on the row itself would be flushed
and, with a fresh digest, turn damage into a silently "valid" empty page.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from akte.documents.models import DocumentPage

log = logging.getLogger("akte.documents")


@dataclass(frozen=True)
class PageText:
    page_no: int
    text: str
    method: str
    confidence: float | None
    damaged: bool = False
    #: Why the page could not be processed (``method == "failed"``).
    problem: str | None = None


def verified(pages: Iterable[DocumentPage]) -> list[PageText]:
    result = []
    for page in pages:
        if page.intact:
            result.append(
                PageText(
                    page.page_no, page.text, page.method, page.confidence, problem=page.problem
                )
            )
        else:
            log.error(
                "page %s of version %s does not match its digest: not shown; "
                "akte fsck --repair re-processes it",
                page.page_no,
                page.version_id,
            )
            result.append(PageText(page.page_no, "", page.method, page.confidence, True))
    return result
