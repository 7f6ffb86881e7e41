"""Users, service accounts, API keys and memberships; managed by the tenant's admins."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from akte.audit import service as audit
from akte.auth.principal import Principal
from akte.core.database import utcnow
from akte.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from akte.core.security import hash_password, new_api_key
from akte.tenants import service as tenants
from akte.tenants.models import OrgUnit
from akte.users import repository
from akte.users.models import SERVICE_ROLES, ApiKey, Membership, Role, User
from akte.users.schemas import MembershipWrite, UserCreate


def create_user(
    session: Session,
    principal: Principal | None,
    tenant_id: uuid.UUID | None,
    *,
    user_in: UserCreate,
) -> tuple[User, str | None]:
    """Create a person or service account; returns the one-time API key of the latter."""
    if user_in.role is Role.system_admin:
        if principal is not None:
            principal.require_role(Role.system_admin)
        tenant_id = None
    else:
        if tenant_id is None:
            raise Unprocessable("a tenant is required for this role")
        tenants.get_administered(session, principal, tenant_id)
    if session.scalar(select(User).where(User.username == user_in.username)):
        raise Conflict(f"username {user_in.username} is taken", code="duplicate_username")
    user = User(
        tenant_id=tenant_id,
        username=user_in.username,
        display_name=user_in.display_name,
        role=user_in.role.value,
        password_hash=hash_password(user_in.password) if user_in.password else None,
    )
    session.add(user)
    session.flush()
    for org_unit_id in user_in.org_unit_ids:
        grant_membership(session, principal, user.id, org_unit_id, membership_in=MembershipWrite())
    api_key = (
        issue_api_key(session, principal, user.id)[0] if user_in.role in SERVICE_ROLES else None
    )
    audit.record(
        session,
        principal,
        "user.create",
        object_type="user",
        object_id=user.id,
        tenant_id=tenant_id,
        detail={"role": user.role, "username": user.username},
    )
    return user, api_key


def get_administered(session: Session, principal: Principal | None, user_id: uuid.UUID) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("user not found")
    if principal is not None:
        if user.tenant_id is None:
            principal.require_role(Role.system_admin)
        else:
            tenants.get_administered(session, principal, user.tenant_id)
    return user


def issue_api_key(
    session: Session,
    principal: Principal | None,
    user_id: uuid.UUID,
    *,
    scopes: list[str] | None = None,
    expires_at: datetime | None = None,
    replaces: uuid.UUID | None = None,
    grace_seconds: int = 86400,
) -> tuple[str, ApiKey]:
    """A new key for a service account, shown once; ``scopes`` limits it
    (:mod:`akte.auth.scopes`), ``expires_at`` ends it.

    Rotation: older keys stay valid until revoked or expired; ``replaces`` names the key this
    one takes over from, which then expires ``grace_seconds`` from now (sooner if it was
    going to anyway), so both work while the service switches over."""
    user = get_administered(session, principal, user_id)
    if Role(user.role) not in SERVICE_ROLES:
        # the request is well formed; the target user's kind is what refuses it
        raise Conflict(
            "API keys are for service accounts (importer, print provider)",
            code="not_a_service_account",
        )
    now = utcnow()
    if expires_at is not None and expires_at <= now:
        raise Conflict(
            "expires_at lies in the past: a key must be usable when issued", code="expiry_in_past"
        )
    old = None
    if replaces is not None:
        old = session.get(ApiKey, replaces)
        if old is None or old.user_id != user.id:
            raise NotFound("no such API key of this account", code="api_key_not_found")
        if old.revoked_at is not None or (old.expires_at is not None and old.expires_at <= now):
            raise Conflict(
                "the key to replace is no longer valid; issue a key without replaces",
                code="api_key_not_valid",
            )
    key = new_api_key()
    row = ApiKey(
        user_id=user.id,
        prefix=key.prefix,
        key_hash=key.key_hash,
        scopes=scopes,
        expires_at=expires_at,
    )
    session.add(row)
    if old is not None:
        until = now + timedelta(seconds=grace_seconds)
        old.expires_at = min(old.expires_at, until) if old.expires_at else until
    session.flush()
    audit.record(
        session,
        principal,
        "api_key.issue",
        object_type="user",
        object_id=user.id,
        tenant_id=user.tenant_id,
        detail={
            "prefix": key.prefix,
            "key_id": str(row.id),
            "scopes": scopes,
            "expires_at": expires_at.isoformat() if expires_at else None,
            "replaces": str(old.id) if old else None,
            "replaced_expires_at": old.expires_at.isoformat() if old else None,
        },
    )
    return key.plaintext, row


def key_state(key: ApiKey) -> str:
    if key.revoked_at is not None:
        return "revoked"
    if key.expires_at is not None and key.expires_at <= utcnow():
        return "expired"
    return "active"


def api_keys(session: Session, principal: Principal, user_id: uuid.UUID) -> Select[tuple[ApiKey]]:
    """The keys of a service account its admins may see (newest first)."""
    user = get_administered(session, principal, user_id)
    return (
        select(ApiKey)
        .where(ApiKey.user_id == user.id)
        .order_by(ApiKey.created_at.desc(), ApiKey.id)
    )


def revoke_api_key(
    session: Session, principal: Principal, user_id: uuid.UUID, key_id: uuid.UUID
) -> None:
    """End a key at once (a leaked key, the end of a rotation). Revoking twice is a no-op."""
    user = get_administered(session, principal, user_id)
    key = session.get(ApiKey, key_id)
    if key is None or key.user_id != user.id:
        raise NotFound("no such API key of this account", code="api_key_not_found")
    if key.revoked_at is not None:
        return
    key.revoked_at = utcnow()
    session.flush()
    audit.record(
        session,
        principal,
        "api_key.revoke",
        object_type="user",
        object_id=user.id,
        tenant_id=user.tenant_id,
        detail={"prefix": key.prefix, "key_id": str(key.id)},
    )


def grant_membership(
    session: Session,
    principal: Principal | None,
    user_id: uuid.UUID,
    org_unit_id: uuid.UUID,
    *,
    membership_in: MembershipWrite,
) -> Membership:
    user = get_administered(session, principal, user_id)
    unit = session.get(OrgUnit, org_unit_id)
    if unit is None or unit.tenant_id != user.tenant_id:
        raise NotFound("org unit not found")
    if Role(user.role) not in {Role.caseworker, Role.tenant_admin}:
        raise Forbidden("only caseworkers and tenant admins can be members of an org unit")
    membership = session.scalar(
        select(Membership).where(Membership.user_id == user.id, Membership.org_unit_id == unit.id)
    )
    if membership is None:
        membership = Membership(user_id=user.id, org_unit_id=unit.id)
        session.add(membership)
    membership.valid_until = membership_in.valid_until
    session.flush()
    audit.record(
        session,
        principal,
        "membership.grant",
        object_type="org_unit",
        object_id=unit.id,
        tenant_id=user.tenant_id,
        detail={"user_id": str(user.id), "valid_until": str(membership_in.valid_until)},
    )
    return membership


def revoke_membership(
    session: Session, principal: Principal | None, user_id: uuid.UUID, org_unit_id: uuid.UUID
) -> None:
    user = get_administered(session, principal, user_id)
    membership = session.scalar(
        select(Membership).where(
            Membership.user_id == user.id, Membership.org_unit_id == org_unit_id
        )
    )
    if membership is None:
        raise NotFound("membership not found")
    session.delete(membership)
    session.flush()
    audit.record(
        session,
        principal,
        "membership.revoke",
        object_type="org_unit",
        object_id=org_unit_id,
        tenant_id=user.tenant_id,
        detail={"user_id": str(user.id)},
    )


def list_query(session: Session, principal: Principal, tenant_id: uuid.UUID) -> Select[tuple[User]]:
    """The accounts of ``tenant_id`` (404/403 for a tenant the caller does not administer).
    The scope is :func:`repository.readable_statement`'s alone; a system admin, who reads
    every tenant's, gets the one the path names."""
    tenants.get_administered(session, principal, tenant_id)
    stmt = repository.readable_statement(principal)
    if principal.role is Role.system_admin:
        stmt = stmt.where(User.tenant_id == tenant_id)
    return stmt.order_by(User.username)


def change_password(
    session: Session, principal: Principal, *, current_password: str, new_password: str
) -> None:
    """A person's new password; every token and web session they hold ends with it."""
    from akte.auth.service import revoke_all_tokens
    from akte.core.security import verify_password

    user = session.get(User, principal.user_id)
    if user is None or not verify_password(user.password_hash, current_password):
        raise Forbidden("the current password is wrong", code="wrong_password")
    if current_password == new_password:
        raise Unprocessable("the new password must differ from the current one")
    user.password_hash = hash_password(new_password)
    revoke_all_tokens(session, user)
    audit.record(
        session,
        principal,
        "user.password_change",
        object_type="user",
        object_id=user.id,
        tenant_id=user.tenant_id,
    )


def log_out_everywhere(session: Session, principal: Principal | None, user_id: uuid.UUID) -> None:
    """End every bearer token and web session of a user: their own wish, or an admin's."""
    from akte.auth.service import revoke_all_tokens

    user = (
        session.get(User, user_id)
        if principal and principal.user_id == user_id
        else get_administered(session, principal, user_id)
    )
    if user is None:
        raise NotFound("user not found")
    revoke_all_tokens(session, user)
    audit.record(
        session,
        principal,
        "user.logout_everywhere",
        object_type="user",
        object_id=user.id,
        tenant_id=user.tenant_id,
    )


def deactivate(session: Session, principal: Principal, user_id: uuid.UUID) -> User:
    """Take a person's or service account's access away at once: the account can no longer
    sign in, and every token and web session it holds ends with its next request. The row
    stays (the audit log and authored documents name it). An admin cannot lock themself out."""
    from akte.auth.service import revoke_all_tokens

    user = get_administered(session, principal, user_id)
    if user.id == principal.user_id:
        raise Conflict("you cannot deactivate your own account", code="own_account")
    if user.is_active:
        user.is_active = False
        revoke_all_tokens(session, user)
        audit.record(
            session,
            principal,
            "user.deactivate",
            object_type="user",
            object_id=user.id,
            tenant_id=user.tenant_id,
        )
    return user


#: A reset code is a password: long enough to stand alone, short enough to read out once.
RESET_CODE_BYTES = 12


def reset_password(session: Session, principal: Principal, user_id: uuid.UUID) -> str:
    """Replace a person's password by a one-time code, returned once and stored only as a
    hash, which the admin hands over; the person signs in with it and changes it
    (``POST /api/v1/auth/password``). Every session the old password opened ends."""
    import secrets

    from akte.auth.service import revoke_all_tokens

    user = get_administered(session, principal, user_id)
    if Role(user.role) in SERVICE_ROLES:
        raise Conflict("service accounts have API keys, not passwords", code="not_a_person_account")
    if not user.is_active:
        raise Conflict("the account is deactivated", code="account_inactive")
    code = secrets.token_urlsafe(RESET_CODE_BYTES)
    user.password_hash = hash_password(code)
    revoke_all_tokens(session, user)
    audit.record(
        session,
        principal,
        "user.password_reset",
        object_type="user",
        object_id=user.id,
        tenant_id=user.tenant_id,
    )
    return code
