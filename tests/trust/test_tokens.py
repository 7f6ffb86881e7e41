"""akte's own signed tokens (bearer tokens, the citizen's portal cookie, the second-factor
step's cookie): ``v2.`` JWTs signed with HS256 by ``joserfc``. A changed byte, another
installation's key, another algorithm, another kind, a lapsed expiry or a payload of the
wrong shape is 401 ``invalid_token``; the previous release's ``v1.`` tokens still work
until they expire, so an upgrade logs nobody out."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
from joserfc import jwt
from joserfc.jwk import OctKey

from akte.core.clock import CLOCK
from akte.core.security import issue_token
from akte.web import sessions
from tests.builders import PASSWORD


def _me(client, token: str):
    return client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})


def _refused(client, token: str) -> bool:
    r = _me(client, token)
    return r.status_code == 401 and r.json()["error"] == "invalid_token"


def _now() -> int:
    return int(CLOCK.now().timestamp())


def _v2(secret: str, claims: dict, alg: str = "HS256") -> str:
    """A token signed as akte signs them (its key derivation written out), with any claims."""
    key = OctKey.import_key(hashlib.sha256(f"token:{secret}".encode()).digest())
    return "v2." + jwt.encode({"alg": alg}, claims, key, algorithms=[alg])


def _v1(secret: str, claims: dict) -> str:
    """A token as the previous release signed them (``v1.<payload>.<HMAC>``)."""
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    mac = hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest()
    return f"v1.{body}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def test_the_token_endpoint_issues_a_signed_jwt_that_works(ctx, client, world):
    user = world.users["caseworker_a1"]
    r = client.post("/api/v1/auth/token", data={"username": user.username, "password": PASSWORD})
    token = r.json()["access_token"]
    assert token.startswith("v2.eyJ") and token.count(".") == 3
    assert _me(client, token).json()["username"] == user.username


def test_a_changed_byte_another_key_or_another_algorithm_is_refused(ctx, client, world):
    secret = ctx.settings.effective_secret_key
    user = world.users["caseworker_a1"]
    good = issue_token(secret, subject=str(user.id), ttl_seconds=600)
    assert _me(client, good).status_code == 200
    header, payload, signature = good[3:].split(".")
    other = world.users["admin_a"]
    swapped = base64.urlsafe_b64encode(
        json.dumps(
            {**json.loads(base64.urlsafe_b64decode(payload + "==")), "sub": str(other.id)}
        ).encode()
    )
    claims = {"sub": str(user.id), "exp": _now() + 600, "kind": "user", "gen": 0}
    for bad in [
        f"v2.{header}.{swapped.rstrip(b'=').decode()}.{signature}",  # another person
        good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB"),  # signature changed
        issue_token("another-installations-key", subject=str(user.id), ttl_seconds=600),
        _v2(secret, claims, alg="HS512"),  # only HS256 is accepted
        "v2.eyJhbGciOiJub25lIn0." + payload + ".",  # alg "none"
        "v2." + payload,
        "v3." + good[3:],
    ]:
        assert _refused(client, bad), bad


def test_an_expired_token_is_refused_at_once(ctx, client, world):
    token = issue_token(
        ctx.settings.effective_secret_key,
        subject=str(world.users["caseworker_a1"].id),
        ttl_seconds=60,
    )
    assert _me(client, token).status_code == 200
    try:
        CLOCK.advance(61)
        assert _refused(client, token)
    finally:
        CLOCK.reset()


def test_a_citizen_or_second_factor_token_is_no_staff_token(ctx, client, world):
    secret = ctx.settings.effective_secret_key
    user = world.users["caseworker_a1"]
    for kind in (sessions.CITIZEN_KIND, sessions.PENDING_KIND):
        assert _refused(
            client, issue_token(secret, subject=str(user.id), ttl_seconds=60, kind=kind)
        )


@pytest.mark.parametrize(
    "claims",
    [
        {"sub": 5, "kind": "user"},
        {"sub": "x", "exp": "soon", "kind": "user"},
        {"sub": "x", "exp": 1e300, "kind": "user"},
        {"sub": "x", "kind": "user"},
        {"sub": "not-a-uuid", "kind": "user"},
        {"sub": "00000000-0000-0000-0000-000000000000", "kind": "user", "gen": "0"},
        {"sub": "00000000-0000-0000-0000-000000000000", "kind": "user", "gen": True},
        {"exp": 0, "kind": "user"},
    ],
)
def test_a_correctly_signed_token_of_the_wrong_shape_is_401(ctx, client, claims):
    claims = {"exp": _now() + 600, **claims}
    if claims["exp"] == 0:
        claims.pop("exp")
    assert _refused(client, _v2(ctx.settings.effective_secret_key, claims))


def test_a_token_of_the_previous_release_works_until_it_expires(ctx, client, world):
    """Upgrading does not log API clients out: their ``v1.`` tokens (at most
    ``AKTE_TOKEN_TTL_SECONDS`` old) keep working until they expire, then 401."""
    secret = ctx.settings.effective_secret_key
    user = world.users["caseworker_a1"]
    claims = {"sub": str(user.id), "exp": _now() + 60, "k": "user", "g": 0}
    token = _v1(secret, claims)
    assert _me(client, token).json()["username"] == user.username
    assert _refused(client, _v1("another-installations-key", claims))
    assert _refused(client, _v1(secret, {**claims, "k": sessions.CITIZEN_KIND}))
    try:
        CLOCK.advance(61)
        assert _refused(client, token)
    finally:
        CLOCK.reset()
