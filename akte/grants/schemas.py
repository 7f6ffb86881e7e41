"""API shapes of single-Akte grants."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, field_validator

from akte.core.isotime import IsoDateTime


class GrantWrite(BaseModel):
    #: When the grant ends by itself; ``None`` = until revoked. Naive times are UTC.
    valid_until: IsoDateTime | None = None

    @field_validator("valid_until")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return value.replace(tzinfo=UTC) if value and value.tzinfo is None else value


class GrantRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    case_file_id: uuid.UUID
    org_unit_id: uuid.UUID
    valid_until: datetime | None
    granted_by_id: uuid.UUID | None
    created_at: datetime
    active: bool = True
