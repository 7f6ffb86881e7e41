"""HTTP API of users, service accounts, API keys and memberships."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from akte.auth.dependencies import CurrentUser
from akte.core.dependencies import DbSession
from akte.core.errors import (
    Conflict,
    Forbidden,
    NotAuthenticated,
    NotFound,
    Unprocessable,
    responses,
)
from akte.core.pagination import Page, Pagination, paginate
from akte.users import service
from akte.users.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyRead,
    MembershipRead,
    MembershipWrite,
    PasswordResetIssued,
    UserCreate,
    UserCreated,
    UserRead,
)

router = APIRouter(prefix="/api/v1", tags=["Administration"])
COMMON = responses(NotAuthenticated, Forbidden, NotFound)


@router.post(
    "/tenants/{tenant_id}/users",
    status_code=status.HTTP_201_CREATED,
    responses={**COMMON, **responses(Conflict, Unprocessable)},
)
def create_user(
    tenant_id: uuid.UUID, body: UserCreate, session: DbSession, user: CurrentUser
) -> UserCreated:
    """Create a caseworker, tenant admin or service account. A service account's API key is
    in the response, once; only its hash is stored."""
    created, api_key = service.create_user(session, user, tenant_id, user_in=body)
    return UserCreated(**UserRead.model_validate(created).model_dump(), api_key=api_key)


@router.get("/tenants/{tenant_id}/users", responses=COMMON)
def list_users(
    tenant_id: uuid.UUID, session: DbSession, user: CurrentUser, pagination: Pagination
) -> Page[UserRead]:
    """Users and service accounts of a tenant."""
    rows, total = paginate(session, service.list_query(session, user, tenant_id), pagination)
    return Page.of([UserRead.model_validate(u) for u in rows], total, pagination)


@router.post(
    "/users/{user_id}/api-keys",
    status_code=status.HTTP_201_CREATED,
    responses={**COMMON, **responses(Conflict)},
)
def issue_api_key(
    user_id: uuid.UUID, session: DbSession, user: CurrentUser, body: ApiKeyCreate | None = None
) -> ApiKeyCreated:
    """Issue another API key for a service account (shown once), optionally limited to
    ``scopes`` such as ``outbox:read`` (``<area>:read`` or ``<area>:write``, the area being
    the path segment after ``/api/v1/``; a limited key is refused elsewhere, 403
    ``scope_missing``) and to a time (``expires_at``; afterwards 401 ``api_key_expired``).
    Rotation: ``replaces`` names the old key, which keeps working ``grace_seconds`` more."""
    body = body or ApiKeyCreate()
    plaintext, key = service.issue_api_key(
        session,
        user,
        user_id,
        scopes=body.scopes,
        expires_at=body.expires_at,
        replaces=body.replaces,
        grace_seconds=body.grace_seconds,
    )
    return ApiKeyCreated(
        id=user_id, scopes=body.scopes, api_key=plaintext, key_id=key.id, expires_at=key.expires_at
    )


@router.get("/users/{user_id}/api-keys", responses=COMMON)
def list_api_keys(
    user_id: uuid.UUID, session: DbSession, user: CurrentUser, pagination: Pagination
) -> Page[ApiKeyRead]:
    """A service account's keys with their state (active, expired, revoked); never the keys
    themselves."""
    rows, total = paginate(session, service.api_keys(session, user, user_id), pagination)
    return Page.of(
        [
            ApiKeyRead(
                id=k.id,
                prefix=k.prefix,
                scopes=k.scopes,
                created_at=k.created_at,
                expires_at=k.expires_at,
                revoked_at=k.revoked_at,
                state=service.key_state(k),
            )
            for k in rows
        ],
        total,
        pagination,
    )


@router.delete(
    "/users/{user_id}/api-keys/{key_id}",
    status_code=204,
    responses=COMMON,
    response_class=Response,
)
def revoke_api_key(
    user_id: uuid.UUID, key_id: uuid.UUID, session: DbSession, user: CurrentUser
) -> Response:
    """End a key at once (leaked, or the end of a rotation)."""
    service.revoke_api_key(session, user, user_id, key_id)
    return Response(status_code=204)


@router.put("/users/{user_id}/memberships/{org_unit_id}", responses=COMMON)
def grant_membership(
    user_id: uuid.UUID,
    org_unit_id: uuid.UUID,
    body: MembershipWrite,
    session: DbSession,
    user: CurrentUser,
) -> MembershipRead:
    """Give a user access to an org unit's Akten, optionally until a date (Vertretung)."""
    return MembershipRead.model_validate(
        service.grant_membership(session, user, user_id, org_unit_id, membership_in=body)
    )


@router.delete(
    "/users/{user_id}/memberships/{org_unit_id}",
    status_code=204,
    responses=COMMON,
    response_class=Response,
)
def revoke_membership(
    user_id: uuid.UUID, org_unit_id: uuid.UUID, session: DbSession, user: CurrentUser
) -> Response:
    """Withdraw a user's access to an org unit."""
    service.revoke_membership(session, user, user_id, org_unit_id)
    return Response(status_code=204)


@router.post(
    "/users/{user_id}/logout-everywhere",
    status_code=204,
    responses=COMMON,
    response_class=Response,
)
def log_out_everywhere(user_id: uuid.UUID, session: DbSession, user: CurrentUser) -> Response:
    """End every bearer token and web session of a user (their own, or as their admin)."""
    service.log_out_everywhere(session, user, user_id)
    return Response(status_code=204)


@router.post(
    "/users/{user_id}/deactivate",
    responses={**COMMON, **responses(Conflict)},
)
def deactivate(user_id: uuid.UUID, session: DbSession, user: CurrentUser) -> UserRead:
    """Take an account's access away at once (its admin: the tenant's or a system admin).
    It can no longer sign in; its tokens and web sessions end. The row stays for the audit
    log. Idempotent; 409 ``own_account`` for one's own account; another tenant's: 404."""
    return UserRead.model_validate(service.deactivate(session, user, user_id))


@router.post(
    "/users/{user_id}/password-reset",
    responses={**COMMON, **responses(Conflict)},
)
def reset_password(
    user_id: uuid.UUID, session: DbSession, user: CurrentUser
) -> PasswordResetIssued:
    """Replace a person's password by a one-time password, answered this once. Every
    session of the old password ends. 409 for service accounts (``not_a_person_account``)
    and deactivated accounts (``account_inactive``); another tenant's: 404."""
    code = service.reset_password(session, user, user_id)
    return PasswordResetIssued(user_id=user_id, one_time_password=code)
