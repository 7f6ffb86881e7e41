"""API shapes of retention rules, legal holds and early deletion."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class RuleWrite(BaseModel):
    #: ``None``: the default for every Dokumentart without its own rule.
    doc_type: str | None = Field(default=None, max_length=100)
    years: int = Field(ge=0, le=200)
    after: Literal["closed", "received"] = "closed"


class RuleRead(RuleWrite):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID


class HoldCreate(BaseModel):
    case_file_id: uuid.UUID | None = None
    document_id: uuid.UUID | None = None
    reason: str = Field(min_length=3, max_length=2000)


class HoldRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    case_file_id: uuid.UUID | None
    document_id: uuid.UUID | None
    reason: str
    created_at: datetime
    released_at: datetime | None


class DeleteRequest(BaseModel):
    reason: str = Field(min_length=3, max_length=2000)


class DueRead(BaseModel):
    document_id: uuid.UUID
    case_file_id: uuid.UUID
    aktenzeichen: str
    title: str
    doc_type: str | None
    due_since: datetime
    reason: str
