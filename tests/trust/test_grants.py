"""Sharing one Akte with another org unit, and deputies (Vertretung) for a period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from akte.core.database import session_scope
from akte.grants.models import CaseFileGrant
from tests.trust.helpers import upload


def _grant(client, world, case_file, unit, **body):
    return client.put(
        f"/api/v1/case-files/{case_file.id}/grants/{unit.id}",
        json=body,
        headers=world.headers["admin_a"],
    )


def test_grant_opens_one_akte_and_its_documents_to_another_org_unit(client, world):
    doc = upload(client, world)
    a2 = world.headers["caseworker_a2"]
    assert client.get(f"/api/v1/case-files/{world.case_a1.id}", headers=a2).status_code == 404
    assert client.get(f"/api/v1/documents/{doc['id']}", headers=a2).status_code == 404
    r = _grant(client, world, world.case_a1, world.unit_a2)
    assert r.status_code == 200, r.text
    assert r.json()["active"] is True
    assert client.get(f"/api/v1/case-files/{world.case_a1.id}", headers=a2).status_code == 200
    assert client.get(f"/api/v1/documents/{doc['id']}/content", headers=a2).status_code == 200
    listed = client.get("/api/v1/case-files", headers=a2).json()["items"]
    assert str(world.case_a1.id) in {c["id"] for c in listed}
    # only that Akte: the org unit's other Akten stay closed to a2 (none here besides a1)
    r = client.delete(
        f"/api/v1/case-files/{world.case_a1.id}/grants/{world.unit_a2.id}",
        headers=world.headers["admin_a"],
    )
    assert r.status_code == 204
    assert client.get(f"/api/v1/case-files/{world.case_a1.id}", headers=a2).status_code == 404


def test_grant_expires_by_itself(client, world, ctx):
    a2 = world.headers["caseworker_a2"]
    soon = datetime.now(UTC) + timedelta(hours=1)
    assert (
        _grant(
            client, world, world.case_a1, world.unit_a2, valid_until=soon.isoformat()
        ).status_code
        == 200
    )
    assert client.get(f"/api/v1/case-files/{world.case_a1.id}", headers=a2).status_code == 200
    with session_scope(ctx.session_factory) as session:  # time passes
        session.execute(
            update(CaseFileGrant)
            .where(CaseFileGrant.case_file_id == world.case_a1.id)
            .values(valid_until=datetime.now(UTC) - timedelta(seconds=1))
        )
    assert client.get(f"/api/v1/case-files/{world.case_a1.id}", headers=a2).status_code == 404
    grants = client.get(
        f"/api/v1/case-files/{world.case_a1.id}/grants", headers=world.headers["admin_a"]
    ).json()
    assert [g["active"] for g in grants] == [False]


def test_deputy_membership_for_a_period(client, world, ctx):
    none = world.headers["caseworker_none"]
    user = world.users["caseworker_none"]
    until = (datetime.now(UTC) + timedelta(days=14)).isoformat()
    r = client.put(
        f"/api/v1/users/{user.id}/memberships/{world.unit_a1.id}",
        json={"valid_until": until},
        headers=world.headers["admin_a"],
    )
    assert r.status_code == 200, r.text
    assert client.get(f"/api/v1/case-files/{world.case_a1.id}", headers=none).status_code == 200
    from akte.users.models import Membership

    with session_scope(ctx.session_factory) as session:
        session.execute(
            update(Membership)
            .where(Membership.user_id == user.id)
            .values(valid_until=datetime.now(UTC) - timedelta(seconds=1))
        )
    assert client.get(f"/api/v1/case-files/{world.case_a1.id}", headers=none).status_code == 404


def test_only_own_tenant_admins_grant_and_it_is_audited(client, world):
    for who in ["caseworker_a1", "importer_a", "provider_a"]:
        r = client.put(
            f"/api/v1/case-files/{world.case_a1.id}/grants/{world.unit_a2.id}",
            json={},
            headers=world.headers[who],
        )
        assert r.status_code == 403, who
    # another tenant's Akte or org unit does not exist for this admin
    assert _grant(client, world, world.case_b1, world.unit_a2).status_code == 404
    assert _grant(client, world, world.case_a1, world.unit_b1).status_code == 404
    assert _grant(client, world, world.case_a1, world.unit_a2).status_code == 200
    log = client.get(
        "/api/v1/audit",
        params={"object_id": str(world.case_a1.id), "action": "grant.create"},
        headers=world.headers["admin_a"],
    ).json()
    assert log["total"] == 1
    assert log["items"][0]["detail"]["org_unit_id"] == str(world.unit_a2.id)
