"""API shapes of Vorgänge, Aktenvermerke and Wiedervorlagen."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from akte.core.isotime import IsoDate
from akte.core.textsafe import PublishedPattern, SafeStr

#: Controls other than line break and tab, bidi overrides and separators (as ``SafeStr``).
_TEXT_CLASS = (
    "\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f\\u061c\\u200e\\u200f\\u202a-\\u202e"
    "\\u2066-\\u2069\\u2028\\u2029\\ufeff"
)
_FORBIDDEN_IN_TEXT = re.compile(f"[{_TEXT_CLASS}]")
#: The published form of :data:`Text` (ECMA and Python alike): allowed characters or a
#: CRLF pair, and at least one that is not white space.
_TEXT_CHAR = f"(?:[^{_TEXT_CLASS}]|\\r\\n)"
TEXT_PATTERN = f"^{_TEXT_CHAR}*[^\\s{_TEXT_CLASS}]{_TEXT_CHAR}*$"


def _multiline(value: str) -> str:
    """A note may span lines; nothing else invisible may pass (same reasons as SafeStr)."""
    value = value.replace("\r\n", "\n")
    if _FORBIDDEN_IN_TEXT.search(value):
        raise ValueError("darf keine Steuerzeichen außer Zeilenumbrüchen enthalten")
    if not value.strip():
        raise ValueError("darf nicht leer sein")
    return value


#: Free text of several lines (a Vermerk, the note of a postponement).
Text = Annotated[str, AfterValidator(_multiline), PublishedPattern(TEXT_PATTERN)]


class VorgangCreate(BaseModel):
    title: SafeStr = Field(min_length=1, max_length=300)
    kind: SafeStr | None = Field(default=None, max_length=100)


class Vorgangsarten(BaseModel):
    """A tenant's Vorgangsarten in the order they are offered; empty: the defaults."""

    names: list[Annotated[SafeStr, Field(min_length=1, max_length=100, pattern=r"\S")]] = Field(
        max_length=100
    )


class DokumentartEntry(BaseModel):
    name: SafeStr = Field(min_length=1, max_length=100, pattern=r"\S")
    #: words that suggest it in a recognised text (compared in lower case)
    keywords: list[Annotated[SafeStr, Field(min_length=1, max_length=60)]] = Field(
        default=[], max_length=50
    )


class Dokumentarten(BaseModel):
    """A tenant's Dokumentarten in the order they are offered; empty: the defaults."""

    items: list[DokumentartEntry] = Field(max_length=200)


class VorgangUpdate(BaseModel):
    title: SafeStr | None = Field(default=None, min_length=1, max_length=300)
    kind: SafeStr | None = Field(default=None, max_length=100)


class VorgangRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    case_file_id: uuid.UUID
    title: str
    kind: str | None
    status: str
    opened_at: datetime
    closed_at: datetime | None
    document_count: int = 0


class DocumentVorgang(BaseModel):
    """Which Vorgang the document belongs to; ``null`` takes it out of any."""

    vorgang_id: uuid.UUID | None


class DocumentVorgangRead(BaseModel):
    document_id: uuid.UUID
    vorgang_id: uuid.UUID | None


class DocumentMove(BaseModel):
    """Move a misfiled document into another Akte of the tenant."""

    case_file_id: uuid.UUID
    reason: SafeStr = Field(min_length=1, max_length=500)


class NoteCreate(BaseModel):
    body: Text = Field(max_length=20_000)
    vorgang_id: uuid.UUID | None = None
    #: the note this one corrects (of the same Akte); the old one stays unchanged
    corrects_id: uuid.UUID | None = None


class NoteRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    case_file_id: uuid.UUID
    vorgang_id: uuid.UUID | None
    body: str
    corrects_id: uuid.UUID | None
    author_id: uuid.UUID | None
    author_name: str
    created_at: datetime
    #: ids of later notes that correct this one
    corrected_by: list[uuid.UUID] = []


class FollowUpCreate(BaseModel):
    #: published: not both assignees (the rule of ``_one_assignee``)
    model_config = ConfigDict(
        json_schema_extra={
            "not": {
                "required": ["assignee_user_id", "assignee_org_unit_id"],
                "properties": {
                    "assignee_user_id": {"type": "string"},
                    "assignee_org_unit_id": {"type": "string"},
                },
            }
        }
    )

    due_on: IsoDate
    reason: SafeStr = Field(min_length=1, max_length=500)
    #: a person of the tenant who may read the Akte, or …
    assignee_user_id: uuid.UUID | None = None
    #: … an org unit of the tenant (everyone in it sees it); neither: the creator
    assignee_org_unit_id: uuid.UUID | None = None
    vorgang_id: uuid.UUID | None = None
    #: a document or letter of the Akte the follow-up is about
    document_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _one_assignee(self) -> FollowUpCreate:
        if self.assignee_user_id and self.assignee_org_unit_id:
            raise ValueError("entweder eine Person oder eine Organisationseinheit zuweisen")
        return self


class FollowUpDone(BaseModel):
    note: Text | None = Field(default=None, max_length=5000)


class FollowUpPostpone(BaseModel):
    due_on: IsoDate
    note: Text = Field(max_length=5000)


class FollowUpEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: str
    due_on: date
    note: str | None
    by_name: str
    at: datetime


class FollowUpRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    case_file_id: uuid.UUID
    vorgang_id: uuid.UUID | None
    document_id: uuid.UUID | None
    due_on: date
    reason: str
    assignee_user_id: uuid.UUID | None
    assignee_org_unit_id: uuid.UUID | None
    status: str
    done_at: datetime | None
    created_at: datetime
    #: manual | letter (set by a letter's deadline)
    origin: str = "manual"
    #: the upload code the letter carried, if any
    upload_code_id: uuid.UUID | None = None
    #: "Unterlagen eingegangen": the citizen answered through the upload portal
    papers_received_at: datetime | None = None
    events: list[FollowUpEventRead] = []


class MyFollowUp(FollowUpRead):
    """A line of "Meine Wiedervorlagen": why it is on the caller's list and where."""

    aktenzeichen: str
    #: overdue | today | week | later
    bucket: str
    #: mine (assigned to me) | unit (to one of my org units) | deputy (I stand in)
    why: str
