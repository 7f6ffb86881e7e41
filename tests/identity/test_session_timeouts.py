"""Idle and absolute timeouts per tenant: a browser left alone, or signed in for too long,
is sent back to the login page; a directory session loses the provider's refresh token with
it; bearer tokens live no longer than the absolute limit. Time passes on akte's clock."""

from __future__ import annotations

from sqlalchemy import func, select

from akte.core.database import session_scope
from akte.identity.models import DirectorySession
from akte.web import sessions
from akte.web.models import WebSession
from tests.builders import PASSWORD as LOCAL_PASSWORD
from tests.builders import unique
from tests.identity.conftest import PASSWORD, add_provider, audit_entries, oidc_config, oidc_login
from tests.web.conftest import browser, login


def _options(client, world, **values) -> None:
    r = client.patch(
        "/api/v1/tenants/current/options", json=values, headers=world.headers["admin_a"]
    )
    assert r.status_code == 200, r.text


def _signed_in(web) -> bool:
    return web.get("/app").status_code == 200


def _sessions_of(ctx, user_id) -> int:
    with session_scope(ctx.session_factory) as session:
        return session.scalar(
            select(func.count()).select_from(WebSession).where(WebSession.user_id == user_id)
        )


def test_an_idle_session_ends_an_active_one_does_not(ctx, client, world, clock):
    _options(client, world, session_idle_minutes=15)
    user = world.users["caseworker_a1"]
    with browser(ctx) as idle, browser(ctx) as busy:
        login(idle, user.username)
        login(busy, user.username)
        for _ in range(4):  # 40 minutes of work, a page every 10 minutes
            clock.advance(10 * 60)
            assert _signed_in(busy)
        assert not _signed_in(idle)  # 40 minutes without a request
        r = idle.get("/app")
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
    [entry] = audit_entries(ctx, "web.session_timeout", user_id=str(user.id))
    assert entry.detail["reason"] == "idle" and entry.tenant_id == world.tenant_a.id
    assert _sessions_of(ctx, user.id) == 1  # the busy one


def test_the_absolute_limit_ends_even_a_busy_session(ctx, client, world, clock):
    _options(client, world, session_max_hours=2, session_idle_minutes=30)
    user = world.users["caseworker_a2"]
    with browser(ctx) as web:
        login(web, user.username)
        for _ in range(7):  # a page every 15 minutes for 1 h 45
            clock.advance(15 * 60)
            assert _signed_in(web)
        clock.advance(20 * 60)
        assert not _signed_in(web)
    [entry] = audit_entries(ctx, "web.session_timeout", user_id=str(user.id))
    assert entry.detail["reason"] == "absolute"


def test_other_tenants_and_unset_options_keep_their_sessions(ctx, client, world, clock):
    _options(client, world, session_idle_minutes=5)
    with browser(ctx) as other_tenant:
        login(other_tenant, world.users["caseworker_b"].username)
        clock.advance(60 * 60)
        assert _signed_in(other_tenant)
    _options(client, world, session_idle_minutes=None)
    with browser(ctx) as web:
        login(web, world.users["caseworker_a1"].username)
        clock.advance(60 * 60)
        assert _signed_in(web)


def test_a_directory_session_loses_the_refresh_token_with_it(ctx, client, world, op, clock):
    provider_id = add_provider(
        client,
        world.headers["admin_a"],
        "oidc",
        oidc_config(op),
        [{"group": "jc-team-1", "role": "caseworker", "org_unit_id": str(world.unit_a1.id)}],
    )
    _options(client, world, session_idle_minutes=10)
    person = unique("ida")
    op.set_account(person, password=PASSWORD, groups=["jc-team-1"])
    with browser(ctx) as web:
        assert oidc_login(web, op, provider_id, person).status_code == 303
        token_hash = sessions.token_hash(web.cookies.get(sessions.STAFF_COOKIE))
        with session_scope(ctx.session_factory) as session:
            bound = session.get(DirectorySession, token_hash)
            assert bound is not None and bound.refresh_token
        clock.advance(11 * 60)
        assert not _signed_in(web)
    with session_scope(ctx.session_factory) as session:
        assert session.get(DirectorySession, token_hash) is None
        assert session.get(WebSession, token_hash) is None


def test_bearer_tokens_live_no_longer_than_the_absolute_limit(ctx, client, world):
    user = world.users["caseworker_a1"]
    r = client.post(
        "/api/v1/auth/token", data={"username": user.username, "password": LOCAL_PASSWORD}
    )
    assert r.status_code == 200 and r.json()["expires_in"] == ctx.settings.token_ttl_seconds
    _options(client, world, session_max_hours=1)
    r = client.post(
        "/api/v1/auth/token", data={"username": user.username, "password": LOCAL_PASSWORD}
    )
    assert r.status_code == 200 and r.json()["expires_in"] == 3600


def test_the_options_are_checked_whole_numbers(client, world):
    for bad in (
        {"session_idle_minutes": 1},
        {"session_max_hours": 1000},
        {"session_idle_minutes": "ten"},
        {"session_max_hours": True},
    ):
        r = client.patch(
            "/api/v1/tenants/current/options", json=bad, headers=world.headers["admin_a"]
        )
        assert r.status_code == 422 and r.json()["error"] == "invalid_option", bad
