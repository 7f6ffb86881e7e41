"""Each tenant's Vorgangsarten: its admin maintains the list, Vorgänge take only its names,
and one tenant's list neither shows nor applies in another."""

from __future__ import annotations

from akte.casework.kinds import DEFAULT_VORGANGSARTEN


def _open(client, world, kind, who="caseworker_a1", case_file=None):
    case_file = case_file or world.case_a1
    return client.post(
        f"/api/v1/case-files/{case_file.id}/vorgaenge",
        json={"title": "Antrag 2027", "kind": kind},
        headers=world.headers[who],
    )


def test_the_tenant_admin_sets_the_list_and_vorgaenge_take_only_its_names(client, world):
    admin, cw = world.headers["admin_a"], world.headers["caseworker_a1"]
    assert client.get("/api/v1/vorgangsarten", headers=cw).json()["names"] == DEFAULT_VORGANGSARTEN
    r = client.put(
        "/api/v1/vorgangsarten", json={"names": ["Bürgergeld-Antrag", "Widerspruch"]}, headers=admin
    )
    assert r.status_code == 200, r.text
    assert client.get("/api/v1/vorgangsarten", headers=cw).json()["names"] == [
        "Bürgergeld-Antrag",
        "Widerspruch",
    ]
    refused = _open(client, world, "Sanktion")  # a default, but not on this tenant's list
    assert refused.status_code == 422 and refused.json()["error"] == "unknown_vorgangsart"
    opened = _open(client, world, "  widerspruch ")
    assert opened.status_code == 201 and opened.json()["kind"] == "Widerspruch"
    assert _open(client, world, None).status_code == 201  # no kind at all stays possible
    # taken off the list later: the Vorgang keeps it, renaming it does not fail
    client.put("/api/v1/vorgangsarten", json={"names": ["Bürgergeld-Antrag"]}, headers=admin)
    r = client.patch(
        f"/api/v1/vorgaenge/{opened.json()['id']}",
        json={"title": "Widerspruch vom 3.5.", "kind": "Widerspruch"},
        headers=cw,
    )
    assert r.status_code == 200 and r.json()["kind"] == "Widerspruch"
    r = client.patch(
        f"/api/v1/vorgaenge/{opened.json()['id']}", json={"kind": "Sanktion"}, headers=cw
    )
    assert r.status_code == 422 and r.json()["error"] == "unknown_vorgangsart"


def test_only_the_tenants_own_admin_changes_its_list(client, world):
    ours = {"names": ["Erstantrag", "Weiterbewilligung"]}
    for who in ("caseworker_a1", "importer_a", "system_admin"):
        r = client.put(
            "/api/v1/vorgangsarten", json={"names": ["Eingeschmuggelt"]}, headers=world.headers[who]
        )
        assert r.status_code == 403, (who, r.text)
    assert (
        client.put("/api/v1/vorgangsarten", json=ours, headers=world.headers["admin_a"]).status_code
        == 200
    )
    # tenant B keeps the defaults; A's names appear nowhere in B, and B cannot use them
    b = client.get("/api/v1/vorgangsarten", headers=world.headers["caseworker_b"]).json()
    assert b["names"] == DEFAULT_VORGANGSARTEN and "Eingeschmuggelt" not in b["names"]
    assert (
        client.get("/api/v1/vorgangsarten", headers=world.headers["caseworker_a1"]).json()["names"]
        == ours["names"]
    )
    assert (
        client.get("/api/v1/vorgangsarten", headers=world.headers["importer_a"]).status_code == 403
    )
    r = client.put(
        "/api/v1/vorgangsarten",
        json={"names": ["Klage", "klage "]},
        headers=world.headers["admin_a"],
    )
    assert r.status_code == 409 and r.json()["error"] == "duplicate_vorgangsart"


def test_the_tenant_admin_keeps_the_list_on_a_page_and_caseworkers_are_offered_it(ctx, world):
    from tests.web.conftest import browser, csrf_of, login

    admin = browser(ctx)
    login(admin, world.users["admin_a"].username)
    page = admin.get("/app/vorgangsarten")
    assert page.status_code == 200 and "Weiterbewilligung" in page.text
    saved = admin.post(
        "/app/vorgangsarten",
        data={"csrf_token": csrf_of(page.text), "names": "Bürgergeld-Antrag\n\nWiderspruch\n"},
    )
    assert saved.status_code == 303
    after = admin.get(saved.headers["location"]).text
    assert "Die Liste der Vorgangsarten ist gespeichert." in after
    cw = browser(ctx)
    login(cw, world.users["caseworker_a1"].username)
    assert cw.get("/app/vorgangsarten").status_code == 403
    akte = cw.get(f"/app/akten/{world.case_a1.id}").text
    offered = akte.split('id="vorgang-kind"', 1)[1].split("</select>", 1)[0]
    assert "<option>Bürgergeld-Antrag</option>" in offered and "Sanktion" not in offered
    other = browser(ctx)
    login(other, world.users["caseworker_b"].username)
    theirs = other.get(f"/app/akten/{world.case_b1.id}").text
    assert "Bürgergeld-Antrag" not in theirs
