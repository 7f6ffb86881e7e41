"""Turning credentials into a :class:`Principal`."""

from __future__ import annotations

import uuid

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from akte.auth.principal import Principal
from akte.core.database import utcnow
from akte.core.errors import NotAuthenticated
from akte.core.security import (
    API_KEY_PREFIX,
    hash_api_key,
    issue_token,
    read_token,
    verify_password,
)
from akte.core.settings import Settings
from akte.users.models import ApiKey, Membership, Role, User


def active_org_unit_ids(session: Session, user_id: uuid.UUID) -> frozenset[uuid.UUID]:
    now = utcnow()
    rows = session.scalars(
        select(Membership.org_unit_id).where(
            Membership.user_id == user_id,
            or_(Membership.valid_until.is_(None), Membership.valid_until > now),
        )
    )
    return frozenset(rows)


def principal_for(session: Session, user: User, ip: str | None = None) -> Principal:
    from akte.grants.service import granted_case_file_ids  # feature: imported at call time

    org_unit_ids = active_org_unit_ids(session, user.id)
    return Principal(
        user_id=user.id,
        username=user.username,
        role=Role(user.role),
        tenant_id=user.tenant_id,
        org_unit_ids=org_unit_ids,
        granted_case_file_ids=granted_case_file_ids(session, org_unit_ids),
        ip=ip,
    )


def login(session: Session, settings: Settings, *, username: str, password: str) -> str:
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.is_active or not verify_password(user.password_hash, password):
        raise NotAuthenticated("wrong username or password", code="invalid_credentials")
    return issue_token(
        settings.effective_secret_key, subject=str(user.id), ttl_seconds=settings.token_ttl_seconds
    )


def authenticate(
    session: Session, settings: Settings, credential: str, ip: str | None = None
) -> Principal:
    """A principal for a bearer token or API key; ``NotAuthenticated`` for anything else."""
    user: User | None = None
    if credential.startswith(API_KEY_PREFIX):
        key = session.scalar(
            select(ApiKey).where(
                ApiKey.key_hash == hash_api_key(credential), ApiKey.revoked_at.is_(None)
            )
        )
        if key is not None:
            user = session.get(User, key.user_id)
    else:
        subject = read_token(settings.effective_secret_key, credential)
        if subject:
            try:
                user = session.get(User, uuid.UUID(subject))
            except ValueError:
                user = None
    if user is None or not user.is_active:
        raise NotAuthenticated("invalid or expired credentials", code="invalid_token")
    return principal_for(session, user, ip)
