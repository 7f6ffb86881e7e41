"""Akten over HTTP: creation rules, listing, and need-to-know visibility."""

from __future__ import annotations

import uuid

from tests.builders import World, unique


def _create(client, world: World, who: str = "caseworker_a1", **overrides):
    body = {"aktenzeichen": unique("AZ-2024"), "org_unit_id": str(world.unit_a1.id), **overrides}
    return client.post("/api/v1/case-files", json=body, headers=world.headers[who])


def test_caseworker_creates_and_reads_an_akte(client, world):
    response = _create(
        client,
        world,
        bg_nummer="12345 BG 0012345",
        betreff="Antrag",
        person_name="Jürgen Müller",
        address_lines=["Jürgen Müller", "Weg 1"],
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["status"] == "open"
    assert created["address_lines"] == ["Jürgen Müller", "Weg 1"]
    fetched = client.get(
        f"/api/v1/case-files/{created['id']}", headers=world.headers["caseworker_a1"]
    )
    assert fetched.json()["aktenzeichen"] == created["aktenzeichen"]


def test_aktenzeichen_is_unique_per_tenant_only(client, world):
    aktenzeichen = unique("AZ")
    assert _create(client, world, aktenzeichen=aktenzeichen).status_code == 201
    again = _create(client, world, aktenzeichen=aktenzeichen)
    assert again.status_code == 409
    assert again.json()["error"] == "duplicate_aktenzeichen"
    other_tenant = client.post(
        "/api/v1/case-files",
        json={"aktenzeichen": aktenzeichen, "org_unit_id": str(world.unit_b1.id)},
        headers=world.headers["caseworker_b"],
    )
    assert other_tenant.status_code == 201


def test_missing_fields_are_a_clear_422(client, world):
    response = client.post(
        "/api/v1/case-files", json={"betreff": "x"}, headers=world.headers["caseworker_a1"]
    )
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "validation_error"
    assert "aktenzeichen" in body["detail"]


def test_cannot_create_in_an_org_unit_without_membership(client, world):
    response = _create(client, world, org_unit_id=str(world.unit_a2.id))
    assert response.status_code == 404
    other_tenant_unit = _create(client, world, org_unit_id=str(world.unit_b1.id))
    assert other_tenant_unit.status_code == 404


def test_other_tenants_akte_is_404(client, world):
    response = client.get(
        f"/api/v1/case-files/{world.case_b1.id}", headers=world.headers["caseworker_a1"]
    )
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "detail": "Akte not found"}


def test_caseworker_without_grant_cannot_read_org_units_akten(client, world):
    headers = world.headers["caseworker_none"]
    assert client.get(f"/api/v1/case-files/{world.case_a1.id}", headers=headers).status_code == 404
    listing = client.get("/api/v1/case-files", headers=headers).json()
    assert listing["total"] == 0 and listing["items"] == []
    other_unit = client.get(
        f"/api/v1/case-files/{world.case_a2.id}", headers=world.headers["caseworker_a1"]
    )
    assert other_unit.status_code == 404


def test_list_is_paginated_and_filtered(client, world):
    ids = {_create(client, world, betreff=f"Vorgang {i}").json()["id"] for i in range(5)}
    headers = world.headers["caseworker_a1"]
    page1 = client.get("/api/v1/case-files?size=2&page=1", headers=headers).json()
    page2 = client.get("/api/v1/case-files?size=2&page=2", headers=headers).json()
    assert page1["total"] == page2["total"] == 6  # five new + the world's case_a1
    assert len(page1["items"]) == 2 and len(page2["items"]) == 2
    assert not {i["id"] for i in page1["items"]} & {i["id"] for i in page2["items"]}
    assert ids <= {
        i["id"] for i in client.get("/api/v1/case-files?size=200", headers=headers).json()["items"]
    }
    closed_id = next(iter(ids))
    patched = client.patch(
        f"/api/v1/case-files/{closed_id}", json={"status": "closed"}, headers=headers
    )
    assert patched.json()["closed_at"] is not None
    closed = client.get("/api/v1/case-files?status=closed", headers=headers).json()
    assert [i["id"] for i in closed["items"]] == [closed_id]


def test_search_by_bg_nummer_with_or_without_separators(client, world):
    _create(client, world, bg_nummer="98765BG0000042")
    headers = world.headers["caseworker_a1"]
    found = client.get("/api/v1/case-files", params={"q": "98765 BG 0000042"}, headers=headers)
    assert [i["bg_nummer"] for i in found.json()["items"]] == ["98765BG0000042"]


def test_service_accounts_may_not_touch_akten(client, world):
    for who in ("importer_a", "provider_a"):
        response = client.get("/api/v1/case-files", headers=world.headers[who])
        assert response.status_code == 403
        assert response.json()["error"] == "forbidden"


def test_unknown_id_and_bad_id(client, world):
    headers = world.headers["caseworker_a1"]
    assert client.get(f"/api/v1/case-files/{uuid.uuid4()}", headers=headers).status_code == 404
    assert client.get("/api/v1/case-files/not-a-uuid", headers=headers).status_code == 422
