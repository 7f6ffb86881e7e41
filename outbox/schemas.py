"""API shapes of letters, their history and batches."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from akte.core.isotime import IsoDate

ReportedStatus = Literal["printed", "posted", "delivered", "returned", "rejected"]


class StatusReport(BaseModel):
    """A provider's report on one letter (form fields; the proof scan is the ``file`` part).

    Unknown fields are refused (422), not ignored: a provider sending ``sendungsnummer``
    instead of ``tracking_number`` must learn it at once, not after the court date.
    """

    model_config = ConfigDict(extra="forbid")

    status: ReportedStatus
    #: form field ``date``: posted on / delivered on / returned on / rejected on (the
    #: provider's date, not the arrival of the report)
    on: IsoDate | None = Field(default=None, alias="date")
    #: ``returned``: why (Empfänger verzogen, Annahme verweigert); ``rejected``: the text.
    reason: str | None = Field(default=None, max_length=500)
    #: ``rejected``: machine-readable cause, e.g. ``pdf_damaged``, ``address_unreadable``.
    reason_code: str | None = Field(default=None, pattern=r"^[a-z0-9_]{2,64}$")
    #: Sendungsnummer of an Einschreiben or PZU.
    tracking_number: str | None = Field(default=None, pattern=r"^[A-Za-z0-9 -]{6,40}$")


class Address(BaseModel):
    name_lines: list[str]
    street: str | None
    postcode: str | None
    city: str | None
    #: ISO 3166-1 alpha-2 code of the destination (``DE``, ``AT``, ``GB`` …)
    country: str


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
    tracking_number: str | None = None
    rejection_code: str | None = None
    rejection_reason: str | None = None
    return_after_delivery: bool = False
    #: ``proof`` (Rückschein / Zustellungsurkunde), ``fiction`` (four-day rule) or
    #: ``delivered`` (a reported later delivery).
    legal_date_source: str | None = None
    #: the recipient's address, structured (name lines, street, postcode, city, country)
    recipient_address: Address | None = None
    sender_address: Address | None = None
    print_profile: str | None = None
    #: ``DL`` (folded, window) or ``C4`` (flat), as the print profile chose it
    envelope: str | None = None
    history: list[LetterEventRead] = []


class SenderRead(BaseModel):
    authority: str
    lines: list[str]
    #: the issuing authority's postal address, when the tenant configured it
    address: Address | None = None


class PzuDetails(BaseModel):
    """What goes onto the Zustellungsurkunde besides the address."""

    aktenzeichen: str
    issuing_authority: str
    subject: str
    notes: str


class ManifestEntry(BaseModel):
    """One letter of a batch (see :mod:`outbox.manifest`)."""

    position: int
    letter_id: uuid.UUID
    file: str
    aktenzeichen: str
    recipient: str
    recipient_address: Address
    sender: SenderRead
    return_address: str | None
    product: str
    #: the print profile the letter was checked against (zones, limits)
    print_profile: str | None = None
    #: ``DL`` (folded, window) or ``C4`` (flat)
    envelope: str
    color: bool
    duplex: bool
    pages: int
    sheets: int
    weight_grams: int
    #: ``standardbrief`` ≤ 20 g, ``kompaktbrief`` ≤ 50 g, ``grossbrief`` ≤ 500 g, ``maxibrief``
    weight_class: str
    pzu: PzuDetails | None
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
    """Proof the provider received the bytes we sealed: the ZIP's SHA-256 (required)."""

    model_config = ConfigDict(extra="forbid")

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
    tracking_number: str | None = None
    rejection_code: str | None = None
    rejection_reason: str | None = None
    return_after_delivery: bool = False
    proof_received: bool = False
    history: list[LetterEventRead]
    #: ``False`` when the report was a duplicate and nothing changed.
    changed: bool = True
