"""``POST /api/v1/auth/token``: a bearer token for username and password."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from akte.audit import service as audit
from akte.auth.dependencies import CurrentUser
from akte.auth.service import login
from akte.core.dependencies import Context, DbSession, client_ip
from akte.core.errors import (
    Forbidden,
    NotAuthenticated,
    TooManyRequests,
    Unprocessable,
    responses,
)
from akte.users import service as users
from akte.users.schemas import Me, PasswordChange

router = APIRouter(prefix="/api/v1/auth", tags=["Anmeldung"])


class TokenRequest(BaseModel):
    """The OAuth2 password grant's form; nothing else is accepted."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=120)
    password: str = Field(min_length=1, max_length=200)


class PasswordTokenRequest(TokenRequest):
    """The password grant of a local account, with the second factor's code (``otp``: six
    digits from the app, or a recovery code) when the account has one."""

    otp: str | None = Field(default=None, max_length=64)


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int


@router.post("/token", responses=responses(NotAuthenticated, Forbidden, TooManyRequests))
def issue_token(
    form: Annotated[PasswordTokenRequest, Form()],
    request: Request,
    session: DbSession,
    ctx: Context,
) -> Token:
    """OAuth2 password flow (form fields ``username`` and ``password``) for people; service
    accounts use their API key instead. Failed attempts back off per account and address
    (429 with ``Retry-After``). With a second factor, ``otp`` carries its code: without it
    the answer is 401 ``second_factor_required``, a wrong one 401 ``second_factor_invalid``
    (throttled like passwords); 403 ``second_factor_enrolment_required`` when the tenant
    requires a factor the account has not set up (done at the web login)."""
    try:
        token, ttl = login(
            session,
            ctx.settings,
            username=form.username,
            password=form.password,
            ip=client_ip(request),
            otp=form.otp,
        )
    except (NotAuthenticated, Forbidden, TooManyRequests):
        session.commit()  # the failure count and its audit entry must outlive the refusal
        raise
    return Token(access_token=token, expires_in=ttl)


@router.post(
    "/password",
    status_code=204,
    response_class=Response,
    responses=responses(NotAuthenticated, Forbidden, Unprocessable),
)
def change_password(body: PasswordChange, user: CurrentUser, session: DbSession) -> Response:
    """Change your own password. Every token and web session you hold ends, this one too:
    log in again."""
    users.change_password(
        session, user, current_password=body.current_password, new_password=body.new_password
    )
    return Response(status_code=204)


@router.post(
    "/logout-everywhere",
    status_code=204,
    response_class=Response,
    responses=responses(NotAuthenticated),
)
def logout_everywhere(user: CurrentUser, session: DbSession) -> Response:
    """End every token and web session of yours, this one included."""
    users.log_out_everywhere(session, user, user.user_id)
    return Response(status_code=204)


@router.get("/me", responses=responses(NotAuthenticated))
def me(user: CurrentUser, session: DbSession) -> Me:
    """Who the token belongs to, with the org units it may read."""
    audit.record(session, user, "auth.me")
    return Me(
        id=user.user_id,
        username=user.username,
        role=user.role,
        tenant_id=user.tenant_id,
        org_unit_ids=sorted(user.org_unit_ids, key=str),
    )
