"""Jobs that keep derived state (the search index) in step with the database.

They are queued in the caller's transaction, so the index learns of every committed change
and of nothing that was rolled back. The handlers live in the ``search`` package; until a
worker with that package runs, the jobs wait in the queue (nothing is dropped).
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from akte.jobs import repository as jobs
from akte.jobs.models import PRIORITY_INDEX

INDEX_DOCUMENT = "search.index_document"
INDEX_CASE_FILE = "search.index_case_file"
REMOVE_DOCUMENT = "search.remove_document"
MOVE_CASE_FILE = "search.move_case_file"


def document_changed(session: Session, document_id: uuid.UUID) -> None:
    """A document became ready or its metadata changed: (re-)index it."""
    jobs.enqueue(
        session, INDEX_DOCUMENT, {"document_id": str(document_id)}, priority=PRIORITY_INDEX
    )


def case_file_changed(session: Session, case_file_id: uuid.UUID) -> None:
    """An Akte's metadata (Aktenzeichen, names, status, org unit) changed: re-index it."""
    jobs.enqueue(
        session, INDEX_CASE_FILE, {"case_file_id": str(case_file_id)}, priority=PRIORITY_INDEX
    )


def document_removed(session: Session, document_id: uuid.UUID) -> None:
    jobs.enqueue(
        session, REMOVE_DOCUMENT, {"document_id": str(document_id)}, priority=PRIORITY_INDEX
    )


def case_file_moved(session: Session, case_file_id: uuid.UUID) -> None:
    """An Akte went to another tenant: out of every index, into the receiver's."""
    jobs.enqueue(
        session, MOVE_CASE_FILE, {"case_file_id": str(case_file_id)}, priority=PRIORITY_INDEX
    )
