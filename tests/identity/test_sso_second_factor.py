"""A tenant that requires a second factor for directory logins: the real provider's ID token
says how the person signed in (``acr``/``amr``), and akte admits or refuses accordingly."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from akte.core.database import session_scope
from akte.users.models import User
from akte.web import sessions
from tests.builders import unique
from tests.identity.conftest import (
    PASSWORD,
    add_provider,
    audit_entries,
    oidc_config,
    oidc_login,
    start_login,
)
from tests.web.conftest import browser

LOA2 = "urn:akte:test:loa:2"


def _provider(client, world, op, **config) -> str:
    return add_provider(
        client,
        world.headers["admin_a"],
        "oidc",
        oidc_config(op, **config),
        [
            {"group": "jc-team-1", "role": "caseworker", "org_unit_id": str(world.unit_a1.id)},
            {"group": "jc-admins", "role": "tenant_admin"},
        ],
    )


def _require(client, world, value: str | None) -> None:
    r = client.patch(
        "/api/v1/tenants/current/options",
        json={"directory_second_factor": value},
        headers=world.headers["admin_a"],
    )
    assert r.status_code == 200, r.text


def _exists(ctx, username: str) -> bool:
    with session_scope(ctx.session_factory) as session:
        return session.scalar(select(User.id).where(User.username == username)) is not None


def test_without_a_second_factor_the_login_is_refused_with_a_german_page(ctx, client, world, op):
    provider_id = _provider(client, world, op, mfa_acr_values=[LOA2])
    _require(client, world, "all")
    login = unique("ohne2fa")
    op.set_account(
        login, password=PASSWORD, groups=["jc-team-1"], acr="urn:akte:test:loa:1", amr=["pwd"]
    )
    with browser(ctx) as web:
        r = oidc_login(web, op, provider_id, login)
        assert r.status_code == 403
        assert "zweiten Faktor" in r.text and "Nicht erlaubt" in r.text
        assert "urn:akte:test:loa:1" in r.text and "pwd" in r.text
        assert not web.cookies.get(sessions.STAFF_COOKIE)
        assert "/login" in str(web.get("/app").url) or web.get("/app").status_code == 303
    assert not _exists(ctx, login)  # nothing was created for a refused login
    [entry] = audit_entries(ctx, "sso.login", error="sso_second_factor_missing", username=login)
    assert entry.outcome == "refused" and entry.tenant_id == world.tenant_a.id
    assert "loa:1" in entry.detail["reason"]


def test_acr_or_amr_of_a_second_factor_admits_and_is_asked_for(ctx, client, world, op):
    provider_id = _provider(client, world, op, mfa_acr_values=[LOA2])
    _require(client, world, "all")
    by_acr, by_amr = unique("acr2"), unique("amrotp")
    op.set_account(by_acr, password=PASSWORD, groups=["jc-team-1"], acr=LOA2, amr=["pwd"])
    op.set_account(by_amr, password=PASSWORD, groups=["jc-team-1"], amr=["pwd", "otp"])
    with browser(ctx) as web:
        # the tenant's requirement asks the provider for the level (step-up)
        query = parse_qs(urlsplit(start_login(web, provider_id)).query)
        assert query["acr_values"] == [LOA2]
        r = oidc_login(web, op, provider_id, by_acr)
        assert r.status_code == 303, r.text
        assert web.get("/app").status_code == 200
    with browser(ctx) as web:
        assert oidc_login(web, op, provider_id, by_amr).status_code == 303
    assert _exists(ctx, by_acr) and _exists(ctx, by_amr)


def test_the_accepted_values_are_the_providers_setting(ctx, client, world, op):
    """amr ``otp`` counts by default; a provider configured to accept only ``hwk``
    (security keys) refuses it."""
    provider_id = _provider(client, world, op, mfa_amr_values=["hwk"])
    _require(client, world, "all")
    login = unique("otpnur")
    op.set_account(login, password=PASSWORD, groups=["jc-team-1"], amr=["otp"])
    with browser(ctx) as web:
        r = oidc_login(web, op, provider_id, login)
        assert r.status_code == 403 and "amr otp" in r.text


def test_admins_only_covers_who_becomes_a_tenant_admin(ctx, client, world, op):
    provider_id = _provider(client, world, op)
    _require(client, world, "admins")
    staff, admin = unique("sachb"), unique("admin")
    op.set_account(staff, password=PASSWORD, groups=["jc-team-1"])
    op.set_account(admin, password=PASSWORD, groups=["jc-admins"])
    with browser(ctx) as web:
        assert oidc_login(web, op, provider_id, staff).status_code == 303
    with browser(ctx) as web:
        r = oidc_login(web, op, provider_id, admin)
        assert r.status_code == 403 and not web.cookies.get(sessions.STAFF_COOKIE)
    op.set_account(admin, password=PASSWORD, groups=["jc-admins"], amr=["pwd", "mfa"])
    with browser(ctx) as web:
        assert oidc_login(web, op, provider_id, admin).status_code == 303
    # without the tenant's requirement nobody is asked
    _require(client, world, None)
    op.set_account(admin, password=PASSWORD, groups=["jc-admins"])
    with browser(ctx) as web:
        assert oidc_login(web, op, provider_id, admin).status_code == 303


def test_the_requirement_is_a_checked_tenant_option(client, world):
    r = client.patch(
        "/api/v1/tenants/current/options",
        json={"directory_second_factor": "sometimes"},
        headers=world.headers["admin_a"],
    )
    assert r.status_code == 422 and r.json()["error"] == "invalid_option"
    r = client.patch(
        "/api/v1/tenants/current/options",
        json={"directory_second_factor": "all"},
        headers=world.headers["caseworker_a1"],
    )
    assert r.status_code == 403


def test_an_ldap_login_cannot_show_a_factor_and_is_refused_where_one_is_required(
    ctx, client, world, directory
):
    from tests.identity.conftest import ldap_config
    from tests.web.conftest import csrf_of

    provider_id = add_provider(
        client,
        world.headers["admin_a"],
        "ldap",
        ldap_config(directory),
        [
            {"group": "jc-team-1", "org_unit_id": str(world.unit_a1.id)},
            {"group": "jc-leitung", "role": "tenant_admin"},
        ],
    )
    staff, boss = unique("ldapsb"), unique("ldapchef")
    directory.add_person(staff, PASSWORD, groups=("jc-team-1",))
    directory.add_person(boss, PASSWORD, groups=("jc-leitung",))
    _require(client, world, "admins")
    token = f"/api/v1/identity-providers/{provider_id}/token"
    assert client.post(token, data={"username": staff, "password": PASSWORD}).status_code == 200
    r = client.post(token, data={"username": boss, "password": PASSWORD})
    assert r.status_code == 403 and r.json()["error"] == "sso_second_factor_missing"
    _require(client, world, "all")
    with browser(ctx) as web:
        form = web.get(f"/sso/{provider_id}")
        r = web.post(
            f"/sso/{provider_id}/ldap",
            data={
                "username": staff,
                "password": PASSWORD,
                "next": "/app",
                "csrf_token": csrf_of(form.text),
            },
        )
        assert r.status_code == 403 and "zweiten Faktor" in r.text
        assert not web.cookies.get(sessions.STAFF_COOKIE)
    assert audit_entries(ctx, "sso.login", error="sso_second_factor_missing", username=staff)
