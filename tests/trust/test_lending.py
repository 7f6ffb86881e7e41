"""Grants and deputy memberships lend an Akte; they never make it the borrower's.

The attack of issue 13: a caseworker who reaches an Akte only through a single-Akte grant
(or a deputy membership that ends at a set time) moved it into an org unit they hold
permanently, and so kept it after the loan ended. Every action that would outlive the
loan is refused with 403 ``lent_access``; reading, annotating and filing are lent. The
model is :mod:`akte.auth.permissions`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, select

from akte.case_files.models import CaseFile
from akte.core.database import session_scope
from akte.documents.models import Document
from akte.users.models import Membership, Role
from tests.builders import bearer, make_org_unit, make_user
from tests.trust.helpers import unique_pdf, upload
from tests.web.conftest import browser, login, post_form

BORROWER = "caseworker_a2"  # permanent member of unit a2, no access of their own to Akte a1


def _lend(client, ctx, world, how: str) -> None:
    """Lend Akte a1 to caseworker_a2: a grant to their unit, or a deputy period in a1."""
    if how == "grant":
        r = client.put(
            f"/api/v1/case-files/{world.case_a1.id}/grants/{world.unit_a2.id}",
            json={},
            headers=world.headers["admin_a"],
        )
    else:
        until = (datetime.now(UTC) + timedelta(days=14)).isoformat()
        r = client.put(
            f"/api/v1/users/{world.users[BORROWER].id}/memberships/{world.unit_a1.id}",
            json={"valid_until": until},
            headers=world.headers["admin_a"],
        )
    assert r.status_code == 200, r.text


def _end_loan(client, ctx, world, how: str) -> None:
    if how == "grant":
        r = client.delete(
            f"/api/v1/case-files/{world.case_a1.id}/grants/{world.unit_a2.id}",
            headers=world.headers["admin_a"],
        )
        assert r.status_code == 204, r.text
    else:  # the deputy period is over
        with session_scope(ctx.session_factory) as session:
            session.execute(
                delete(Membership).where(
                    Membership.user_id == world.users[BORROWER].id,
                    Membership.org_unit_id == world.unit_a1.id,
                )
            )


def _org_unit_of(ctx, case_file) -> object:
    with session_scope(ctx.session_factory) as session:
        return session.scalar(select(CaseFile.org_unit_id).where(CaseFile.id == case_file.id))


LOANS = ["grant", "deputy"]


@pytest.mark.parametrize("how", LOANS)
def test_borrower_cannot_take_the_akte_and_loses_it_when_the_loan_ends(client, ctx, world, how):
    doc = upload(client, world)
    _lend(client, ctx, world, how)
    b = world.headers[BORROWER]
    url = f"/api/v1/case-files/{world.case_a1.id}"
    assert client.get(url, headers=b).status_code == 200
    r = client.patch(url, json={"org_unit_id": str(world.unit_a2.id)}, headers=b)
    assert r.status_code == 403, r.text
    assert r.json()["error"] == "lent_access"
    assert _org_unit_of(ctx, world.case_a1) == world.unit_a1.id
    # the refusal is on the record, with the caller and the Akte
    log = client.get(
        "/api/v1/audit",
        params={"actor_id": str(world.users[BORROWER].id)},
        headers=world.headers["admin_a"],
    ).json()["items"]
    assert ("PATCH /api/v1/case-files/{case_file_id}", str(world.case_a1.id), "denied") in {
        (e["action"], e["object_id"], e["outcome"]) for e in log
    }
    _end_loan(client, ctx, world, how)
    assert client.get(url, headers=b).status_code == 404
    assert client.get(f"/api/v1/documents/{doc['id']}/content", headers=b).status_code == 404
    listed = client.get("/api/v1/case-files", headers=b).json()["items"]
    assert str(world.case_a1.id) not in {c["id"] for c in listed}


@pytest.mark.parametrize("how", LOANS)
def test_borrower_reads_annotates_and_files(client, ctx, world, how):
    doc = upload(client, world)
    _lend(client, ctx, world, how)
    b = world.headers[BORROWER]
    assert client.get(f"/api/v1/documents/{doc['id']}/content", headers=b).status_code == 200
    r = client.patch(f"/api/v1/documents/{doc['id']}", json={"title": "Lohnabrechnung"}, headers=b)
    assert r.status_code == 200, r.text
    filed = upload(client, world, who=BORROWER)
    assert filed["case_file_id"] == str(world.case_a1.id)


@pytest.mark.parametrize("how", LOANS)
def test_borrower_is_refused_every_action_that_outlives_the_loan(client, ctx, world, how):
    doc = upload(client, world)
    code = client.post(
        f"/api/v1/case-files/{world.case_a1.id}/upload-codes",
        json={},
        headers=world.headers["caseworker_a1"],
    ).json()
    _lend(client, ctx, world, how)
    b = world.headers[BORROWER]
    akte = f"/api/v1/case-files/{world.case_a1.id}"
    attempts = {
        "close": client.patch(akte, json={"status": "closed"}, headers=b),
        "change": client.patch(akte, json={"betreff": "übernommen"}, headers=b),
        "delete": client.request(
            "DELETE", f"/api/v1/documents/{doc['id']}", json={"reason": "weg damit"}, headers=b
        ),
        "version": client.post(
            f"/api/v1/documents/{doc['id']}/versions",
            headers=b,
            files={"file": ("v2.pdf", unique_pdf("v2"), "application/pdf")},
        ),
        "issue code": client.post(f"{akte}/upload-codes", json={}, headers=b),
        "revoke code": client.post(f"/api/v1/upload-codes/{code['id']}/revoke", headers=b),
        "grant": client.put(f"{akte}/grants/{world.unit_a2.id}", json={}, headers=b),
    }
    refused = {name: r.status_code for name, r in attempts.items()}
    assert refused == dict.fromkeys(attempts, 403), refused
    assert all(r.json()["error"] in {"lent_access", "forbidden"} for r in attempts.values())
    owner = world.headers["caseworker_a1"]
    akte_now = client.get(akte, headers=owner).json()
    assert (akte_now["status"], akte_now["betreff"]) == ("open", world.case_a1.betreff)
    detail = client.get(f"/api/v1/documents/{doc['id']}", headers=owner).json()
    assert len(detail["versions"]) == 1
    codes = client.get(f"{akte}/upload-codes", headers=owner).json()
    assert [c["revoked_at"] for c in codes] == [None]
    assert len(client.get(f"{akte}/upload-codes", headers=b).json()) == 1  # listing is reading


@pytest.mark.parametrize("how", LOANS)
def test_web_pages_apply_the_same_rules(client, ctx, world, how):
    """The workspace calls the same services: a borrower sees the Akte but is not offered,
    and cannot use, the form issuing a citizen upload code; the owner is offered it."""
    _lend(client, ctx, world, how)
    with browser(ctx) as web:
        login(web, world.users[BORROWER].username)
        page = f"/app/akten/{world.case_a1.id}"
        shown = web.get(page)
        assert shown.status_code == 200
        assert f"{page}/upload-codes" not in shown.text  # the form is not offered
        assert "geliehen" in shown.text
        r = post_form(web, page, f"{page}/upload-codes", {"valid_days": "7"})
        assert r.status_code == 403
    with browser(ctx) as web:
        login(web, world.users["caseworker_a1"].username)
        assert f"{page}/upload-codes" in web.get(page).text


def test_moving_needs_permanent_membership_of_both_units(client, ctx, world):
    with session_scope(ctx.session_factory) as session:
        target, foreign = (
            make_org_unit(session, world.tenant_a),
            make_org_unit(session, world.tenant_a),
        )
        mover = make_user(session, world.tenant_a, Role.caseworker, (world.unit_a1,))
        session.add(
            Membership(
                user_id=mover.id,
                org_unit_id=target.id,
                valid_until=datetime.now(UTC) + timedelta(days=3),
            )
        )
        headers = bearer(ctx, mover)
        mover_id = mover.id
    url = f"/api/v1/case-files/{world.case_a1.id}"
    # a deputy period in the target is not enough: the Akte would stay with the mover
    r = client.patch(url, json={"org_unit_id": str(target.id)}, headers=headers)
    assert (r.status_code, r.json()["error"]) == (403, "lent_access")
    # an org unit the mover does not belong to does not exist for them
    r = client.patch(url, json={"org_unit_id": str(foreign.id)}, headers=headers)
    assert r.status_code == 404
    assert _org_unit_of(ctx, world.case_a1) == world.unit_a1.id
    with session_scope(ctx.session_factory) as session:
        row = session.scalar(
            select(Membership).where(
                Membership.user_id == mover_id, Membership.org_unit_id == target.id
            )
        )
        row.valid_until = None  # now a permanent member of both
    r = client.patch(url, json={"org_unit_id": str(target.id)}, headers=headers)
    assert r.status_code == 200, r.text
    assert _org_unit_of(ctx, world.case_a1) == target.id
    # the old unit has lost it; the move is audited with both units
    assert client.get(url, headers=world.headers["caseworker_a1"]).status_code == 404
    log = client.get(
        "/api/v1/audit",
        params={"object_id": str(world.case_a1.id), "action": "case_file.move"},
        headers=world.headers["admin_a"],
    ).json()["items"]
    assert [(e["detail"]["from_org_unit_id"], e["detail"]["to_org_unit_id"]) for e in log] == [
        (str(world.unit_a1.id), str(target.id))
    ]


def test_owner_closes_and_reopens_audited(client, world):
    url = f"/api/v1/case-files/{world.case_a1.id}"
    owner = world.headers["caseworker_a1"]
    assert client.patch(url, json={"status": "closed"}, headers=owner).json()["closed_at"]
    assert client.patch(url, json={"status": "open"}, headers=owner).json()["closed_at"] is None
    log = client.get(
        "/api/v1/audit",
        params={"object_id": str(world.case_a1.id)},
        headers=world.headers["admin_a"],
    ).json()["items"]
    assert [e["action"] for e in log if e["action"].startswith("case_file.")][:2] == [
        "case_file.reopen",
        "case_file.close",
    ]


def test_owner_deletes_a_document_the_borrower_could_not(client, ctx, world):
    doc = upload(client, world)
    _lend(client, ctx, world, "grant")
    r = client.request(
        "DELETE",
        f"/api/v1/documents/{doc['id']}",
        json={"reason": "Ausweis"},
        headers=world.headers["caseworker_a1"],
    )
    assert r.status_code == 204, r.text
    with session_scope(ctx.session_factory) as session:
        assert session.get(Document, uuid.UUID(doc["id"])) is None
