"""API shapes of Akten."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.json_schema import SkipJsonSchema

from akte.core.textsafe import NonBlankSafeStr, SafeStr

CaseFileStatus = Literal["open", "closed"]


class CaseFileCreate(BaseModel):
    aktenzeichen: NonBlankSafeStr = Field(min_length=1, max_length=64, examples=["AZ-2024-000123"])
    org_unit_id: uuid.UUID
    bg_nummer: SafeStr | None = Field(default=None, max_length=64, examples=["12345BG0012345"])
    kundennummer: SafeStr | None = Field(default=None, max_length=64)
    betreff: SafeStr | None = Field(default=None, max_length=500)
    person_name: SafeStr | None = Field(default=None, max_length=200)
    address_lines: list[SafeStr] | None = Field(default=None, max_length=6)
    status: CaseFileStatus = "open"

    @field_validator("aktenzeichen")
    @classmethod
    def _strip(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("Aktenzeichen must not be blank")
        return value


class CaseFileUpdate(BaseModel):
    #: Correcting an Aktenzeichen keeps it unique however typed (409 otherwise).
    #: ``SkipJsonSchema[None]``: may be left out, but ``null`` is not a value (schema and
    #: validator agree).
    aktenzeichen: (
        Annotated[NonBlankSafeStr, Field(min_length=1, max_length=64)] | SkipJsonSchema[None]
    ) = None
    bg_nummer: SafeStr | None = Field(default=None, max_length=64)
    kundennummer: SafeStr | None = Field(default=None, max_length=64)
    betreff: SafeStr | None = Field(default=None, max_length=500)
    person_name: SafeStr | None = Field(default=None, max_length=200)
    address_lines: list[SafeStr] | None = Field(default=None, max_length=6)
    status: CaseFileStatus | SkipJsonSchema[None] = None
    org_unit_id: uuid.UUID | SkipJsonSchema[None] = None

    @field_validator("status", "org_unit_id", "aktenzeichen")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:  # may be left out, but an Akte always has them
            raise ValueError("may be omitted, not null")
        if isinstance(value, str):
            value = value.strip()
            if not value:
                raise ValueError("must not be blank")
        return value


class CaseFileRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    aktenzeichen: str
    org_unit_id: uuid.UUID
    bg_nummer: str | None
    kundennummer: str | None
    betreff: str | None
    person_name: str | None
    address_lines: list[str] | None
    status: CaseFileStatus
    closed_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @field_validator("address_lines", mode="before")
    @classmethod
    def _split_lines(cls, value: object) -> object:
        if isinstance(value, str):
            return value.split("\n") if value else None
        return value
