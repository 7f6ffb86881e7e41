"""Request and response bodies of ``records``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from akte.core.jsontypes import JsonInt
from akte.core.textsafe import SafeStr
from records.models import ExportKind

Term = Annotated[SafeStr, Field(min_length=2, max_length=200)]
XdomeaVersion = Literal["3.0.0", "3.1.0"]


class AreaIn(BaseModel):
    """A rectangle on page ``page`` (1-based) in points of the page as displayed, origin
    top left (what the viewer draws on a page rendered at 72 dpi)."""

    page: JsonInt = Field(ge=1, le=100_000)
    x0: float = Field(ge=0, le=20_000, strict=True)
    top: float = Field(ge=0, le=20_000, strict=True)
    x1: float = Field(ge=0, le=20_000, strict=True)
    bottom: float = Field(ge=0, le=20_000, strict=True)

    @model_validator(mode="after")
    def _not_empty(self) -> AreaIn:
        if self.x1 <= self.x0 or self.bottom <= self.top:
            raise ValueError("an area needs x1 > x0 and bottom > top")
        return self


class RedactionCreate(BaseModel):
    #: published: at least one area or one term (the rule of ``_something``)
    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"required": ["areas"], "properties": {"areas": {"minItems": 1}}},
                {"required": ["terms"], "properties": {"terms": {"minItems": 1}}},
            ]
        }
    )

    areas: list[AreaIn] = Field(default_factory=list, max_length=1000)
    terms: list[Term] = Field(default_factory=list, max_length=50)
    reason: Annotated[SafeStr, Field(min_length=3, max_length=500)]

    @model_validator(mode="after")
    def _something(self) -> RedactionCreate:
        if not self.areas and not self.terms:
            raise ValueError("mark at least one area or search term")
        return self


class TermRedactionCreate(BaseModel):
    """Every hit of ``terms`` in the chosen (or all) documents of an Akte."""

    terms: list[Term] = Field(min_length=1, max_length=50)
    reason: Annotated[SafeStr, Field(min_length=3, max_length=500)]
    document_ids: list[uuid.UUID] | None = Field(default=None, max_length=5000)


class TermPreview(BaseModel):
    terms: list[Term] = Field(min_length=1, max_length=50)
    document_ids: list[uuid.UUID] | None = Field(default=None, max_length=5000)


class AreaRead(BaseModel):
    page: int
    x0: float
    top: float
    x1: float
    bottom: float


class HitRead(BaseModel):
    document_id: uuid.UUID
    title: str
    term: str
    page: int
    areas: list[AreaRead]


class RedactionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    document_id: uuid.UUID
    version_id: uuid.UUID
    source_sha256: str
    redacted_sha256: str
    size: int
    page_count: int
    areas: list[AreaRead]
    terms: list[str]
    redacted_pages: list[int]
    reason: str
    created_by_id: uuid.UUID | None
    created_at: datetime


class ExportCreate(BaseModel):
    kind: ExportKind
    recipient: Annotated[SafeStr, Field(min_length=2, max_length=300)]
    reference: Annotated[SafeStr | None, Field(max_length=200)] = None
    #: A selection (kept in Akte order); ``None``: every filed, processed document.
    document_ids: list[uuid.UUID] | None = Field(default=None, max_length=20_000)
    #: For ``xdomea-abgabe``; default: the tenant's option ``xdomea_version``, else 3.0.0.
    xdomea_version: XdomeaVersion | None = None


class ExportRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    case_file_id: uuid.UUID
    kind: str
    recipient: str
    reference: str | None
    document_ids: list[uuid.UUID]
    xdomea_version: str | None
    status: str
    progress_done: int
    progress_total: int
    page_count: int | None
    pdf_size: int | None
    zip_size: int | None
    zip_name: str | None
    error: str | None
    created_by_id: uuid.UUID | None
    created_at: datetime
    finished_at: datetime | None
    #: The receiver's import confirmation (xdomea 0402) of an Abgabe: ``confirmed``,
    #: ``partial``, ``rejected``, or null while none is recorded.
    confirmation_status: str | None = None
    #: Per object ``{"id", "imported", "messages"}``, and ``missing``: objects sent but not
    #: named in the confirmation.
    confirmation: dict[str, Any] | None = None
    confirmed_at: datetime | None = None


class AussonderungCreate(BaseModel):
    """Offer closed Akten to the archive (xdomea 0501)."""

    model_config = ConfigDict(extra="forbid")

    recipient: SafeStr = Field(
        min_length=2,
        max_length=300,
        pattern=r"\S",
        description="the archive, e.g. Landesarchiv Thüringen",
    )
    case_file_ids: list[uuid.UUID] = Field(min_length=1, max_length=500)
    xdomea_version: XdomeaVersion | None = None


class AussonderungItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    case_file_id: uuid.UUID
    aktenzeichen: str
    #: The archive's Aussonderungsart: A, V, B or a configured value; null before 0502.
    decision: str | None
    #: offered, archive, destroy, undecided, archived, failed
    state: str
    archive_ref: str | None
    remarks: list[str]


class AussonderungMessageRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    sha256: str
    received_at: datetime


class AussonderungRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    recipient: str
    xdomea_version: str
    #: offered → evaluated | building → transferred → done (or failed)
    status: str
    offer_name: str | None
    package_name: str | None
    error: str | None
    created_at: datetime
    items: list[AussonderungItemRead] = []
    #: Messages received from the archive, in order.
    messages: list[AussonderungMessageRead] = []


class TransferCreate(BaseModel):
    """Ask another tenant of this installation to take over an Akte."""

    case_file_id: uuid.UUID
    #: the receiving tenant's short name (slug)
    to_tenant: Annotated[SafeStr, Field(min_length=1, max_length=64)]
    reason: Annotated[SafeStr, Field(min_length=3, max_length=2000)]


class TransferAccept(BaseModel):
    """Take the Akte into one of the receiving tenant's org units."""

    org_unit_id: uuid.UUID


class TransferRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    case_file_id: uuid.UUID
    aktenzeichen: str
    from_tenant_id: uuid.UUID
    to_tenant_id: uuid.UUID
    to_org_unit_id: uuid.UUID | None
    #: requested → accepted → done; or refused, cancelled, failed
    status: str
    reason: str
    decided_at: datetime | None
    finished_at: datetime | None
    document_count: int | None
    error: str | None
    created_at: datetime
