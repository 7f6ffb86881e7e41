"""API shapes of documents and their versions."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.json_schema import SkipJsonSchema

from akte.core.isotime import IsoDate
from akte.core.textsafe import SafeStr

Rendition = Literal["original", "archive", "thumbnail"]


class SourceRead(BaseModel):
    """A file a version was made from (photos composed into one PDF, a form's answers):
    kept as received, downloaded with ``content?version=N&source=position``."""

    model_config = ConfigDict(from_attributes=True)

    position: int
    filename: str
    mime_type: str
    size: int
    sha256: str


class VersionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version_no: int
    filename: str
    mime_type: str
    size: int
    sha256: str
    page_count: int | None
    has_archive: bool = False
    has_thumbnail: bool = False
    #: The archive is declared PDF/A-2b; ``None`` while there is no archive, or for one
    #: built before this was recorded.
    archive_pdfa: bool | None = None
    #: Why the archive is not PDF/A-2b (the first violation found).
    archive_pdfa_problem: str | None = None
    created_at: datetime
    #: What the version was made from, when it is not itself what was received.
    sources: list[SourceRead] = []


class DocumentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    case_file_id: uuid.UUID
    title: str
    doc_type: str | None
    source: str
    received_at: datetime
    document_date: date | None
    status: str
    status_reason: str | None
    filed: bool
    #: when and why the Posteingang refused it (``null``: not refused); a refused document
    #: is neither waiting nor filed
    rejected_at: datetime | None = None
    rejection_reason: str | None = None
    current_version: int
    size: int | None = None
    mime_type: str | None = None
    sha256: str | None = None
    page_count: int | None = None
    #: Of the current version's archive (see :class:`VersionRead`).
    archive_pdfa: bool | None = None
    archive_pdfa_problem: str | None = None


class DocumentDetail(DocumentRead):
    versions: list[VersionRead]


class DocumentUpdate(BaseModel):
    #: may be left out, never ``null`` (not in the schema either)
    title: Annotated[SafeStr, Field(min_length=1, max_length=300)] | SkipJsonSchema[None] = None
    doc_type: SafeStr | None = Field(default=None, max_length=100)
    document_date: IsoDate | None = None

    @field_validator("title")
    @classmethod
    def _title_not_null(cls, value: str | None) -> str:
        if value is None:  # may be left out, but a document always has a title
            raise ValueError("title may be omitted, not null")
        return value


class PageRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    page_no: int
    text: str
    method: str
    confidence: float | None
    #: The stored text no longer matches its digest: ``text`` is empty, not the altered text.
    damaged: bool = False
    #: Why this page could not be processed (``method == "failed"``); the others were.
    problem: str | None = None
