"""JSON API of the Posteingang: the caller's waiting items with what the page offers
(suggested Dokumentart and title, documents with the same bytes), and filing several in
one call. Same services and checks as the page (:mod:`akte.inbox.service`)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from akte.audit import service as audit
from akte.auth.dependencies import CurrentUser
from akte.core.dependencies import DbSession
from akte.core.errors import (
    Conflict,
    Forbidden,
    NotAuthenticated,
    NotFound,
    Unprocessable,
    responses,
)
from akte.documents import service as documents
from akte.documents.schemas import DocumentRead
from akte.inbox import service as inbox
from akte.inbox.schemas import FileItems, InboxItemRead, RejectItem, SameBytes

router = APIRouter(prefix="/api/v1", tags=["Posteingang"])


@router.get("/inbox", responses=responses(NotAuthenticated, Forbidden))
def list_inbox(
    session: DbSession, user: CurrentUser, org_unit_id: uuid.UUID | None = None
) -> list[InboxItemRead]:
    """Unfiled, unrejected documents of the Akten the caller may read, oldest first (at
    most 200)."""
    items = inbox.items(session, user, org_unit_id=org_unit_id)
    audit.record(session, user, "inbox.list", detail={"count": len(items)})
    return [
        InboxItemRead(
            document=documents.to_read(session, i.document),
            aktenzeichen=i.case_file.aktenzeichen,
            suggested_doc_type=i.suggestion,
            suggested_title=i.title_suggestion,
            same_bytes=[SameBytes(**d.__dict__) for d in i.duplicates],
        )
        for i in items
    ]


@router.post(
    "/inbox/file",
    responses=responses(NotAuthenticated, Forbidden, NotFound, Conflict, Unprocessable),
)
def file_items(body: FileItems, session: DbSession, user: CurrentUser) -> list[DocumentRead]:
    """File several items at once, each with its Dokumentart (one of the tenant's list)
    and title. All or nothing: an item the caller may not file (404), a rejected one
    (409) or an unlisted Dokumentart (422) files none."""
    filed = inbox.file_many(
        session, user, [(i.document_id, i.doc_type, i.title) for i in body.items]
    )
    return [documents.to_read(session, d) for d in filed]


@router.post(
    "/inbox/{document_id}/reject",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(NotAuthenticated, Forbidden, NotFound, Conflict, Unprocessable),
)
def reject_item(
    document_id: uuid.UUID, body: RejectItem, session: DbSession, user: CurrentUser
) -> Response:
    """Refuse a waiting item with a reason (unreadable, wrong Akte, …). The document and
    its bytes stay (what was received is retained); it leaves the Posteingang, the Akte
    page shows it with the reason, and the citizen's status page says it was returned. An
    item already filed is 409."""
    inbox.reject(session, user, document_id, reason=body.reason)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
