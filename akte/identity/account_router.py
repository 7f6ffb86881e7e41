"""A person's own second factor and web sessions (``/api/v1/auth/second-factor``,
``/api/v1/auth/sessions``) and an admin's view of someone else's
(``/api/v1/users/{id}/second-factor``, ``/api/v1/users/{id}/sessions``)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response
from sqlalchemy.orm import Session

from akte.auth.dependencies import CurrentUser
from akte.auth.principal import Principal
from akte.core.dependencies import Context, DbSession
from akte.core.errors import (
    Conflict,
    Forbidden,
    NotAuthenticated,
    NotFound,
    responses,
)
from akte.identity import second_factor, session_list
from akte.identity.schemas import (
    RecoveryCodes,
    SecondFactorConfirm,
    SecondFactorEnrolment,
    SecondFactorStatus,
    SessionRead,
    SessionsEnded,
)
from akte.users.models import Role, User
from akte.web.models import WebSession

router = APIRouter(prefix="/api/v1", tags=["Anmeldung"])
COMMON = responses(NotAuthenticated, Forbidden)


def _person(session: Session, principal: Principal) -> User:
    """The caller's own account; service accounts have API keys and no second factor."""
    if principal.is_service_account:
        raise Forbidden("service accounts authenticate with API keys")
    user = session.get(User, principal.user_id)
    if user is None:
        raise NotAuthenticated("invalid or expired credentials", code="invalid_token")
    return user


@router.get("/auth/second-factor", responses=COMMON)
def read_second_factor(session: DbSession, user: CurrentUser) -> SecondFactorStatus:
    """Whether you have a second factor, whether your tenant requires one, and how many
    recovery codes are left."""
    return SecondFactorStatus(**second_factor.status(session, _person(session, user)))


@router.post("/auth/second-factor", responses={**COMMON, **responses(Conflict)})
def begin_second_factor(
    session: DbSession, user: CurrentUser, ctx: Context
) -> SecondFactorEnrolment:
    """Start setting up a TOTP app: scan ``otpauth_uri`` (or type ``secret``), then confirm
    with a code. 409 when one is set up already (an admin resets it)."""
    secret, uri = second_factor.begin(
        session, _person(session, user), secret_key=ctx.settings.effective_secret_key
    )
    return SecondFactorEnrolment(secret=secret, otpauth_uri=uri)


@router.post(
    "/auth/second-factor/confirm",
    responses={**COMMON, **responses(second_factor.CodeMismatch, Conflict)},
)
def confirm_second_factor(
    body: SecondFactorConfirm, session: DbSession, user: CurrentUser, ctx: Context
) -> RecoveryCodes:
    """Confirm the set-up with a code from the app; from now on every password login asks
    for a code. The recovery codes are in the answer, once."""
    codes = second_factor.confirm(
        session,
        _person(session, user),
        body.code,
        secret_key=ctx.settings.effective_secret_key,
        ip=user.ip,
    )
    return RecoveryCodes(recovery_codes=codes)


@router.delete(
    "/users/{user_id}/second-factor",
    status_code=204,
    response_class=Response,
    responses={**COMMON, **responses(NotFound)},
)
def reset_second_factor(user_id: uuid.UUID, session: DbSession, user: CurrentUser) -> Response:
    """Remove a person's second factor and recovery codes (tenant admins for their tenant,
    system admins); audited. Their next login sets up a new one if the tenant requires it."""
    second_factor.reset(session, user, user_id)
    return Response(status_code=204)


def _read(rows: list[WebSession]) -> list[SessionRead]:
    return [
        SessionRead(
            id=session_list.public_id(r),
            created_at=r.created_at,
            last_seen_at=r.last_seen_at,
            expires_at=r.expires_at,
            ip=r.ip,
            user_agent=r.user_agent,
        )
        for r in rows
    ]


@router.get("/auth/sessions", responses=COMMON)
def my_sessions(session: DbSession, user: CurrentUser) -> list[SessionRead]:
    """Your live browser sessions (started, last used, address, browser)."""
    return _read(session_list.list_sessions(session, user, user.user_id))


@router.delete(
    "/auth/sessions/{session_id}",
    status_code=204,
    response_class=Response,
    responses={**COMMON, **responses(NotFound)},
)
def end_my_session(session_id: str, session: DbSession, user: CurrentUser) -> Response:
    """End one of your browser sessions (a computer left signed in)."""
    session_list.end(session, user, user.user_id, session_id)
    return Response(status_code=204)


@router.delete("/auth/sessions", responses=COMMON)
def end_my_sessions(session: DbSession, user: CurrentUser) -> SessionsEnded:
    """End all your browser sessions; bearer tokens stay (``logout-everywhere`` ends
    those too)."""
    return SessionsEnded(ended=session_list.end_all(session, user, user.user_id))


@router.get("/users/{user_id}/sessions", responses={**COMMON, **responses(NotFound)})
def user_sessions(user_id: uuid.UUID, session: DbSession, user: CurrentUser) -> list[SessionRead]:
    """A person's live browser sessions (their tenant's admins, system admins)."""
    user.require_role(Role.tenant_admin, Role.system_admin)
    return _read(session_list.list_sessions(session, user, user_id))


@router.delete("/users/{user_id}/sessions", responses={**COMMON, **responses(NotFound)})
def end_user_sessions(user_id: uuid.UUID, session: DbSession, user: CurrentUser) -> SessionsEnded:
    """End every browser session of a person (their tenant's admins, system admins);
    audited."""
    user.require_role(Role.tenant_admin, Role.system_admin)
    return SessionsEnded(ended=session_list.end_all(session, user, user_id))
