"""Turning credentials into a :class:`Principal`."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from akte.audit import service as audit
from akte.auth import throttle, timeouts
from akte.auth.principal import Principal
from akte.core.database import utcnow
from akte.core.errors import NotAuthenticated
from akte.core.security import (
    API_KEY_PREFIX,
    hash_api_key,
    hash_password,
    issue_token,
    read_token_claims,
    verify_password,
)
from akte.core.settings import Settings
from akte.tenants.models import Tenant
from akte.users.models import SERVICE_ROLES, ApiKey, Membership, Role, User


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


@cache
def _dummy_hash() -> str:
    """An argon2 hash of nothing anyone knows, with the same parameters as real ones."""
    return hash_password(secrets.token_urlsafe(16))


def check_password(
    session: Session, *, username: str, password: str, ip: str | None, channel: str
) -> User:
    """The user whose password this is, for the API token endpoint and the web login alike.

    Throttled per account and address (:mod:`akte.auth.throttle`). An unknown name costs
    one argon2 verification like a known one, so response times do not tell which names
    exist. Service accounts never log in with a password: they use API keys. Every
    failure is audited; the caller must commit even when this raises.
    """
    username = username.strip()
    try:
        throttle.check(session, username=username, ip=ip)
    except throttle.LoginThrottled:
        audit.record(
            session,
            None,
            f"{channel}.login",
            outcome="throttled",
            ip=ip,
            detail={"username": username[:120]},
        )
        raise
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.password_hash:
        verify_password(_dummy_hash(), password)
        valid = False
    else:
        valid = verify_password(user.password_hash, password)
    reason = None
    if not valid or user is None:
        reason = "wrong username or password"
    elif not user.is_active:
        reason = "account disabled"
    elif Role(user.role) in SERVICE_ROLES:
        reason = "service accounts authenticate with API keys"
    elif not _local_login_allowed(session, user):
        reason = "local login switched off for this tenant: sign in through the directory"
    if reason is not None or user is None:
        throttle.record_failure(session, username=username, ip=ip)
        audit.record(
            session,
            None,
            f"{channel}.login",
            tenant_id=user.tenant_id if user else None,
            outcome="refused",
            ip=ip,
            detail={"username": username[:120], "reason": reason},
        )
        raise NotAuthenticated("wrong username or password", code="invalid_credentials")
    throttle.record_success(session, username=username, ip=ip)
    if user.tenant_id is not None and not _tenant_allows_local_login(session, user.tenant_id):
        audit.record(
            session,
            None,
            f"{channel}.break_glass_login",
            tenant_id=user.tenant_id,
            ip=ip,
            object_type="user",
            object_id=user.id,
            detail={"user_id": str(user.id), "username": user.username},
        )
    return user


def _tenant_allows_local_login(session: Session, tenant_id: uuid.UUID) -> bool:
    tenant = session.get(Tenant, tenant_id)
    return tenant is None or (tenant.options or {}).get("local_login") is not False


def _local_login_allowed(session: Session, user: User) -> bool:
    """Local passwords work unless the tenant switched them off (option ``local_login``);
    its admins keep them then, as break-glass access when the directory is down."""
    if user.tenant_id is None or Role(user.role) is Role.tenant_admin:
        return True
    return _tenant_allows_local_login(session, user.tenant_id)


def login(
    session: Session,
    settings: Settings,
    *,
    username: str,
    password: str,
    ip: str | None = None,
    otp: str | None = None,
) -> tuple[str, int]:
    """A bearer token for a person's username and password (see :func:`check_password`)
    and its lifetime in seconds (capped by the tenant's ``session_max_hours``),
    and the second factor's code when the account has one or its tenant requires one
    (:mod:`akte.identity.second_factor`)."""
    from akte.identity import second_factor  # the identity feature builds on this module

    user = check_password(session, username=username, password=password, ip=ip, channel="api")
    second_factor.check_login(
        session, user, otp, secret_key=settings.effective_secret_key, ip=ip, channel="api"
    )
    audit.record(
        session,
        None,
        "api.login",
        tenant_id=user.tenant_id,
        ip=ip,
        detail={"user_id": str(user.id)},
    )
    ttl = timeouts.token_ttl(session, user.tenant_id, settings.token_ttl_seconds)
    token = issue_token(
        settings.effective_secret_key,
        subject=str(user.id),
        ttl_seconds=ttl,
        generation=user.token_generation,
    )
    return token, ttl


def revoke_all_tokens(session: Session, user: User) -> None:
    """End every bearer token and web session of ``user`` at once (their next request)."""
    user.token_generation = (user.token_generation or 0) + 1
    session.flush()


def _is_provider_token(credential: str) -> bool:
    """A JWT (an OpenID Provider's access token), not one of akte's ``v1.`` tokens."""
    return credential.startswith("eyJ") and credential.count(".") == 2


class ApiKeyExpired(NotAuthenticated):
    code = "api_key_expired"


EXPIRED_AUDIT_EVERY = timedelta(hours=1)


def _refuse_expired(session: Session, key: ApiKey, expired_at: datetime, ip: str | None) -> None:
    """401 ``api_key_expired``, audited at most hourly per key; the entry is committed by
    the caller (:func:`akte.auth.dependencies.get_current_user`) before the refusal."""
    now = utcnow()
    if key.refused_audited_at is None or now - key.refused_audited_at >= EXPIRED_AUDIT_EVERY:
        user = session.get(User, key.user_id)
        key.refused_audited_at = now
        audit.record(
            session,
            None,
            "api_key.expired_use",
            outcome="refused",
            ip=ip,
            tenant_id=user.tenant_id if user else None,
            object_type="user",
            object_id=key.user_id,
            detail={
                "prefix": key.prefix,
                "key_id": str(key.id),
                "expired_at": expired_at.isoformat(),
            },
        )
        session.flush()
    raise ApiKeyExpired(
        f"this API key (prefix {key.prefix}) expired at "
        f"{expired_at.isoformat()}; use its successor or ask for a new one"
    )


def authenticate(
    session: Session, settings: Settings, credential: str, ip: str | None = None
) -> Principal:
    """A principal for a bearer token or API key; ``NotAuthenticated`` for anything else.

    A token of an earlier token generation (password changed, logged out everywhere) is
    refused; service accounts are admitted by API key only. A JWT is an access token of a
    tenant's OpenID Provider (:mod:`akte.identity.bearer`).
    """
    user: User | None = None
    scopes: frozenset[str] | None = None
    if credential.startswith(API_KEY_PREFIX):
        key = session.scalar(
            select(ApiKey).where(
                ApiKey.key_hash == hash_api_key(credential), ApiKey.revoked_at.is_(None)
            )
        )
        if key is not None and key.expires_at is not None and key.expires_at <= utcnow():
            _refuse_expired(session, key, key.expires_at, ip)
        if key is not None:
            user = session.get(User, key.user_id)
            scopes = frozenset(key.scopes) if key.scopes is not None else None
    elif _is_provider_token(credential):
        from akte.identity import bearer  # the identity feature builds on this module

        found = bearer.user_for(session, credential)
        # a service account only through its own client (client credentials), a person
        # never through one
        if found is not None and (Role(found[0].role) in SERVICE_ROLES) == found[1]:
            user = found[0]
    else:
        claims = read_token_claims(settings.effective_secret_key, credential)
        if claims:
            try:
                user = session.get(User, uuid.UUID(claims.subject))
            except ValueError:
                user = None
            if user is not None and (
                claims.generation != user.token_generation or Role(user.role) in SERVICE_ROLES
            ):
                user = None
    if user is None or not user.is_active:
        raise NotAuthenticated("invalid or expired credentials", code="invalid_token")
    principal = principal_for(session, user, ip)
    return replace(principal, scopes=scopes) if scopes is not None else principal
