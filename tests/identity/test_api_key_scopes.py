"""Service-account keys limited to named scopes: a key for ``outbox:read`` lists the print
provider's batches and is refused everywhere else; the role still decides on top."""

from __future__ import annotations


def _key(client, world, scopes, who: str = "admin_a", user: str = "provider_a"):
    body = {"scopes": scopes} if scopes is not None else None
    return client.post(
        f"/api/v1/users/{world.users[user].id}/api-keys", json=body, headers=world.headers[who]
    )


def _bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def test_a_scoped_key_reaches_its_scope_only(client, world):
    r = _key(client, world, ["outbox:read"])
    assert r.status_code == 201, r.text
    assert r.json()["scopes"] == ["outbox:read"]
    reader = _bearer(r.json()["api_key"])
    assert client.get("/api/v1/outbox/batches", headers=reader).status_code == 200
    for method, path in (
        ("POST", "/api/v1/outbox/letters/00000000-0000-0000-0000-000000000000/status"),
        ("GET", "/api/v1/auth/me"),
        ("GET", "/api/v1/case-files"),
    ):
        r = client.request(method, path, headers=reader, data={"status": "printed"})
        assert r.status_code == 403 and r.json()["error"] == "scope_missing", (path, r.text)

    writer = _bearer(_key(client, world, ["outbox:write"]).json()["api_key"])
    assert client.get("/api/v1/outbox/batches", headers=writer).status_code == 200
    assert client.get("/api/v1/auth/me", headers=writer).status_code == 403

    unlimited = _bearer(_key(client, world, None).json()["api_key"])
    assert client.get("/api/v1/auth/me", headers=unlimited).status_code == 200
    # the old key stays valid next to the new ones (rotation)
    assert client.get("/api/v1/auth/me", headers=world.headers["provider_a"]).status_code == 200


def test_a_scope_grants_nothing_the_role_lacks(client, world):
    key = _bearer(_key(client, world, ["case-files:read"]).json()["api_key"])
    r = client.get("/api/v1/case-files", headers=key)
    assert r.status_code in (403, 404) and r.json()["error"] != "scope_missing"
    assert str(world.case_a1.id) not in r.text


def test_scopes_are_checked_and_keys_issued_within_the_tenant(client, world):
    assert _key(client, world, ["outbox"]).status_code == 422
    assert _key(client, world, ["outbox:delete"]).status_code == 422
    assert _key(client, world, ["outbox:read"], who="caseworker_a1").status_code == 403
    assert _key(client, world, ["outbox:read"], who="caseworker_b").status_code in (403, 404)
    assert _key(client, world, ["outbox:read"], user="caseworker_a1").status_code == 409
