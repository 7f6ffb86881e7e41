"""CSRF protection for every form: a signed double-submit token.

The browser gets a random ``akte_csrf`` cookie (HttpOnly, SameSite=Lax) on its first page;
forms carry ``csrf_token`` = HMAC(secret key, cookie). A state-changing request passes only
if the submitted token (form field or ``X-CSRF-Token`` header, for the upload script)
matches the cookie it came with. Another site can neither read the cookie nor compute the
HMAC, so it cannot forge the field; a missing or wrong token is 403. The same scheme serves
the login form, staff pages and the citizen portal, which have no session before login.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Request, Response

from akte.core.errors import Forbidden

COOKIE = "akte_csrf"
FIELD = "csrf_token"
HEADER = "x-csrf-token"
COOKIE_MAX_AGE = 7 * 24 * 3600


def new_seed() -> str:
    return secrets.token_urlsafe(24)


def _sign(secret: str, seed: str) -> str:
    return hmac.new(secret.encode(), f"csrf:{seed}".encode(), hashlib.sha256).hexdigest()


def ensure_seed(request: Request) -> str:
    """The request's CSRF seed; a new one if the browser has none (set by :func:`persist`)."""
    seed = getattr(request.state, "csrf_seed", None) or request.cookies.get(COOKIE)
    if not seed or len(seed) > 100:
        seed = new_seed()
        request.state.csrf_new_seed = seed
    request.state.csrf_seed = seed
    return seed


def token_for(request: Request, secret: str) -> str:
    return _sign(secret, ensure_seed(request))


def persist(request: Request, response: Response) -> None:
    from akte.web.sessions import set_cookie

    seed = getattr(request.state, "csrf_new_seed", None)
    if seed:
        set_cookie(request, response, COOKIE, seed, max_age=COOKIE_MAX_AGE)


def check(request: Request, secret: str, submitted: str | None) -> None:
    seed = request.cookies.get(COOKIE)
    submitted = submitted or request.headers.get(HEADER)
    if not seed or not submitted or not hmac.compare_digest(_sign(secret, seed), submitted):
        raise Forbidden("the form's security token is missing or wrong; reload the page")
