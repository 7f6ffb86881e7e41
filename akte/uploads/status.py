"""What a citizen handed in with their code, and what became of it.

The one statement of what a citizen session may read: the documents named in the receipts
of *this* upload code, in the code's own tenant and Akte. Nothing else of the Akte (staff
uploads, letters, other codes' uploads) is visible, so a code that leaked shows no more
than what was sent with it. States, in the citizen's words: received (waiting in the
Posteingang), filed (taken into the Akte) or returned (rejected from the Posteingang, with
the caseworker's reason and a plain next step).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from akte.documents.models import Document
from akte.inbox.repository import rejections
from akte.uploads.models import UploadCode, UploadReceipt

RECEIVED, FILED, RETURNED = "received", "filed", "returned"


@dataclass(frozen=True)
class HandedIn:
    filename: str
    received_at: datetime
    state: str
    reason: str | None = None  # the caseworker's words, for a returned document


def receipts_of(session: Session, code: UploadCode) -> list[UploadReceipt]:
    return list(
        session.scalars(
            select(UploadReceipt)
            .where(
                UploadReceipt.upload_code_id == code.id,
                UploadReceipt.tenant_id == code.tenant_id,
            )
            .order_by(UploadReceipt.created_at.desc())
        )
    )


def handed_in(session: Session, code: UploadCode) -> list[HandedIn]:
    """Newest first; a document no longer found (deleted under retention) is left out."""
    receipts = receipts_of(session, code)
    wanted: list[tuple[UploadReceipt, uuid.UUID, str]] = []
    for receipt in receipts:
        for item in receipt.items:
            try:
                wanted.append((receipt, uuid.UUID(item["document_id"]), item["filename"]))
            except (KeyError, ValueError):
                continue
    ids = [document_id for _, document_id, _ in wanted]
    documents = (
        {
            d.id: d
            for d in session.scalars(
                select(Document).where(
                    Document.id.in_(ids),
                    Document.tenant_id == code.tenant_id,
                    Document.case_file_id == code.case_file_id,
                )
            )
        }
        if ids
        else {}
    )
    returned = rejections(session, list(documents))
    result = []
    for receipt, document_id, filename in wanted:
        document = documents.get(document_id)
        if document is None:
            continue
        if document_id in returned:
            state = RETURNED
        elif document.filed:
            state = FILED
        else:
            state = RECEIVED
        result.append(HandedIn(filename, receipt.created_at, state, returned.get(document_id)))
    return result
