"""API shapes of letters, their history and batches."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

ReportedStatus = Literal["printed", "posted", "delivered", "returned"]


class LetterEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    status: str
    occurred_on: date | None
    recorded_at: datetime
    detail: dict


class LetterRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    case_file_id: uuid.UUID
    document_id: uuid.UUID
    batch_id: uuid.UUID | None
    aktenzeichen: str
    subject: str
    recipient: str
    product: str
    color: bool
    duplex: bool
    page_count: int
    sheet_count: int
    sha256: str
    status: str
    posted_on: date | None
    legal_delivery_date: date | None
    delivered_on: date | None
    return_reason: str | None
    proof_document_id: uuid.UUID | None
    created_at: datetime
    history: list[LetterEventRead] = []


class ManifestEntry(BaseModel):
    position: int
    letter_id: uuid.UUID
    file: str
    aktenzeichen: str
    recipient: str
    product: str
    color: bool
    duplex: bool
    pages: int
    sheets: int
    sha256: str
    size: int


class BatchRead(BaseModel):
    id: uuid.UUID
    tenant_id: uuid.UUID
    product: str
    #: ``ready`` (new or offered again), ``awaiting_ack`` (downloaded, timeout running),
    #: ``handed_over`` (acknowledged).
    status: str
    letter_count: int
    sheet_count: int
    zip_sha256: str | None
    zip_size: int | None
    sealed_at: datetime | None
    offer_expires_at: datetime | None
    download_count: int
    acknowledged_at: datetime | None


class BatchDetail(BatchRead):
    letters: list[ManifestEntry]


class BatchAck(BaseModel):
    """Optional proof the provider received the bytes we sealed."""

    zip_sha256: str | None = None


class ProviderLetterRead(BaseModel):
    """What the provider sees of a letter: its state, never the Akte."""

    id: uuid.UUID
    batch_id: uuid.UUID | None
    status: str
    posted_on: date | None
    legal_delivery_date: date | None
    delivered_on: date | None
    return_reason: str | None
    history: list[LetterEventRead]
    #: ``False`` when the report was a duplicate and nothing changed.
    changed: bool = True
