"""API shapes of tenants and org units."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from akte.core.textsafe import SafeStr


class TenantCreate(BaseModel):
    slug: str = Field(
        min_length=2, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$", examples=["jc-musterkreis"]
    )
    name: SafeStr = Field(min_length=1, max_length=200, examples=["Jobcenter Musterkreis"])
    options: dict = Field(default_factory=dict)


class TenantRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    slug: str
    name: str
    options: dict
    created_at: datetime


class OrgUnitCreate(BaseModel):
    code: SafeStr = Field(min_length=1, max_length=64, examples=["LB-1"])
    name: SafeStr = Field(min_length=1, max_length=200, examples=["Leistungsbereich 1"])


class OrgUnitRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    tenant_id: uuid.UUID
    code: str
    name: str
