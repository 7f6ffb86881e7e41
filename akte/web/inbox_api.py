"""JSON API of the Posteingang: the caller's waiting items with what the page offers
(suggested Dokumentart and title, documents with the same bytes), and filing several in
one call. Same services and checks as the page (:mod:`akte.web.inbox`)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from pydantic import BaseModel, Field

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
from akte.core.textsafe import SafeStr
from akte.documents import service as documents
from akte.documents.schemas import DocumentRead
from akte.web import inbox

router = APIRouter(prefix="/api/v1", tags=["Posteingang"])


class SameBytes(BaseModel):
    document_id: uuid.UUID
    title: str
    case_file_id: uuid.UUID
    aktenzeichen: str


class InboxItemRead(BaseModel):
    document: DocumentRead
    aktenzeichen: str
    suggested_doc_type: str | None
    suggested_title: str | None
    #: other documents the caller may read that hold the same bytes (SHA-256)
    same_bytes: list[SameBytes]


class FileItem(BaseModel):
    document_id: uuid.UUID
    doc_type: SafeStr = Field(min_length=1, max_length=100)
    title: SafeStr = Field(min_length=1, max_length=300)


class FileItems(BaseModel):
    items: list[FileItem] = Field(min_length=1, max_length=200)


@router.get("/inbox", responses=responses(NotAuthenticated, Forbidden))
def list_inbox(session: DbSession, user: CurrentUser,
               org_unit_id: uuid.UUID | None = None) -> list[InboxItemRead]:
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


@router.post("/inbox/file",
             responses=responses(NotAuthenticated, Forbidden, NotFound, Conflict, Unprocessable))
def file_items(body: FileItems, session: DbSession, user: CurrentUser) -> list[DocumentRead]:
    """File several items at once, each with its Dokumentart (one of the tenant's list)
    and title. All or nothing: an item the caller may not file (404), a rejected one
    (409) or an unlisted Dokumentart (422) files none."""
    filed = inbox.file_many(session, user,
                            [(i.document_id, i.doc_type, i.title) for i in body.items])
    return [documents.to_read(session, d) for d in filed]
