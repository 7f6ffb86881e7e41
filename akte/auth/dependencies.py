"""``CurrentUser``: the authenticated caller of a request.

Credentials come from ``Authorization: Bearer …`` (a token or an API key) or ``X-API-Key``.
The web pages have their own session cookie (:mod:`akte.web.sessions`) and dependencies
(:mod:`akte.web.deps`); the API never reads a cookie, so it needs no CSRF defence.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from akte.auth import scopes
from akte.auth.principal import Principal
from akte.auth.service import ApiKeyExpired, authenticate
from akte.core.dependencies import DbSession, client_ip, get_context
from akte.core.errors import NotAuthenticated


def credential_from(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    api_key = request.headers.get("x-api-key")
    if api_key:
        return api_key.strip()
    return None


def get_current_user(request: Request, session: DbSession) -> Principal:
    credential = credential_from(request)
    if credential is None:
        raise NotAuthenticated("log in first: send 'Authorization: Bearer <token>'")
    try:
        principal = authenticate(
            session, get_context(request).settings, credential, ip=client_ip(request)
        )
    except ApiKeyExpired:
        session.commit()  # the audit entry of the refused key outlives the 401
        raise
    scopes.require(principal.scopes, request.method, request.url.path)
    request.state.principal = principal
    return principal


CurrentUser = Annotated[Principal, Depends(get_current_user)]
