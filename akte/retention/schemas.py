"""API shapes of retention rules, legal holds and early deletion."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.json_schema import SkipJsonSchema

from akte.core.jsontypes import JsonInt


class RuleWrite(BaseModel):
    #: ``None``: the default for every Dokumentart without its own rule.
    doc_type: str | None = Field(default=None, max_length=100)
    years: JsonInt = Field(ge=0, le=200)  # 5 or 5.0, not "5" or false
    after: Literal["closed", "received"] = "closed"


class RuleRead(RuleWrite):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID


class HoldCreate(BaseModel):
    """Exactly one of ``case_file_id`` and ``document_id`` (published as ``oneOf``)."""

    model_config = ConfigDict(
        json_schema_extra={"oneOf": [{"required": ["case_file_id"]}, {"required": ["document_id"]}]}
    )

    case_file_id: uuid.UUID | SkipJsonSchema[None] = None
    document_id: uuid.UUID | SkipJsonSchema[None] = None
    reason: str = Field(min_length=3, max_length=2000)

    @model_validator(mode="after")
    def _exactly_one(self) -> HoldCreate:
        given = {"case_file_id", "document_id"} & self.model_fields_set
        if len(given) != 1 or (self.case_file_id is None and self.document_id is None):
            raise ValueError("give exactly one of case_file_id and document_id")
        return self


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
