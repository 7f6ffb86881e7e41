"""Identity providers, their group mappings, linked directory identities, pending
OpenID Connect logins, and the second factor of local accounts."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from akte.core.database import Base, Timestamps, UTCDateTime, UUIDPrimaryKey, utcnow

KINDS = ("oidc", "ldap")


class IdentityProvider(UUIDPrimaryKey, Timestamps, Base):
    """One directory of a tenant: an OpenID Provider (Keycloak, AD FS) or an LDAP server.

    ``config`` holds the kind's settings (see :mod:`akte.identity.schemas`); the OIDC
    client secret is kept apart in ``client_secret`` and never leaves the server.
    """

    __tablename__ = "identity_providers"
    __table_args__ = (UniqueConstraint("tenant_id", "slug"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )
    slug: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    client_secret: Mapped[str | None] = mapped_column(String(500))


class GroupMapping(UUIDPrimaryKey, Base):
    """A directory group that gives a role, an org-unit membership, or both."""

    __tablename__ = "identity_group_mappings"

    provider_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("identity_providers.id", ondelete="CASCADE"), index=True
    )
    group: Mapped[str] = mapped_column(String(500))
    role: Mapped[str | None] = mapped_column(String(32))
    org_unit_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("org_units.id", ondelete="CASCADE")
    )


class ExternalIdentity(UUIDPrimaryKey, Timestamps, Base):
    """The link of a directory subject to an akte user, with the groups of its last login
    (so a changed mapping can be applied without waiting for the next login)."""

    __tablename__ = "identity_links"
    __table_args__ = (UniqueConstraint("provider_id", "subject"),)

    provider_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("identity_providers.id", ondelete="CASCADE")
    )
    subject: Mapped[str] = mapped_column(String(500))
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True
    )
    groups: Mapped[list[str]] = mapped_column(JSON, default=list)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class OidcLoginState(Base):
    """An authorization request in flight: the browser holds ``state`` (URL and cookie),
    the server the nonce and the PKCE verifier. Used once, then deleted."""

    __tablename__ = "identity_login_states"

    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    provider_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("identity_providers.id", ondelete="CASCADE")
    )
    nonce: Mapped[str] = mapped_column(String(100))
    code_verifier: Mapped[str] = mapped_column(String(200))
    next_path: Mapped[str] = mapped_column(Text, default="/app")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class DirectorySession(Base):
    """A staff web session that an OpenID Provider vouched for, re-checked at the provider
    every ``session_check_seconds`` with the refresh token kept here (encrypted with a key
    derived from the secret key; it never reaches the browser)."""

    __tablename__ = "identity_sessions"

    web_session_hash: Mapped[str] = mapped_column(
        ForeignKey("web_sessions.token_hash", ondelete="CASCADE"), primary_key=True
    )
    provider_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("identity_providers.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    #: The provider's session id (``sid`` of the ID token), for back-channel logout.
    sid: Mapped[str | None] = mapped_column(String(200), index=True)
    refresh_token: Mapped[str | None] = mapped_column(Text)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SecondFactor(Base):
    """A local account's TOTP secret (RFC 6238), Fernet-encrypted with a key derived from
    the secret key. Unconfirmed (``confirmed_at`` empty) until the person typed a code from
    their app; only a confirmed factor is asked for at login. ``last_step`` is the time
    step of the last accepted code: a code is accepted once."""

    __tablename__ = "identity_second_factors"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    secret: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_step: Mapped[int] = mapped_column(Integer, default=0)


class RecoveryCode(UUIDPrimaryKey, Base):
    """A one-use code for a lost phone, kept as its SHA-256 (50 random bits, throttled)."""

    __tablename__ = "identity_recovery_codes"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ServiceClient(UUIDPrimaryKey, Timestamps, Base):
    """An OAuth client of a tenant's provider that acts as one akte service account: its
    access tokens (client credentials grant) are accepted as that account's bearer token.
    Every token the provider issued to this client speaks for the service account, so the
    client must be one that only the service uses (:mod:`akte.identity.bearer`)."""

    __tablename__ = "identity_service_clients"
    __table_args__ = (UniqueConstraint("provider_id", "client_id"),)

    provider_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("identity_providers.id", ondelete="CASCADE"), index=True
    )
    client_id: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
