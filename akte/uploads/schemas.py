"""What the upload-code API reads and answers."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from akte.uploads.service import DEFAULT_VALID_DAYS


class UploadCodeCreate(BaseModel):
    valid_days: int = Field(default=DEFAULT_VALID_DAYS, ge=1, le=180)


class UploadCodeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    case_file_id: uuid.UUID
    prefix: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None
    files_uploaded: int


class UploadCodeIssued(UploadCodeRead):
    code: str = Field(description="the code itself; shown this once, only its hash is kept")
    upload_url: str
