"""What the Posteingang API reads and answers."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, Field

from akte.core.textsafe import SafeStr
from akte.documents.schemas import DocumentRead


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


class RejectItem(BaseModel):
    #: the caseworker's words; the citizen sees them on their status page
    reason: SafeStr = Field(min_length=1, max_length=1000)
