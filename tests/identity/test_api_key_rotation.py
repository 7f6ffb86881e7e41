"""Service-account keys that expire, and rotation with two keys valid during the change: what
an importer or print provider notices (its calls work, then 401 ``api_key_expired``), and
what the audit log keeps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.identity.conftest import audit_entries

ME = "/api/v1/auth/me"


def _bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def _issue(client, world, body=None, who: str = "admin_a", user: str = "importer_a"):
    return client.post(
        f"/api/v1/users/{world.users[user].id}/api-keys", json=body, headers=world.headers[who]
    )


def _later(seconds: int) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


def test_an_expired_key_is_refused_with_its_own_error_and_audited(ctx, client, world, clock):
    r = _issue(client, world, {"expires_at": _later(3600)})
    assert r.status_code == 201, r.text
    key, key_id = r.json()["api_key"], r.json()["key_id"]
    assert r.json()["expires_at"] is not None
    assert client.get(ME, headers=_bearer(key)).status_code == 200
    clock.advance(3601)
    for _ in range(3):
        r = client.get(ME, headers=_bearer(key))
        assert r.status_code == 401 and r.json()["error"] == "api_key_expired", r.text
    # the account's other keys are untouched
    assert client.get(ME, headers=world.headers["importer_a"]).status_code == 200
    # one audit entry however often the forgotten job knocks (at most hourly)
    entries = audit_entries(ctx, "api_key.expired_use", key_id=key_id)
    assert len(entries) == 1 and entries[0].outcome == "refused"
    assert entries[0].tenant_id == world.tenant_a.id
    clock.advance(3601)
    assert client.get(ME, headers=_bearer(key)).status_code == 401
    assert len(audit_entries(ctx, "api_key.expired_use", key_id=key_id)) == 2


def test_rotation_keeps_both_keys_valid_then_the_old_one_expires(ctx, client, world, clock):
    old = _issue(client, world).json()
    r = _issue(client, world, {"replaces": old["key_id"], "grace_seconds": 600})
    assert r.status_code == 201, r.text
    new = r.json()
    # during the change both work
    assert client.get(ME, headers=_bearer(old["api_key"])).status_code == 200
    assert client.get(ME, headers=_bearer(new["api_key"])).status_code == 200
    listed = client.get(
        f"/api/v1/users/{world.users['importer_a'].id}/api-keys", headers=world.headers["admin_a"]
    ).json()["items"]
    states = {k["id"]: k for k in listed}
    assert states[old["key_id"]]["state"] == "active"
    assert states[old["key_id"]]["expires_at"] is not None
    assert states[new["key_id"]]["expires_at"] is None
    assert not any(old["api_key"] in str(k) or new["api_key"] in str(k) for k in listed)
    clock.advance(601)
    r = client.get(ME, headers=_bearer(old["api_key"]))
    assert r.status_code == 401 and r.json()["error"] == "api_key_expired"
    assert client.get(ME, headers=_bearer(new["api_key"])).status_code == 200
    listed = client.get(
        f"/api/v1/users/{world.users['importer_a'].id}/api-keys", headers=world.headers["admin_a"]
    ).json()["items"]
    assert {k["id"]: k["state"] for k in listed}[old["key_id"]] == "expired"
    [entry] = audit_entries(ctx, "api_key.issue", key_id=new["key_id"])
    assert entry.detail["replaces"] == old["key_id"]
    # an expired key cannot be rotated any more
    r = _issue(client, world, {"replaces": old["key_id"]})
    assert r.status_code == 409 and r.json()["error"] == "api_key_not_valid"


def test_revoking_ends_a_key_at_once_and_is_audited(ctx, client, world):
    issued = _issue(client, world).json()
    path = f"/api/v1/users/{world.users['importer_a'].id}/api-keys/{issued['key_id']}"
    assert client.delete(path, headers=world.headers["admin_a"]).status_code == 204
    r = client.get(ME, headers=_bearer(issued["api_key"]))
    assert r.status_code == 401 and r.json()["error"] == "invalid_token"
    assert client.delete(path, headers=world.headers["admin_a"]).status_code == 204  # no-op
    assert len(audit_entries(ctx, "api_key.revoke", key_id=issued["key_id"])) == 1


def test_bad_expiry_and_foreign_keys_are_refused(client, world):
    r = _issue(client, world, {"expires_at": "2001-01-01T00:00:00Z"})
    assert r.status_code == 409 and r.json()["error"] == "expiry_in_past"
    r = _issue(client, world, {"grace_seconds": -1})
    assert r.status_code == 422
    # a key of another account cannot be named as the one replaced or revoked
    other = _issue(client, world, user="provider_a").json()
    r = _issue(client, world, {"replaces": other["key_id"]})
    assert r.status_code == 404 and r.json()["error"] == "api_key_not_found"
    r = client.delete(
        f"/api/v1/users/{world.users['importer_a'].id}/api-keys/{other['key_id']}",
        headers=world.headers["admin_a"],
    )
    assert r.status_code == 404
    assert client.get(ME, headers=_bearer(other["api_key"])).status_code == 200


def test_only_the_accounts_admins_see_and_manage_its_keys(client, world):
    issued = _issue(client, world).json()
    base = f"/api/v1/users/{world.users['importer_a'].id}/api-keys"
    for who in ("caseworker_a1", "importer_a", "caseworker_b"):
        assert client.get(base, headers=world.headers[who]).status_code == 403
        assert (
            client.delete(f"{base}/{issued['key_id']}", headers=world.headers[who]).status_code
            == 403
        )
    mine = client.get(
        f"/api/v1/users/{world.users['importer_a'].id}/api-keys", headers=world.headers["admin_a"]
    ).json()["items"]
    theirs = _issue(client, world, user="provider_a").json()
    assert theirs["key_id"] not in {k["id"] for k in mine}
