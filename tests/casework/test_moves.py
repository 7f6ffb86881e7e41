"""Correcting a misfiling: a document moves into another Akte, the old place keeps a trace.

Owning the source Akte is required (a loan does not lend taking documents out), filing
rights in the target suffice; an Akte of another org unit or tenant does not exist (404).
"""

from __future__ import annotations

from sqlalchemy import select

from akte.audit.models import AuditEntry
from akte.core.database import session_scope
from akte.retention.models import LegalHold
from tests.builders import make_case_file
from tests.trust.helpers import upload
from tests.web.conftest import browser, csrf_of, login


def _second_akte(ctx, world):
    with session_scope(ctx.session_factory) as session:
        case_file = make_case_file(session, world.tenant_a, world.unit_a1)
        session.expunge(case_file)
        return case_file


def _move(client, world, doc, target, who="caseworker_a1", reason="falsche BG-Nummer"):
    return client.post(
        f"/api/v1/documents/{doc}/move",
        json={"case_file_id": str(target.id), "reason": reason},
        headers=world.headers[who],
    )


def test_a_misfiled_document_moves_and_both_akten_keep_a_note(client, world, ctx):
    h = world.headers["caseworker_a1"]
    right = _second_akte(ctx, world)
    doc = upload(client, world, title="Lohnabrechnung Mai")["id"]
    v = client.post(
        f"/api/v1/case-files/{world.case_a1.id}/vorgaenge", json={"title": "WBA"}, headers=h
    ).json()
    client.put(f"/api/v1/documents/{doc}/vorgang", json={"vorgang_id": v["id"]}, headers=h)
    r = _move(client, world, doc, right)
    assert r.status_code == 200, r.text
    assert r.json()["case_file_id"] == str(right.id)
    old_docs = client.get(f"/api/v1/case-files/{world.case_a1.id}/documents", headers=h).text
    new_docs = client.get(f"/api/v1/case-files/{right.id}/documents", headers=h).text
    assert doc not in old_docs and doc in new_docs
    # the trace: a Vermerk in each Akte naming the other and the reason
    old_notes = client.get(f"/api/v1/case-files/{world.case_a1.id}/notes", headers=h).json()
    new_notes = client.get(f"/api/v1/case-files/{right.id}/notes", headers=h).json()
    assert any(
        "Lohnabrechnung Mai" in n["body"]
        and right.aktenzeichen in n["body"]
        and "falsche BG-Nummer" in n["body"]
        for n in old_notes["items"]
    )
    assert any(world.case_a1.aktenzeichen in n["body"] for n in new_notes["items"])
    # it left its Vorgang (which stays in the old Akte)
    assert client.get(f"/api/v1/documents/{doc}/vorgang", headers=h).json()["vorgang_id"] is None
    with session_scope(ctx.session_factory) as session:
        entry = session.scalar(
            select(AuditEntry).where(
                AuditEntry.action == "document.move", AuditEntry.object_id == doc
            )
        )
        assert entry.detail["from_case_file_id"] == str(world.case_a1.id)
        assert entry.detail["to_case_file_id"] == str(right.id)
        assert entry.actor_id == str(world.users["caseworker_a1"].id)


def test_moving_needs_the_source_owned_and_the_target_visible(client, world, ctx):
    doc = upload(client, world)["id"]
    # into an Akte of another org unit or tenant: it does not exist for the caller
    assert _move(client, world, doc, world.case_a2).status_code == 404
    assert _move(client, world, doc, world.case_b1).status_code == 404
    # a borrower (grant on a1) may read and file, not take documents out
    r = client.put(
        f"/api/v1/case-files/{world.case_a1.id}/grants/{world.unit_a2.id}",
        json={},
        headers=world.headers["admin_a"],
    )
    assert r.status_code == 200
    r = _move(client, world, doc, world.case_a2, who="caseworker_a2")
    assert r.status_code == 403 and r.json()["error"] == "lent_access"
    # outsiders find nothing to move
    for who in ("caseworker_b", "caseworker_none"):
        assert _move(client, world, doc, world.case_b1, who=who).status_code == 404
    assert _move(client, world, doc, world.case_a1).json()["error"] == "same_akte"
    # nothing moved
    h = world.headers["caseworker_a1"]
    assert client.get(f"/api/v1/documents/{doc}", headers=h).json()["case_file_id"] == str(
        world.case_a1.id
    )


def test_a_held_akte_and_letters_keep_their_documents(client, world, ctx):
    right = _second_akte(ctx, world)
    doc = upload(client, world)["id"]
    with session_scope(ctx.session_factory) as session:
        session.add(
            LegalHold(tenant_id=world.tenant_a.id, case_file_id=world.case_a1.id, reason="Klage")
        )
    r = _move(client, world, doc, right)
    assert r.status_code == 409 and r.json()["error"] == "legal_hold"
    with session_scope(ctx.session_factory) as session:
        hold = session.scalar(select(LegalHold).where(LegalHold.case_file_id == world.case_a1.id))
        session.delete(hold)
    letter = client.post(
        f"/api/v1/case-files/{world.case_a1.id}/letters",
        data={
            "subject": "Einladung",
            "body": "Bitte kommen Sie.",
            "recipient": "Max Mustermann\nHauptstr. 1\n12345 Musterstadt",
        },
        headers=world.headers["caseworker_a1"],
    )
    assert letter.status_code == 201, letter.text
    r = _move(client, world, letter.json()["document_id"], right)
    assert r.status_code == 409 and r.json()["error"] == "letter_not_movable"


def test_moving_from_the_document_page_by_aktenzeichen(client, world, ctx):
    right = _second_akte(ctx, world)
    doc = upload(client, world, title="Mietvertrag")["id"]
    web = browser(ctx)
    login(web, world.users["caseworker_a1"].username)
    page = web.get(f"/app/documents/{doc}")
    assert "In andere Akte verschieben" in page.text
    token = csrf_of(page.text)
    # another tenant's Aktenzeichen is not found, and says so in German
    r = web.post(
        f"/app/documents/{doc}/move",
        data={"aktenzeichen": world.case_b1.aktenzeichen, "reason": "x", "csrf_token": token},
    )
    assert r.status_code == 404 and "Keine Akte mit dem Aktenzeichen" in r.text
    r = web.post(
        f"/app/documents/{doc}/move",
        data={
            "aktenzeichen": right.aktenzeichen.lower(),
            "reason": "Name verwechselt",
            "csrf_token": token,
        },
    )
    assert r.status_code == 303, r.text
    page = web.get(r.headers["location"])
    assert "in die andere Akte verschoben" in page.text and right.aktenzeichen in page.text
    old = web.get(f"/app/akten/{world.case_a1.id}").text
    assert "Mietvertrag" in old and "Name verwechselt" in old  # the Vermerk, not the document
    assert f"/app/documents/{doc}" not in old
    # a borrower's document page offers no move
    client.put(
        f"/api/v1/case-files/{right.id}/grants/{world.unit_a2.id}",
        json={},
        headers=world.headers["admin_a"],
    )
    borrower = browser(ctx)
    login(borrower, world.users["caseworker_a2"].username)
    page = borrower.get(f"/app/documents/{doc}")
    assert page.status_code == 200 and "In andere Akte verschieben" not in page.text
