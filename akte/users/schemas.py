"""API shapes of users, service accounts, API keys and memberships."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema

from akte.core.isotime import IsoDateTime
from akte.core.jsontypes import JsonInt
from akte.core.textsafe import SafeStr
from akte.users.models import SERVICE_ROLES, Role

_SERVICE = sorted(r.value for r in SERVICE_ROLES)
_PEOPLE = sorted(r.value for r in Role if r not in SERVICE_ROLES)


class UserCreate(BaseModel):
    #: the rule of ``_password_for_people``, published: people give a password, service
    #: accounts none
    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"properties": {"role": {"enum": _PEOPLE}}, "required": ["password"]},
                {"properties": {"role": {"enum": _SERVICE}}, "not": {"required": ["password"]}},
            ]
        }
    )

    username: str = Field(min_length=2, max_length=120, pattern=r"^[A-Za-z0-9._@-]+$")
    display_name: SafeStr = Field(min_length=1, max_length=200)
    role: Role
    password: Annotated[str, Field(min_length=10, max_length=200)] | SkipJsonSchema[None] = None
    org_unit_ids: list[uuid.UUID] = Field(default_factory=list)

    @model_validator(mode="after")
    def _password_for_people(self) -> UserCreate:
        if self.role not in SERVICE_ROLES and not self.password:
            raise ValueError("people need a password (10+ characters)")
        if self.role in SERVICE_ROLES and "password" in self.model_fields_set:
            raise ValueError("service accounts authenticate with API keys; give no password")
        return self


class PasswordChange(BaseModel):
    current_password: str = Field(min_length=1, max_length=200)
    new_password: str = Field(min_length=10, max_length=200)


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    tenant_id: uuid.UUID | None
    username: str
    display_name: str
    role: Role
    is_active: bool
    created_at: datetime


class PasswordResetIssued(BaseModel):
    """A one-time password replacing the person's password: shown this once, stored only
    as a hash. The admin hands it over; the person signs in with it and sets their own."""

    user_id: uuid.UUID
    one_time_password: str


class UserCreated(UserRead):
    #: Service accounts only: the API key, shown this once and never again.
    api_key: str | None = None


class ApiKeyCreate(BaseModel):
    """Optionally limit the key to named scopes (``outbox:read``, ``deliveries:write``, see
    :mod:`akte.auth.scopes`); without, it may do what the account's role may."""

    model_config = ConfigDict(extra="forbid")

    scopes: list[str] | None = Field(default=None, max_length=50)

    #: When the key stops working (401 ``api_key_expired``); in the future. Left out:
    #: until revoked.
    expires_at: IsoDateTime | None = None
    #: Rotation: the key (id) this one replaces. It keeps working for ``grace_seconds``
    #: more, so the service can switch over, then expires by itself.
    replaces: uuid.UUID | None = None
    grace_seconds: JsonInt = Field(default=86400, ge=0, le=30 * 86400)

    @field_validator("scopes")
    @classmethod
    def _scopes(cls, value: list[str] | None) -> list[str] | None:
        from akte.auth.scopes import SCOPE

        if value is None:
            return None
        if bad := [s for s in value if not SCOPE.match(s)]:
            raise ValueError(f"scopes are <area>:read or <area>:write, not {bad}")
        return sorted(set(value))


class ApiKeyCreated(BaseModel):
    #: the service account's id
    id: uuid.UUID
    api_key: str
    scopes: list[str] | None = None
    #: the key's own id (to list, rotate or revoke it)
    key_id: uuid.UUID | None = None
    expires_at: datetime | None = None


class ApiKeyRead(BaseModel):
    """A key as its account's admins see it: never the key itself, its first group only."""

    id: uuid.UUID
    prefix: str
    scopes: list[str] | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    #: ``active``, ``expired`` or ``revoked``
    state: str


class MembershipWrite(BaseModel):
    valid_until: IsoDateTime | None = None


class MembershipRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    user_id: uuid.UUID
    org_unit_id: uuid.UUID
    valid_until: datetime | None


class Me(BaseModel):
    id: uuid.UUID
    username: str
    role: Role
    tenant_id: uuid.UUID | None
    org_unit_ids: list[uuid.UUID]
