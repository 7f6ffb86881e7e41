"""Users (people and service accounts), API keys and org-unit memberships.

A caseworker sees the Akten of the org units they are a member of (need-to-know, §35 SGB I);
a membership may be limited in time (a deputy, Vertretung) and then expires by itself.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from akte.core.database import Base, Timestamps, UTCDateTime, UUIDPrimaryKey


class Role(enum.StrEnum):
    system_admin = "system_admin"
    tenant_admin = "tenant_admin"
    caseworker = "caseworker"
    importer = "importer"
    print_provider = "print_provider"


SERVICE_ROLES = {Role.importer, Role.print_provider}


class User(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "users"

    #: ``None`` only for system administrators, who manage tenants but read no case data.
    tenant_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )
    username: Mapped[str] = mapped_column(String(120), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Bumped by a password change or "log out everywhere": every bearer token and web
    #: session carries the generation it was issued under and dies when it moves on.
    token_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class ApiKey(UUIDPrimaryKey, Timestamps, Base):
    """A service account's key: shown once, stored as a SHA-256 (keys are 256-bit random)."""

    __tablename__ = "api_keys"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    prefix: Mapped[str] = mapped_column(String(16), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: ``["outbox:read", …]`` (:mod:`akte.auth.scopes`); ``None``: everything the role may.
    scopes: Mapped[list | None] = mapped_column(JSON)
    #: After this the key is refused (401 ``api_key_expired``); ``None``: until revoked.
    #: Rotation sets it on the old key, so old and new work side by side for a while.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: When use of the expired key was last audited (at most hourly: a forgotten cron job
    #: must not fill the audit log).
    refused_audited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Membership(UUIDPrimaryKey, Timestamps, Base):
    """A user's access to one org unit's Akten, optionally for a period only."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "org_unit_id"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    org_unit_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("org_units.id", ondelete="CASCADE"), index=True
    )
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
