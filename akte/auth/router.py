"""``POST /api/v1/auth/token``: a bearer token for username and password."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from pydantic import BaseModel

from akte.audit import service as audit
from akte.auth.dependencies import CurrentUser
from akte.auth.service import login
from akte.core.dependencies import Context, DbSession
from akte.core.errors import NotAuthenticated, responses
from akte.users.schemas import Me

router = APIRouter(prefix="/api/v1/auth", tags=["Anmeldung"])


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int


@router.post("/token", responses=responses(NotAuthenticated))
def issue_token(
    username: Annotated[str, Form(max_length=120)],
    password: Annotated[str, Form(max_length=200)],
    session: DbSession,
    ctx: Context,
) -> Token:
    """OAuth2 password flow (form fields ``username`` and ``password``)."""
    token = login(session, ctx.settings, username=username, password=password)
    return Token(access_token=token, expires_in=ctx.settings.token_ttl_seconds)


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
