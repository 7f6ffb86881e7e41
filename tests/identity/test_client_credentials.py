"""Service accounts through the tenant's provider: a client of the real ``oidc-provider``
fetches an access token for itself (client credentials grant) and akte takes it as the
bearer token of the service account the tenant admin registered the client for."""

from __future__ import annotations

import httpx

from tests.identity.conftest import audit_entries, oidc_config
from tests.identity.test_oidc_bearer import access_token
from tests.infra.oidc import (
    API_RESOURCE,
    CLIENT_SECRET,
    SERVICE_CLIENT_ID,
    SERVICE_CLIENT_SECRET,
)

ME = "/api/v1/auth/me"


def client_token(
    op, client_id: str = SERVICE_CLIENT_ID, secret: str = SERVICE_CLIENT_SECRET
) -> str:
    doc = httpx.get(f"{op.issuer}/.well-known/openid-configuration").json()
    r = httpx.post(
        doc["token_endpoint"],
        auth=(client_id, secret),
        data={"grant_type": "client_credentials", "resource": API_RESOURCE},
    )
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def _provider(client, world, op) -> str:
    r = client.post(
        "/api/v1/identity-providers",
        headers=world.headers["admin_a"],
        json={
            "slug": "idp-cc",
            "name": "Verzeichnis",
            "kind": "oidc",
            "client_secret": CLIENT_SECRET,
            "config": oidc_config(op, api_audience=API_RESOURCE),
        },
    )
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _register(
    client,
    world,
    provider_id: str,
    user: str = "importer_a",
    client_id: str = SERVICE_CLIENT_ID,
    who: str = "admin_a",
):
    return client.post(
        f"/api/v1/identity-providers/{provider_id}/service-clients",
        json={"client_id": client_id, "user_id": str(world.users[user].id)},
        headers=world.headers[who],
    )


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_a_registered_clients_token_acts_as_the_service_account(ctx, client, world, op):
    provider_id = _provider(client, world, op)
    token = client_token(op)
    # not registered yet: the token is no credential
    r = client.get(ME, headers=_bearer(token))
    assert r.status_code == 401 and r.json()["error"] == "invalid_token"

    r = _register(client, world, provider_id)
    assert r.status_code == 201, r.text
    registered = r.json()
    me = client.get(ME, headers=_bearer(token))
    assert me.status_code == 200, me.text
    assert me.json()["username"] == world.users["importer_a"].username
    assert me.json()["role"] == "importer"
    # the importer's rights, no more: its tenant's options yes, case files no
    assert client.get("/api/v1/tenants/current/options", headers=_bearer(token)).status_code == 200
    assert client.get("/api/v1/case-files", headers=_bearer(token)).status_code == 403
    [entry] = audit_entries(ctx, "identity.service_client_add", client_id=SERVICE_CLIENT_ID)
    assert entry.tenant_id == world.tenant_a.id

    listed = client.get(
        f"/api/v1/identity-providers/{provider_id}/service-clients",
        headers=world.headers["admin_a"],
    ).json()
    assert [c["client_id"] for c in listed] == [SERVICE_CLIENT_ID]

    # removed: the same token stops working at once
    r = client.delete(
        f"/api/v1/identity-providers/{provider_id}/service-clients/{registered['id']}",
        headers=world.headers["admin_a"],
    )
    assert r.status_code == 204
    assert client.get(ME, headers=_bearer(token)).status_code == 401
    assert (
        len(audit_entries(ctx, "identity.service_client_remove", client_id=SERVICE_CLIENT_ID)) == 1
    )


def test_a_disabled_service_account_or_provider_ends_the_tokens(ctx, client, world, op):
    provider_id = _provider(client, world, op)
    assert _register(client, world, provider_id, user="provider_a").status_code == 201
    token = client_token(op)
    assert client.get(ME, headers=_bearer(token)).json()["role"] == "print_provider"
    r = client.patch(
        f"/api/v1/identity-providers/{provider_id}",
        json={"enabled": False},
        headers=world.headers["admin_a"],
    )
    assert r.status_code == 200
    assert client.get(ME, headers=_bearer(token)).status_code == 401


def test_only_service_accounts_of_the_tenant_and_only_by_its_admins(ctx, client, world, op):
    provider_id = _provider(client, world, op)
    r = _register(client, world, provider_id, user="caseworker_a1")
    assert r.status_code == 409 and r.json()["error"] == "not_a_service_account"
    r = _register(client, world, provider_id, user="caseworker_b")  # another tenant's
    assert r.status_code == 404
    for who in ("caseworker_a1", "importer_a", "caseworker_b"):
        assert _register(client, world, provider_id, who=who).status_code in (403, 404)
    assert _register(client, world, provider_id).status_code == 201
    r = _register(client, world, provider_id, user="provider_a")
    assert r.status_code == 409 and r.json()["error"] == "duplicate_client"


def test_a_persons_token_through_another_client_stays_the_persons(ctx, client, world, op):
    """Registering the service client changes nothing for tokens of other clients: a
    person's token (issued to the command-line client) still speaks for the person."""
    from tests.builders import unique
    from tests.identity.conftest import PASSWORD, oidc_login
    from tests.web.conftest import browser

    provider_id = _provider(client, world, op)
    client.put(
        f"/api/v1/identity-providers/{provider_id}/mappings",
        json={"mappings": [{"group": "jc-team-1", "role": "caseworker"}]},
        headers=world.headers["admin_a"],
    )
    assert _register(client, world, provider_id).status_code == 201
    login = unique("erika")
    op.set_account(login, password=PASSWORD, groups=["jc-team-1"])
    with browser(ctx) as web:
        assert oidc_login(web, op, provider_id, login).status_code == 303
    token = access_token(op, login)
    me = client.get(ME, headers=_bearer(token)).json()
    assert me["username"] == login and me["role"] == "caseworker"
