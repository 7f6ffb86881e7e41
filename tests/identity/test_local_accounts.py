"""Local accounts next to the directory: a tenant switches password logins off for everyone
but its admins, who keep them as break-glass access."""

from __future__ import annotations

from tests.builders import PASSWORD
from tests.identity.conftest import audit_entries
from tests.web.conftest import browser, csrf_of


def _token(client, username: str):
    return client.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})


def test_local_login_off_leaves_only_the_tenant_admins_in(ctx, client, world):
    caseworker = world.users["caseworker_a1"].username
    admin = world.users["admin_a"].username
    other_tenant = world.users["caseworker_b"].username
    assert _token(client, caseworker).status_code == 200
    r = client.patch(
        "/api/v1/tenants/current/options",
        json={"local_login": False},
        headers=world.headers["admin_a"],
    )
    assert r.status_code == 200, r.text
    assert _token(client, caseworker).status_code == 401
    with browser(ctx) as web:
        page = web.get("/login")
        r = web.post(
            "/login",
            data={"username": caseworker, "password": PASSWORD, "csrf_token": csrf_of(page.text)},
        )
        assert r.status_code == 401
    assert _token(client, other_tenant).status_code == 200  # another tenant: unchanged
    assert _token(client, admin).status_code == 200
    [entry] = audit_entries(ctx, "api.break_glass_login", username=admin)
    assert entry.tenant_id == world.tenant_a.id
    refused = audit_entries(ctx, "api.login", username=caseworker)
    assert any("switched off" in (e.detail.get("reason") or "") for e in refused)
