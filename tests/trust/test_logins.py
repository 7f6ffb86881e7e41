"""Password logins: one throttle for the API and the web form, no user probing by timing,
revocable tokens and sessions, service accounts by API key only, no 500 on odd tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import statistics
import time
import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from akte.audit.models import AuditEntry
from akte.auth import throttle
from akte.auth.models import AuthThrottle
from akte.core.database import session_scope, utcnow
from akte.core.security import hash_password
from akte.users.models import Role, User
from tests.builders import PASSWORD, make_user
from tests.web.conftest import browser, csrf_of, login


def _token(client, username: str, password: str = PASSWORD):
    return client.post("/api/v1/auth/token", data={"username": username, "password": password})


class _StillClock:
    """The throttle's time, frozen: it moves only when a test moves it, so a slow machine
    cannot let a back-off run out between two requests (it once did, under load)."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> _StillClock:
    still = _StillClock()
    monkeypatch.setattr(throttle, "clock", still)
    return still


def test_token_endpoint_backs_off_per_account_and_audits_failures(ctx, world, clock):
    username = world.users["caseworker_a1"].username
    with browser(ctx) as client:
        for _ in range(throttle.ACCOUNT_FREE):
            assert _token(client, username, "wrong-password").status_code == 401
        r = _token(client, username, "wrong-password")
        assert r.status_code == 429 and r.json()["error"] == "login_throttled"
        assert int(r.headers["Retry-After"]) >= 1
        # the right password waits too while the account backs off: guessing is slowed
        assert _token(client, username).status_code == 429
        clock.now += throttle.FIRST_DELAY  # the back-off is over
        r = _token(client, username)
        assert r.status_code == 200, r.text
        me = client.get(
            "/api/v1/auth/me", headers={"Authorization": f"Bearer {r.json()['access_token']}"}
        )
        assert me.json()["username"] == username
    with session_scope(ctx.session_factory) as session:
        refused = session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "api.login", AuditEntry.outcome == "refused"
            )
        ).all()
        mine = [e for e in refused if e.detail.get("username") == username]
        assert len(mine) == throttle.ACCOUNT_FREE
        assert all(e.tenant_id == world.tenant_a.id and e.ip for e in mine)
        throttled = session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "api.login", AuditEntry.outcome == "throttled"
            )
        ).all()
        assert len([e for e in throttled if e.detail.get("username") == username]) == 2


def test_a_blocked_address_does_not_lock_out_accounts_known_there(ctx, world, clock):
    colleague = world.users["caseworker_a2"].username
    newcomer = world.users["caseworker_none"].username
    address = f"192.0.2.{uuid.uuid4().int % 250 + 1}"
    with browser(ctx, ip=address) as nat:
        assert _token(nat, colleague).status_code == 200  # logged in from here before
        for i in range(throttle.ADDRESS_FREE):  # password spraying over many names
            assert _token(nat, f"nobody-{uuid.uuid4().hex[:8]}-{i}", "x").status_code == 401
        r = _token(nat, f"nobody-{uuid.uuid4().hex[:8]}", "x")
        assert r.status_code == 429
        assert _token(nat, colleague).status_code == 200
        # someone never seen at this address waits out the (bounded) back-off
        assert _token(nat, newcomer).status_code == 429
        with session_scope(ctx.session_factory) as session:
            row = session.get(AuthThrottle, f"address:{address}")
            assert row.blocked_until is not None
    with browser(ctx) as elsewhere:
        assert _token(elsewhere, newcomer).status_code == 200


def test_web_login_and_token_endpoint_share_one_throttle(ctx, world, clock):
    username = world.users["admin_a"].username
    with browser(ctx) as client:
        for _ in range(throttle.ACCOUNT_FREE):
            assert _token(client, username, "wrong-password").status_code == 401
        assert _token(client, username, "wrong-password").status_code == 429
    delay = int(throttle.FIRST_DELAY.total_seconds())
    with browser(ctx) as web:
        page = web.get("/login")
        r = web.post(
            "/login",
            data={"username": username, "password": PASSWORD, "csrf_token": csrf_of(page.text)},
        )
        assert r.status_code == 429 and "Zu viele Fehlversuche" in r.text
        assert int(r.headers["Retry-After"]) == delay  # the API's failures set the back-off
        clock.now += throttle.FIRST_DELAY - timedelta(seconds=1)
        page = web.get("/login")
        r = web.post(
            "/login",
            data={"username": username, "password": PASSWORD, "csrf_token": csrf_of(page.text)},
        )
        assert r.status_code == 429 and int(r.headers["Retry-After"]) == 1
        clock.now += timedelta(seconds=1)  # the back-off is over: the right password works
        login(web, username)
        page = web.get("/login")
        r = web.post(
            "/login",
            data={"username": username, "password": "nope", "csrf_token": csrf_of(page.text)},
        )
        assert r.status_code == 401
    with session_scope(ctx.session_factory) as session:
        refused = session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "web.login", AuditEntry.outcome == "refused"
            )
        ).all()
        assert any(e.detail.get("username") == username for e in refused)


def test_unknown_usernames_take_as_long_as_known_ones(ctx, world):
    known = world.users["caseworker_b"].username
    with session_scope(ctx.session_factory) as session:  # akte's own hash, not the builders'
        session.get(User, world.users["caseworker_b"].id).password_hash = hash_password(PASSWORD)
    timings: dict[str, list[float]] = {"known": [], "unknown": []}
    with browser(ctx) as client:
        _token(client, f"warm-{uuid.uuid4().hex}", "x")  # first call builds the dummy hash
        for i in range(4):
            for kind, name in (("known", known), ("unknown", f"ghost-{uuid.uuid4().hex}")):
                start = time.perf_counter()
                assert _token(client, name, f"wrong-{i}").status_code == 401
                timings[kind].append(time.perf_counter() - start)
    ratio = statistics.median(timings["unknown"]) / statistics.median(timings["known"])
    assert 0.5 < ratio < 2.0, timings


def test_password_change_ends_every_token_and_web_session(ctx, world):
    user = world.users["caseworker_a1"]
    with browser(ctx) as api, browser(ctx) as web:
        token = _token(api, user.username).json()["access_token"]
        old = {"Authorization": f"Bearer {token}"}
        login(web, user.username)
        assert web.get("/app").status_code == 200
        r = api.post(
            "/api/v1/auth/password",
            headers=old,
            json={"current_password": "wrong", "new_password": "another-password-1"},
        )
        assert r.status_code == 403
        new_password = "another-password-1"
        r = api.post(
            "/api/v1/auth/password",
            headers=old,
            json={"current_password": PASSWORD, "new_password": new_password},
        )
        assert r.status_code == 204, r.text
        assert api.get("/api/v1/auth/me", headers=old).status_code == 401
        assert web.get("/app").status_code == 303  # back to the login page
        assert _token(api, user.username).status_code == 401
        fresh = _token(api, user.username, new_password).json()["access_token"]
        assert (
            api.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {fresh}"}).status_code
            == 200
        )


def test_log_out_everywhere_by_the_user_and_by_their_admin(ctx, world):
    user = world.users["caseworker_a2"]
    with browser(ctx) as api, browser(ctx) as web:
        first = {"Authorization": f"Bearer {_token(api, user.username).json()['access_token']}"}
        second = {"Authorization": f"Bearer {_token(api, user.username).json()['access_token']}"}
        login(web, user.username)
        assert api.post("/api/v1/auth/logout-everywhere", headers=first).status_code == 204
        assert api.get("/api/v1/auth/me", headers=first).status_code == 401
        assert api.get("/api/v1/auth/me", headers=second).status_code == 401
        assert web.get("/app").status_code == 303
        third = {"Authorization": f"Bearer {_token(api, user.username).json()['access_token']}"}
        login(web, user.username)
        r = api.post(f"/api/v1/users/{user.id}/logout-everywhere", headers=world.headers["admin_a"])
        assert r.status_code == 204
        assert api.get("/api/v1/auth/me", headers=third).status_code == 401
        assert web.get("/app").status_code == 303
        other_tenant = api.post(
            f"/api/v1/users/{user.id}/logout-everywhere", headers=world.headers["caseworker_b"]
        )
        assert other_tenant.status_code in {403, 404}


def test_deactivate_and_password_reset_by_the_api_only_for_the_admin(ctx, world):
    """Another tenant's admin does not find the person (404), a caseworker may not (403);
    neither changes anything. The tenant's admin resets (the one-time password signs in,
    the old one no longer) and deactivates (no sign-in at all)."""
    user = world.users["caseworker_a2"]
    with session_scope(ctx.session_factory) as session:
        admin_b = make_user(session, world.tenant_b, Role.tenant_admin)
    with browser(ctx) as api:
        token = _token(api, admin_b.username).json()["access_token"]
        foreign = {"Authorization": f"Bearer {token}"}
        for action in ("deactivate", "password-reset"):
            url = f"/api/v1/users/{user.id}/{action}"
            r = api.post(url, headers=foreign)
            assert r.status_code == 404 and r.json()["error"] == "not_found", r.text
            r = api.post(url, headers=world.headers["caseworker_a1"])
            assert r.status_code == 403 and r.json()["error"] == "forbidden", r.text
        assert _token(api, user.username).status_code == 200  # untouched by those

        r = api.post(f"/api/v1/users/{user.id}/password-reset", headers=world.headers["admin_a"])
        assert r.status_code == 200, r.text
        one_time = r.json()["one_time_password"]
        assert r.json()["user_id"] == str(user.id) and len(one_time) >= 16
        assert _token(api, user.username).status_code == 401
        assert _token(api, user.username, one_time).status_code == 200

        r = api.post(f"/api/v1/users/{user.id}/deactivate", headers=world.headers["admin_a"])
        assert r.status_code == 200 and r.json()["is_active"] is False, r.text
        assert _token(api, user.username, one_time).status_code == 401
        again = api.post(
            f"/api/v1/users/{user.id}/password-reset", headers=world.headers["admin_a"]
        )
        assert again.status_code == 409 and again.json()["error"] == "account_inactive"
        own = world.users["admin_a"].id
        r = api.post(f"/api/v1/users/{own}/deactivate", headers=world.headers["admin_a"])
        assert r.status_code == 409 and r.json()["error"] == "own_account"


def test_web_logout_everywhere_ends_bearer_tokens_too(ctx, world):
    user = world.users["admin_a"]
    with browser(ctx) as api, browser(ctx) as web:
        token = {"Authorization": f"Bearer {_token(api, user.username).json()['access_token']}"}
        login(web, user.username)
        page = web.get("/app")
        assert 'name="everywhere" value="true"' in page.text  # the "Überall abmelden" button
        r = web.post("/logout", data={"everywhere": "true", "csrf_token": csrf_of(page.text)})
        assert r.status_code == 303
        assert api.get("/api/v1/auth/me", headers=token).status_code == 401


def test_service_accounts_authenticate_with_api_keys_only(ctx, world, client):
    with session_scope(ctx.session_factory) as session:  # an account made with a password
        legacy = make_user(session, world.tenant_a, Role.print_provider)
        username = legacy.username
    with browser(ctx) as api:
        r = _token(api, username)
        assert r.status_code == 401 and r.json()["error"] == "invalid_credentials"
    r = client.post(
        f"/api/v1/tenants/{world.tenant_a.id}/users",
        headers=world.headers["admin_a"],
        json={
            "username": f"imp-{uuid.uuid4().hex[:8]}",
            "display_name": "Scan GmbH",
            "role": "importer",
            "password": "a-password-for-a-robot",
        },
    )
    assert r.status_code == 422 and "API key" in r.json()["detail"]
    # a token signed for a service account (e.g. issued before this rule) is refused too
    from tests.builders import bearer

    assert client.get("/api/v1/auth/me", headers=bearer(ctx, legacy)).status_code == 401
    assert client.get("/api/v1/auth/me", headers=world.headers["provider_a"]).status_code == 200


def _signed(secret: str, payload: bytes) -> str:
    body = base64.urlsafe_b64encode(payload).rstrip(b"=").decode()
    sig = (
        base64.urlsafe_b64encode(hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest())
        .rstrip(b"=")
        .decode()
    )
    return f"v1.{body}.{sig}"


@pytest.mark.parametrize(
    "payload",
    [
        b"[]",
        b'"text"',
        b"42",
        b"null",
        b"\xff\xfe",
        b'{"sub": 5, "exp": 9999999999, "k": "user"}',
        b'{"sub": "x", "exp": "soon", "k": "user"}',
        b'{"sub": "x", "exp": 1e400, "k": "user"}',
        b'{"sub": "not-a-uuid", "exp": 9999999999, "k": "user"}',
        b'{"sub": "00000000-0000-0000-0000-000000000000", "exp": 9999999999, "k": "user", "g": "0"}',
    ],
)
def test_a_correctly_signed_token_with_a_malformed_payload_is_401(ctx, client, payload):
    token = _signed(ctx.settings.effective_secret_key, payload)
    r = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401, r.text
    assert r.json()["error"] == "invalid_token"


def test_a_token_with_a_non_ascii_signature_is_401(client):
    r = client.get(
        "/api/v1/auth/me", headers={"Authorization": "Bearer v1.e30.ä".encode("latin-1")}
    )
    assert r.status_code == 401


def test_a_forged_generation_cannot_revive_a_token(ctx, world, client):
    user = world.users["caseworker_none"]
    with session_scope(ctx.session_factory) as session:
        session.execute(
            update(type(user)).where(type(user).id == user.id).values(token_generation=3)
        )
    payload = json.dumps(
        {"sub": str(user.id), "exp": int(time.time()) + 60, "k": "user", "g": 2}
    ).encode()
    forged = _signed("not-the-secret-key-of-this-installation", payload)
    assert (
        client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {forged}"}).status_code
        == 401
    )
    stale = _signed(ctx.settings.effective_secret_key, payload)
    assert (
        client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {stale}"}).status_code
        == 401
    )
