"""Administration over HTTP: tenants, org units, users, service accounts and API keys."""

from __future__ import annotations

import warnings

from sqlalchemy.exc import SAWarning

from tests.builders import PASSWORD, unique


def test_system_admin_builds_a_tenant_with_people(client, world):
    root = world.headers["system_admin"]
    tenant = client.post(
        "/api/v1/tenants", json={"slug": unique("jc"), "name": "JC Nord"}, headers=root
    )
    assert tenant.status_code == 201
    tenant_id = tenant.json()["id"]
    unit = client.post(
        f"/api/v1/tenants/{tenant_id}/org-units",
        json={"code": "LB-1", "name": "Leistung"},
        headers=root,
    ).json()
    admin = client.post(
        f"/api/v1/tenants/{tenant_id}/users",
        headers=root,
        json={
            "username": unique("admin"),
            "display_name": "A",
            "role": "tenant_admin",
            "password": PASSWORD,
        },
    )
    assert admin.status_code == 201 and admin.json()["api_key"] is None
    token = client.post(
        "/api/v1/auth/token", data={"username": admin.json()["username"], "password": PASSWORD}
    ).json()["access_token"]
    admin_headers = {"Authorization": f"Bearer {token}"}
    worker = client.post(
        f"/api/v1/tenants/{tenant_id}/users",
        headers=admin_headers,
        json={
            "username": unique("sb"),
            "display_name": "S",
            "role": "caseworker",
            "password": PASSWORD,
            "org_unit_ids": [unit["id"]],
        },
    )
    assert worker.status_code == 201
    me = client.post(
        "/api/v1/auth/token", data={"username": worker.json()["username"], "password": PASSWORD}
    ).json()
    profile = client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {me['access_token']}"}
    ).json()
    assert profile["role"] == "caseworker" and profile["org_unit_ids"] == [unit["id"]]


def test_service_account_key_is_shown_once_and_works(client, world):
    admin = world.headers["admin_a"]
    created = client.post(
        f"/api/v1/tenants/{world.tenant_a.id}/users",
        headers=admin,
        json={"username": unique("scanner"), "display_name": "Scan GmbH", "role": "importer"},
    )
    assert created.status_code == 201
    key = created.json()["api_key"]
    assert key.startswith("akte_")
    me = client.get("/api/v1/auth/me", headers={"X-API-Key": key}).json()
    assert me["role"] == "importer"
    listing = client.get(f"/api/v1/tenants/{world.tenant_a.id}/users", headers=admin).json()
    assert key not in str(listing)


def test_wrong_password_is_401(client, world):
    response = client.post(
        "/api/v1/auth/token",
        data={"username": world.users["caseworker_a1"].username, "password": "wrong-password"},
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_credentials"


def test_tenant_admin_cannot_administer_another_tenant(client, world):
    admin = world.headers["admin_a"]
    response = client.post(
        f"/api/v1/tenants/{world.tenant_b.id}/org-units",
        json={"code": "X", "name": "X"},
        headers=admin,
    )
    assert response.status_code == 404
    assert (
        client.post(
            "/api/v1/tenants", json={"slug": unique("x"), "name": "x"}, headers=admin
        ).status_code
        == 403
    )
    tenants = client.get("/api/v1/tenants", headers=admin).json()
    assert [t["id"] for t in tenants["items"]] == [str(world.tenant_a.id)]


def test_caseworkers_cannot_create_users(client, world):
    response = client.post(
        f"/api/v1/tenants/{world.tenant_a.id}/users",
        headers=world.headers["caseworker_a1"],
        json={
            "username": unique("x"),
            "display_name": "x",
            "role": "caseworker",
            "password": PASSWORD,
        },
    )
    assert response.status_code == 403


def test_expired_membership_no_longer_opens_akten(client, world):
    admin, worker = world.headers["admin_a"], world.users["caseworker_none"]
    url = f"/api/v1/users/{worker.id}/memberships/{world.unit_a1.id}"
    granted = client.put(url, json={"valid_until": "2099-01-01T00:00:00Z"}, headers=admin)
    assert granted.status_code == 200
    akte = f"/api/v1/case-files/{world.case_a1.id}"
    assert client.get(akte, headers=world.headers["caseworker_none"]).status_code == 200
    client.put(url, json={"valid_until": "2001-01-01T00:00:00Z"}, headers=admin)
    assert client.get(akte, headers=world.headers["caseworker_none"]).status_code == 404


def test_system_admin_has_no_current_tenant_options(client, world):
    """A system admin belongs to no tenant: "current" options are a clear 404, not a
    lookup of a null key (which SQLAlchemy only warns about today and may refuse later,
    a 500); a tenant admin's "current" options still answer."""
    root = world.headers["system_admin"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", SAWarning)
        response = client.get("/api/v1/tenants/current/options", headers=root)
    assert response.status_code == 404, response.text
    assert response.json()["error"] == "not_found"
    own = client.get("/api/v1/tenants/current/options", headers=world.headers["admin_a"])
    assert own.status_code == 200, own.text
