"""Vorgänge, Aktenvermerke and Wiedervorlagen through ``/api/v1``, on both deployment pairs.

Who may do what follows the Akte: its org unit reads and owns it, a grant or a deputy
period lends reading and annotating (never closing a Vorgang), and another org unit or
tenant finds nothing: 404 for every id, and no foreign id in any list.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from akte.audit.models import AuditEntry
from akte.casework.followups import today
from akte.casework.models import CaseNote, FollowUp
from akte.core.database import session_scope
from akte.users.models import Role
from tests.builders import bearer, make_user
from tests.trust.helpers import upload


def _vorgang(client, world, who="caseworker_a1", case_file=None, **body):
    case_file = case_file or world.case_a1
    r = client.post(
        f"/api/v1/case-files/{case_file.id}/vorgaenge",
        json={"title": "Weiterbewilligung 2027", "kind": "Weiterbewilligung", **body},
        headers=world.headers[who],
    )
    assert r.status_code == 201, r.text
    return r.json()


def _follow_up(client, world, who="caseworker_a1", case_file=None, **body):
    case_file = case_file or world.case_a1
    payload = {
        "due_on": (today() + timedelta(days=3)).isoformat(),
        "reason": "Kontoauszüge",
        **body,
    }
    r = client.post(
        f"/api/v1/case-files/{case_file.id}/follow-ups", json=payload, headers=world.headers[who]
    )
    assert r.status_code == 201, r.text
    return r.json()


def _audit(ctx, action: str, object_id: str) -> list[AuditEntry]:
    with session_scope(ctx.session_factory) as session:
        rows = list(
            session.scalars(
                select(AuditEntry).where(
                    AuditEntry.action == action, AuditEntry.object_id == object_id
                )
            )
        )
        session.expunge_all()
        return rows


def _grant_a1_to_a2(client, world):
    r = client.put(
        f"/api/v1/case-files/{world.case_a1.id}/grants/{world.unit_a2.id}",
        json={},
        headers=world.headers["admin_a"],
    )
    assert r.status_code == 200, r.text


# -- Vorgänge -----------------------------------------------------------------------------


def test_documents_move_between_vorgaenge_in_one_action(client, world, ctx):
    h = world.headers["caseworker_a1"]
    first = _vorgang(client, world)
    second = _vorgang(client, world, title="Widerspruch vom 3.5.", kind="Widerspruch")
    doc = upload(client, world)["id"]
    url = f"/api/v1/documents/{doc}/vorgang"
    assert client.get(url, headers=h).json()["vorgang_id"] is None
    assert client.put(url, json={"vorgang_id": first["id"]}, headers=h).status_code == 200
    r = client.put(url, json={"vorgang_id": second["id"]}, headers=h)
    assert r.status_code == 200, r.text
    assert client.get(url, headers=h).json()["vorgang_id"] == second["id"]
    listed = client.get(f"/api/v1/case-files/{world.case_a1.id}/vorgaenge", headers=h).json()
    counts = {v["id"]: v["document_count"] for v in listed["items"]}
    assert counts == {first["id"]: 0, second["id"]: 1}
    moves = _audit(ctx, "document.vorgang", doc)
    assert [(e.detail["from_vorgang_id"], e.detail["to_vorgang_id"]) for e in moves] == [
        (None, first["id"]),
        (first["id"], second["id"]),
    ]
    assert {e.actor_id for e in moves} == {str(world.users["caseworker_a1"].id)}
    # out of any Vorgang again
    assert client.put(url, json={"vorgang_id": None}, headers=h).json()["vorgang_id"] is None
    assert client.get(url, headers=h).json()["vorgang_id"] is None


def test_a_document_only_joins_a_vorgang_of_its_own_akte(client, world, ctx):
    with session_scope(ctx.session_factory) as session:  # reads both Akten of tenant A
        both = make_user(session, world.tenant_a, Role.caseworker, (world.unit_a1, world.unit_a2))
        h = bearer(ctx, both)
    world.headers["both"] = h
    other = _vorgang(client, world, who="both", case_file=world.case_a2)
    doc = upload(client, world)["id"]
    r = client.put(f"/api/v1/documents/{doc}/vorgang", json={"vorgang_id": other["id"]}, headers=h)
    assert r.status_code == 422
    assert r.json()["error"] == "vorgang_not_in_akte"


def test_closing_a_vorgang_needs_the_akte_owned(client, world, ctx):
    v = _vorgang(client, world)
    _grant_a1_to_a2(client, world)
    borrower = world.headers["caseworker_a2"]
    r = client.post(f"/api/v1/vorgaenge/{v['id']}/close", headers=borrower)
    assert r.status_code == 403 and r.json()["error"] == "lent_access"
    # what a loan does lend: renaming, notes, follow-ups, filing a document into it
    r = client.patch(f"/api/v1/vorgaenge/{v['id']}", json={"title": "WBA 2027"}, headers=borrower)
    assert r.status_code == 200 and r.json()["title"] == "WBA 2027"
    doc = upload(client, world)["id"]
    assert (
        client.put(
            f"/api/v1/documents/{doc}/vorgang", json={"vorgang_id": v["id"]}, headers=borrower
        ).status_code
        == 200
    )
    owner = world.headers["caseworker_a1"]
    r = client.post(f"/api/v1/vorgaenge/{v['id']}/close", headers=owner)
    assert r.status_code == 200 and r.json()["status"] == "closed"
    assert client.post(f"/api/v1/vorgaenge/{v['id']}/close", headers=owner).status_code == 409
    doc2 = upload(client, world)["id"]
    r = client.put(f"/api/v1/documents/{doc2}/vorgang", json={"vorgang_id": v["id"]}, headers=owner)
    assert r.status_code == 409 and r.json()["error"] == "vorgang_closed"
    assert (
        client.post(f"/api/v1/vorgaenge/{v['id']}/reopen", headers=owner).json()["status"] == "open"
    )
    assert [e.actor_id for e in _audit(ctx, "vorgang.close", v["id"])] == [
        str(world.users["caseworker_a1"].id)
    ]
    assert len(_audit(ctx, "vorgang.reopen", v["id"])) == 1


# -- Aktenvermerke ------------------------------------------------------------------------


def test_notes_are_append_only_and_a_correction_points_to_the_old_one(client, world, ctx):
    h = world.headers["caseworker_a1"]
    url = f"/api/v1/case-files/{world.case_a1.id}/notes"
    first = client.post(
        url, json={"body": "Telefonat mit Frau Yılmaz:\nUnterlagen folgen."}, headers=h
    )
    assert first.status_code == 201, first.text
    note = first.json()
    assert note["author_name"] == world.users["caseworker_a1"].display_name
    assert note["body"] == "Telefonat mit Frau Yılmaz:\nUnterlagen folgen."
    fix = client.post(
        url,
        json={"body": "Berichtigung: Unterlagen kommen per Post.", "corrects_id": note["id"]},
        headers=h,
    )
    assert fix.status_code == 201, fix.text
    # the old note is unchanged and names its correction
    old = client.get(f"/api/v1/notes/{note['id']}", headers=h).json()
    assert old["body"] == note["body"] and old["corrected_by"] == [fix.json()["id"]]
    listed = client.get(url, headers=h).json()["items"]
    assert [n["id"] for n in listed] == [note["id"], fix.json()["id"]]
    # there is no way to change or delete a note
    assert (
        client.patch(f"/api/v1/notes/{note['id']}", json={"body": "x"}, headers=h).status_code
        == 405
    )
    assert client.delete(f"/api/v1/notes/{note['id']}", headers=h).status_code == 405
    created = _audit(ctx, "note.create", fix.json()["id"])
    assert created[0].detail["corrects_id"] == note["id"]
    assert "body" not in created[0].detail  # the Vermerk's text stays in the Akte


def test_note_input_is_checked(client, world):
    h = world.headers["caseworker_a1"]
    url = f"/api/v1/case-files/{world.case_a1.id}/notes"
    for body in ("   ", "a\x00b", "rechnung\u202efdp"):
        r = client.post(url, json={"body": body}, headers=h)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["error"]
    # a note of another Akte cannot be "corrected" from here
    other_akte = client.post(
        f"/api/v1/case-files/{world.case_a2.id}/notes",
        json={"body": "Vermerk a2"},
        headers=world.headers["caseworker_a2"],
    )
    r = client.post(url, json={"body": "x", "corrects_id": other_akte.json()["id"]}, headers=h)
    assert r.status_code == 404


# -- Wiedervorlagen -----------------------------------------------------------------------


def test_follow_up_postponed_and_done_keeps_its_history(client, world, ctx):
    h = world.headers["caseworker_a1"]
    doc = upload(client, world)["id"]
    f = _follow_up(client, world, document_id=doc)
    assert f["assignee_user_id"] == str(world.users["caseworker_a1"].id)  # no one named: me
    later = (today() + timedelta(days=10)).isoformat()
    r = client.post(
        f"/api/v1/follow-ups/{f['id']}/postpone",
        json={"due_on": later, "note": "Bürger hat um Frist gebeten"},
        headers=h,
    )
    assert r.status_code == 200, r.text
    assert r.json()["due_on"] == later
    r = client.post(f"/api/v1/follow-ups/{f['id']}/done", json={"note": "Unterlagen da"}, headers=h)
    assert r.status_code == 200 and r.json()["status"] == "done"
    events = r.json()["events"]
    assert [(e["kind"], e["note"]) for e in events] == [
        ("created", None),
        ("postponed", "Bürger hat um Frist gebeten"),
        ("done", "Unterlagen da"),
    ]
    assert client.post(f"/api/v1/follow-ups/{f['id']}/done", json={}, headers=h).status_code == 409
    assert (
        client.post(
            f"/api/v1/follow-ups/{f['id']}/postpone", json={"due_on": later, "note": "x"}, headers=h
        ).status_code
        == 409
    )
    postponed = _audit(ctx, "follow_up.postpone", f["id"])
    assert postponed[0].detail["to"] == later
    assert len(_audit(ctx, "follow_up.done", f["id"])) == 1


def test_follow_up_input_is_checked(client, world):
    h = world.headers["caseworker_a1"]
    url = f"/api/v1/case-files/{world.case_a1.id}/follow-ups"
    yesterday = (today() - timedelta(days=1)).isoformat()
    soon = (today() + timedelta(days=1)).isoformat()
    cases = [
        ({"due_on": yesterday, "reason": "x"}, "due_in_past"),
        # people and units who cannot open the Akte would never see it
        (
            {
                "due_on": soon,
                "reason": "x",
                "assignee_user_id": str(world.users["caseworker_a2"].id),
            },
            "assignee_cannot_read",
        ),
        (
            {
                "due_on": soon,
                "reason": "x",
                "assignee_user_id": str(world.users["caseworker_b"].id),
            },
            "assignee_cannot_read",
        ),
        (
            {"due_on": soon, "reason": "x", "assignee_org_unit_id": str(world.unit_a2.id)},
            "assignee_cannot_read",
        ),
        (
            {"due_on": soon, "reason": "x", "assignee_org_unit_id": str(world.unit_b1.id)},
            "assignee_cannot_read",
        ),
    ]
    for body, code in cases:
        r = client.post(url, json=body, headers=h)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["error"] == code, r.text
    r = client.post(url, json={"due_on": "31.12.2026", "reason": "x"}, headers=h)
    assert r.status_code == 422
    other_doc = upload(client, world, who="caseworker_a2", case_file=world.case_a2)["id"]
    r = client.post(url, json={"due_on": soon, "reason": "x", "document_id": other_doc}, headers=h)
    assert r.status_code == 404  # a document of an Akte the caller cannot read


def _mine(client, world, who: str, **params) -> dict[str, dict]:
    r = client.get(
        "/api/v1/follow-ups/mine", headers=world.headers[who], params={"size": 200, **params}
    )
    assert r.status_code == 200, r.text
    return {f["id"]: f for f in r.json()["items"]}


def test_my_follow_ups_by_urgency_with_unit_and_deputy(client, world, ctx):
    mine_due = _follow_up(client, world, due_on=today().isoformat(), reason="heute")
    unit = _follow_up(client, world, assignee_org_unit_id=str(world.unit_a1.id), reason="Team")
    overdue = _follow_up(client, world, reason="überfällig")
    later = _follow_up(client, world, due_on=(today() + timedelta(days=30)).isoformat())
    with session_scope(ctx.session_factory) as session:  # time passes
        session.execute(
            update(FollowUp)
            .where(FollowUp.id == uuid.UUID(overdue["id"]))
            .values(due_on=today() - timedelta(days=2))
        )
    seen = _mine(client, world, "caseworker_a1")
    assert {
        seen[mine_due["id"]]["bucket"],
        seen[overdue["id"]]["bucket"],
        seen[unit["id"]]["bucket"],
    } == {"today", "overdue", "week"}
    assert seen[unit["id"]]["why"] == "unit" and seen[mine_due["id"]]["why"] == "mine"
    assert next(iter(seen)) == overdue["id"]  # most urgent first
    assert seen[overdue["id"]]["aktenzeichen"] == world.case_a1.aktenzeichen
    week = _mine(client, world, "caseworker_a1", until=(today() + timedelta(days=7)).isoformat())
    assert later["id"] in seen and later["id"] not in week
    # done ones leave the list
    client.post(
        f"/api/v1/follow-ups/{mine_due['id']}/done", json={}, headers=world.headers["caseworker_a1"]
    )
    assert mine_due["id"] not in _mine(client, world, "caseworker_a1")
    # a deputy (Vertretung) of unit a1 sees the person's and the unit's follow-ups there
    until = (datetime.now(UTC) + timedelta(days=14)).isoformat()
    r = client.put(
        f"/api/v1/users/{world.users['caseworker_none'].id}/memberships/{world.unit_a1.id}",
        json={"valid_until": until},
        headers=world.headers["admin_a"],
    )
    assert r.status_code == 200, r.text
    deputy = _mine(client, world, "caseworker_none")
    assert {overdue["id"], unit["id"]} <= set(deputy)
    assert deputy[overdue["id"]]["why"] == "deputy"
    # a deputy completes it like the principal would (annotating is lent)
    r = client.post(
        f"/api/v1/follow-ups/{overdue['id']}/done",
        json={},
        headers=world.headers["caseworker_none"],
    )
    assert r.status_code == 200


# -- isolation: other org units and tenants ------------------------------------------------


def test_other_org_units_and_tenants_find_nothing(client, world, ctx):
    """Every id of Akte a1's casework is 404 for a caseworker of unit a2 and of tenant B,
    their lists hold none of them, and nothing of theirs was changed."""
    v = _vorgang(client, world)
    doc = upload(client, world)["id"]
    client.put(
        f"/api/v1/documents/{doc}/vorgang",
        json={"vorgang_id": v["id"]},
        headers=world.headers["caseworker_a1"],
    )
    note = client.post(
        f"/api/v1/case-files/{world.case_a1.id}/notes",
        json={"body": "intern"},
        headers=world.headers["caseworker_a1"],
    ).json()
    f = _follow_up(client, world)
    # the same follow-up's twin, assigned to the outsiders themselves (as if they had lost
    # access after it was set): still not theirs to see
    with session_scope(ctx.session_factory) as session:
        for who in ("caseworker_a2", "caseworker_b"):
            session.add(
                FollowUp(
                    tenant_id=world.tenant_a.id,
                    case_file_id=world.case_a1.id,
                    due_on=today(),
                    reason="fremd",
                    assignee_user_id=world.users[who].id,
                )
            )
        session.add(
            FollowUp(
                tenant_id=world.tenant_a.id,
                case_file_id=world.case_a1.id,
                due_on=today(),
                reason="fremd",
                assignee_org_unit_id=world.unit_a2.id,
            )
        )
        session.flush()
        foreign = {
            str(i)
            for i in session.scalars(
                select(FollowUp.id).where(FollowUp.case_file_id == world.case_a1.id)
            )
        }
    own_ids = {v["id"], note["id"], f["id"], doc} | foreign
    a1 = world.case_a1.id
    soon = (today() + timedelta(days=1)).isoformat()
    for who in ("caseworker_a2", "caseworker_b", "caseworker_none"):
        h = world.headers[who]
        calls = [
            ("GET", f"/api/v1/case-files/{a1}/vorgaenge", None),
            ("POST", f"/api/v1/case-files/{a1}/vorgaenge", {"title": "x"}),
            ("GET", f"/api/v1/vorgaenge/{v['id']}", None),
            ("PATCH", f"/api/v1/vorgaenge/{v['id']}", {"title": "gekapert"}),
            ("POST", f"/api/v1/vorgaenge/{v['id']}/close", None),
            ("GET", f"/api/v1/documents/{doc}/vorgang", None),
            ("PUT", f"/api/v1/documents/{doc}/vorgang", {"vorgang_id": None}),
            ("GET", f"/api/v1/case-files/{a1}/notes", None),
            ("POST", f"/api/v1/case-files/{a1}/notes", {"body": "x"}),
            ("GET", f"/api/v1/notes/{note['id']}", None),
            ("GET", f"/api/v1/case-files/{a1}/follow-ups", None),
            ("POST", f"/api/v1/case-files/{a1}/follow-ups", {"due_on": soon, "reason": "x"}),
            ("GET", f"/api/v1/follow-ups/{f['id']}", None),
            ("POST", f"/api/v1/follow-ups/{f['id']}/done", {}),
            ("POST", f"/api/v1/follow-ups/{f['id']}/postpone", {"due_on": soon, "note": "x"}),
        ]
        for method, url, body in calls:
            r = client.request(method, url, json=body, headers=h)
            assert r.status_code == 404, (who, method, url, r.status_code, r.text)
        listed = client.get("/api/v1/follow-ups/mine", headers=h, params={"size": 200}).text
        assert not {i for i in own_ids if i in listed}, (who, listed)
    # nothing changed: the owner still sees it all as it was
    h = world.headers["caseworker_a1"]
    assert client.get(f"/api/v1/vorgaenge/{v['id']}", headers=h).json()["title"] == v["title"]
    assert client.get(f"/api/v1/documents/{doc}/vorgang", headers=h).json()["vorgang_id"] == v["id"]
    assert client.get(f"/api/v1/follow-ups/{f['id']}", headers=h).json()["status"] == "open"
    with session_scope(ctx.session_factory) as session:
        assert (
            session.scalar(select(CaseNote.body).where(CaseNote.id == uuid.UUID(note["id"])))
            == "intern"
        )


def test_roles_without_case_data_are_refused(client, world):
    for who in ("importer_a", "provider_a", "system_admin"):
        r = client.get("/api/v1/follow-ups/mine", headers=world.headers[who])
        assert r.status_code == 403, (who, r.text)
    assert client.get("/api/v1/follow-ups/mine").status_code == 401
