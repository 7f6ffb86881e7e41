"""Second factor of local accounts: TOTP with recovery codes, required per tenant, asked at
the API's token endpoint and the web login, throttled like passwords, reset by an admin of
the account's own tenant only."""

from __future__ import annotations

import re
import time

import pyotp
from sqlalchemy import select

from akte.core.database import session_scope
from akte.identity.models import SecondFactor
from tests.builders import PASSWORD
from tests.identity.conftest import audit_entries
from tests.web.conftest import browser, csrf_of


def _token(client, username: str, otp: str | None = None):
    data = {"username": username, "password": PASSWORD}
    if otp is not None:
        data["otp"] = otp
    return client.post("/api/v1/auth/token", data=data)


def _next_code(totp: pyotp.TOTP) -> str:
    """A code of the next time step: the step of the confirming code is used up."""
    return totp.at(int(time.time()) + totp.interval)


def enrol(client, headers: dict) -> tuple[pyotp.TOTP, list[str]]:
    r = client.post("/api/v1/auth/second-factor", headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["otpauth_uri"].startswith("otpauth://totp/")
    totp = pyotp.TOTP(body["secret"])
    r = client.post(
        "/api/v1/auth/second-factor/confirm", json={"code": totp.now()}, headers=headers
    )
    assert r.status_code == 200, r.text
    codes = r.json()["recovery_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    return totp, codes


def test_required_factor_is_set_up_at_the_web_login_then_asked_everywhere(ctx, client, world):
    caseworker = world.users["caseworker_a1"].username
    r = client.patch(
        "/api/v1/tenants/current/options",
        json={"second_factor": "all"},
        headers=world.headers["admin_a"],
    )
    assert r.status_code == 200, r.text
    r = _token(client, caseworker)
    assert r.status_code == 403 and r.json()["error"] == "second_factor_enrolment_required"
    assert _token(client, world.users["caseworker_b"].username).status_code == 200  # tenant B

    with browser(ctx) as web:
        page = web.get("/login")
        r = web.post(
            "/login",
            data={
                "username": caseworker,
                "password": PASSWORD,
                "next": "/app",
                "csrf_token": csrf_of(page.text),
            },
        )
        assert r.status_code == 303 and r.headers["location"].startswith("/login/code")
        assert web.get("/app").status_code == 303  # no session yet
        page = web.get(r.headers["location"])
        assert page.status_code == 200 and "<svg" in page.text
        secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page.text).group(1)
        assert web.get("/login/code").text.count(secret) == 1  # a reload shows the same secret
        totp = pyotp.TOTP(secret)
        r = web.post(
            "/login/code",
            data={
                "code": "000000" if totp.now() != "000000" else "1",
                "next": "/app",
                "csrf_token": csrf_of(page.text),
            },
        )
        assert r.status_code == 401
        r = web.post(
            "/login/code",
            data={"code": totp.now(), "next": "/app", "csrf_token": csrf_of(page.text)},
        )
        assert r.status_code == 200
        codes = re.findall(r"<li><code>([A-Z2-7]{5}-[A-Z2-7]{5})</code></li>", r.text)
        assert len(codes) == 10
        assert web.get("/app").status_code == 200  # signed in

    r = _token(client, caseworker)
    assert r.status_code == 401 and r.json()["error"] == "second_factor_required"
    assert _token(client, caseworker, _next_code(totp)).status_code == 200
    with browser(ctx) as web:  # the web login asks for the code now, no set-up
        page = web.get("/login")
        r = web.post(
            "/login",
            data={"username": caseworker, "password": PASSWORD, "csrf_token": csrf_of(page.text)},
        )
        page = web.get(r.headers["location"])
        assert "<svg" not in page.text and secret not in page.text
        r = web.post("/login/code", data={"code": codes[0], "csrf_token": csrf_of(page.text)})
        assert r.status_code == 303
        assert web.get("/app/wiedervorlagen").status_code == 200


def test_wrong_codes_are_refused_and_throttled_like_passwords(ctx, world):
    user = world.users["caseworker_a1"]
    with browser(ctx) as api:
        totp, _codes = enrol(api, world.headers["caseworker_a1"])
        right = _next_code(totp)
        wrong = "123456" if right != "123456" else "654321"
        for _ in range(5):
            r = _token(api, user.username, wrong)
            assert r.status_code == 401 and r.json()["error"] == "second_factor_invalid"
        r = _token(api, user.username, right)
        assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    assert len(audit_entries(ctx, "api.second_factor", user_id=str(user.id))) >= 6
    with browser(ctx) as api:  # the same code a second time is refused (replay)
        other = world.users["caseworker_a2"]
        totp, _codes = enrol(api, world.headers["caseworker_a2"])
        code = _next_code(totp)
        assert _token(api, other.username, code).status_code == 200
        assert _token(api, other.username, code).status_code == 401


def test_a_recovery_code_works_once(ctx, world):
    user = world.users["caseworker_a1"]
    with browser(ctx) as api:
        _totp, codes = enrol(api, world.headers["caseworker_a1"])
        assert _token(api, user.username, codes[3].lower()).status_code == 200
        r = _token(api, user.username, codes[3])
        assert r.status_code == 401 and r.json()["error"] == "second_factor_invalid"
        status = api.get("/api/v1/auth/second-factor", headers=world.headers["caseworker_a1"])
        assert status.json()["recovery_codes_left"] == 9
    [used] = audit_entries(ctx, "api.recovery_code_used", user_id=str(user.id))
    assert used.tenant_id == world.tenant_a.id


def test_the_secret_is_encrypted_at_rest(ctx, world):
    with browser(ctx) as api:
        totp, _codes = enrol(api, world.headers["caseworker_a1"])
    with session_scope(ctx.session_factory) as session:
        stored = session.scalar(
            select(SecondFactor.secret).where(
                SecondFactor.user_id == world.users["caseworker_a1"].id
            )
        )
    assert stored and totp.secret not in stored


def test_an_admin_resets_a_factor_of_their_own_tenant_only(ctx, world):
    target, foreign = world.users["caseworker_a1"], world.users["caseworker_b"]
    with browser(ctx) as api:
        enrol(api, world.headers["caseworker_a1"])
        enrol(api, world.headers["caseworker_b"])
        r = api.delete(
            f"/api/v1/users/{foreign.id}/second-factor", headers=world.headers["admin_a"]
        )
        assert r.status_code == 404
        assert _token(api, foreign.username).json()["error"] == "second_factor_required"
        r = api.delete(
            f"/api/v1/users/{target.id}/second-factor", headers=world.headers["caseworker_a2"]
        )
        assert r.status_code == 403
        assert _token(api, target.username).status_code == 401
        r = api.delete(f"/api/v1/users/{target.id}/second-factor", headers=world.headers["admin_a"])
        assert r.status_code == 204
        assert _token(api, target.username).status_code == 200  # not required: password alone
    [entry] = audit_entries(ctx, "user.second_factor_reset", user_id=str(target.id))
    assert entry.tenant_id == world.tenant_a.id and entry.actor_id == str(world.users["admin_a"].id)
    assert audit_entries(ctx, "user.second_factor_reset", user_id=str(foreign.id)) == []


def test_service_accounts_and_option_values(client, world):
    r = client.post("/api/v1/auth/second-factor", headers=world.headers["importer_a"])
    assert r.status_code == 403
    r = client.patch(
        "/api/v1/tenants/current/options",
        json={"second_factor": "sometimes"},
        headers=world.headers["admin_a"],
    )
    assert r.status_code == 422
