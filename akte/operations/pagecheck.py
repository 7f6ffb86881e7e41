"""The ``akte fsck`` check of derived text: do page texts still match their digests?

Each ``document_pages`` row carries the digest written with its text
(:func:`akte.documents.models.page_digest`). A mismatch means the text was altered after
it was written (bytes overwritten in the database file, a partial restore). Reads already
refuse to show such a page (:mod:`akte.documents.pagetexts`); repair re-queues processing
of the version from its original, which writes the pages anew. A version that already has
a processing job waiting or running is not queued twice, so repeated ``--repair`` runs do
not pile up jobs.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from akte.core.context import AppContext
from akte.core.database import session_scope
from akte.documents.intake import PROCESS_TASK
from akte.documents.models import DocumentPage, DocumentVersion, page_digest
from akte.jobs import repository as jobs
from akte.jobs.models import Job

BATCH = 2000


@dataclass(frozen=True)
class DamagedText:
    document_id: str
    version_no: int
    pages: tuple[int, ...]

    def __str__(self) -> str:
        pages = ", ".join(str(p) for p in self.pages)
        return f"document {self.document_id} v{self.version_no}: page text(s) {pages}"


def check(
    ctx: AppContext, *, progress: Callable[[str], None] = lambda _m: None
) -> list[DamagedText]:
    """Every version with at least one page text that does not match its digest."""
    bad: dict[uuid.UUID, list[int]] = {}
    checked = 0
    with session_scope(ctx.session_factory) as session:
        rows = session.execute(
            select(
                DocumentPage.version_id,
                DocumentPage.page_no,
                DocumentPage.text,
                DocumentPage.text_digest,
            ).execution_options(yield_per=BATCH)
        )
        for version_id, page_no, text, digest in rows:
            checked += 1
            if digest is not None and digest != page_digest(version_id, page_no, text):
                bad.setdefault(version_id, []).append(page_no)
        progress(f"checked {checked} page texts, {sum(map(len, bad.values()))} damaged")
        if not bad:
            return []
        versions = session.execute(
            select(
                DocumentVersion.id, DocumentVersion.document_id, DocumentVersion.version_no
            ).where(DocumentVersion.id.in_(list(bad)))
        ).all()
    return sorted(
        DamagedText(str(doc_id), version_no, tuple(sorted(bad[version_id])))
        for version_id, doc_id, version_no in versions
    )


def repair(ctx: AppContext, damaged: list[DamagedText]) -> list[str]:
    """Re-queue processing from the original for each damaged version (once)."""
    if not damaged:
        return []
    done = []
    with session_scope(ctx.session_factory) as session:
        pending = {
            (str(job.payload.get("document_id")), int(job.payload.get("version_no") or 0))
            for job in session.scalars(
                select(Job).where(Job.kind == PROCESS_TASK, Job.status.in_(["queued", "running"]))
            )
        }
        for item in damaged:
            if (item.document_id, item.version_no) in pending:
                continue
            jobs.enqueue(
                session,
                PROCESS_TASK,
                {"document_id": item.document_id, "version_no": item.version_no},
            )
            done.append(
                f"re-queued processing of {item.document_id} v{item.version_no} "
                f"(damaged page text {', '.join(map(str, item.pages))})"
            )
    return done
