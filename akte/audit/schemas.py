"""API shapes of the audit log (read-only: entries are never written through the API)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class AuditEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    tenant_id: uuid.UUID | None
    actor_id: str | None
    actor_role: str | None
    action: str
    object_type: str | None
    object_id: str | None
    outcome: str
    ip: str | None
    detail: dict[str, Any]
    seq: int | None
    hash: str | None
