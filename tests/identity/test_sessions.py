"""The session list: a person sees and ends their own browser sessions, an admin ends all
of a person's in their own tenant; nobody sees or ends another person's."""

from __future__ import annotations

import re

from tests.identity.conftest import audit_entries
from tests.web.conftest import browser, csrf_of, login


def _signed_in(ctx, username: str, agent: str):
    web = browser(ctx)
    web.headers["user-agent"] = agent
    login(web, username)
    assert web.get("/app").status_code == 200
    return web


def _ids(client, headers: dict, path: str = "/api/v1/auth/sessions") -> dict[str, dict]:
    r = client.get(path, headers=headers)
    assert r.status_code == 200, r.text
    return {s["id"]: s for s in r.json()}


def test_a_person_lists_and_ends_their_own_sessions_only(ctx, client, world):
    a1, a2 = world.users["caseworker_a1"].username, world.users["caseworker_a2"].username
    office, home = _signed_in(ctx, a1, "Firefox Buero"), _signed_in(ctx, a1, "Edge Homeoffice")
    colleague = _signed_in(ctx, a2, "Chrome Kollegin")
    mine = _ids(client, world.headers["caseworker_a1"])
    theirs = _ids(client, world.headers["caseworker_a2"])
    assert sorted(s["user_agent"] for s in mine.values()) == ["Edge Homeoffice", "Firefox Buero"]
    assert len(theirs) == 1 and not set(theirs) & set(mine)
    assert all(s["ip"] and s["created_at"] and s["last_seen_at"] for s in mine.values())

    [foreign] = theirs
    r = client.delete(f"/api/v1/auth/sessions/{foreign}", headers=world.headers["caseworker_a1"])
    assert r.status_code == 404
    assert colleague.get("/app").status_code == 200

    [home_id] = [i for i, s in mine.items() if s["user_agent"] == "Edge Homeoffice"]
    r = client.delete(f"/api/v1/auth/sessions/{home_id}", headers=world.headers["caseworker_a1"])
    assert r.status_code == 204
    assert home.get("/app").status_code == 303  # back to the login page
    assert office.get("/app").status_code == 200
    assert list(_ids(client, world.headers["caseworker_a1"])) == [i for i in mine if i != home_id]
    for web in (office, home, colleague):
        web.close()


def test_the_page_ends_all_other_sessions_but_this_one(ctx, world):
    a1 = world.users["caseworker_a1"].username
    here, there = _signed_in(ctx, a1, "Firefox hier"), _signed_in(ctx, a1, "Firefox dort")
    colleague = _signed_in(ctx, world.users["caseworker_a2"].username, "Chrome Kollegin")
    page = here.get("/app/sitzungen")
    assert page.status_code == 200
    assert "Firefox hier" in page.text and "Firefox dort" in page.text
    assert "Chrome Kollegin" not in page.text
    assert len(re.findall(r"data-session=", page.text)) == 2
    r = here.post("/app/sitzungen/andere-beenden", data={"csrf_token": csrf_of(page.text)})
    assert r.status_code == 303
    assert there.get("/app").status_code == 303
    assert here.get("/app").status_code == 200 and colleague.get("/app").status_code == 200
    for web in (here, there, colleague):
        web.close()


def test_an_admin_ends_every_session_of_a_person_of_their_own_tenant(ctx, client, world):
    target, foreign = world.users["caseworker_a1"], world.users["caseworker_b"]
    webs = [_signed_in(ctx, target.username, f"Browser {n}") for n in (1, 2)]
    outsider = _signed_in(ctx, foreign.username, "Browser B")

    listed = _ids(client, world.headers["admin_a"], f"/api/v1/users/{target.id}/sessions")
    assert len(listed) == 2
    for who, status in (("admin_a", 404), ("caseworker_a2", 403)):
        r = client.get(f"/api/v1/users/{foreign.id}/sessions", headers=world.headers[who])
        assert r.status_code == status
        r = client.delete(f"/api/v1/users/{foreign.id}/sessions", headers=world.headers[who])
        assert r.status_code == status
    r = client.delete(f"/api/v1/users/{target.id}/sessions", headers=world.headers["caseworker_a2"])
    assert r.status_code == 403
    assert outsider.get("/app").status_code == 200 and webs[0].get("/app").status_code == 200

    r = client.delete(f"/api/v1/users/{target.id}/sessions", headers=world.headers["admin_a"])
    assert r.status_code == 200 and r.json() == {"ended": 2}
    assert [w.get("/app").status_code for w in webs] == [303, 303]
    assert outsider.get("/app").status_code == 200
    [entry] = audit_entries(ctx, "user.sessions_end", user_id=str(target.id))
    assert entry.actor_id == str(world.users["admin_a"].id)
    assert audit_entries(ctx, "user.sessions_end", user_id=str(foreign.id)) == []
    for web in (*webs, outsider):
        web.close()
