"""Zuständigkeitswechsel: an Akte of tenant A goes to tenant B. Afterwards A's caseworker
finds nothing of it (lists, search, downloads), B's caseworker has every byte of it, both
tenants' audit logs say what happened, and A keeps only the trace."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from akte.app import create_app
from akte.audit.models import AuditEntry
from akte.core.context import AppContext
from akte.core.database import session_scope
from akte.jobs.worker import run_until_idle
from akte.retention.models import LegalHold
from akte.users.models import Role
from records.models import Transfer
from tests.builders import World, bearer, make_tenant, make_user
from tests.client import TestClient
from tests.ingest.samples import text_pdf
from tests.records.conftest import add_processed, sha256
from tests.search.conftest import search_context

WORD = "Umzugskostenbeihilfe"


@pytest.fixture(params=["whoosh", "postgres"])
def tctx(ctx: AppContext, request: pytest.FixtureRequest, tmp_path) -> Iterator[AppContext]:  # type: ignore[no-untyped-def]
    if request.param == "postgres" and ctx.settings.is_sqlite:
        pytest.skip("the PostgreSQL search engine runs on PostgreSQL only")
    context = search_context(ctx, tmp_path / "index", request.param)
    yield context
    context.extensions["search"].close()


@pytest.fixture
def tclient(tctx: AppContext) -> Iterator[TestClient]:
    with TestClient(create_app(ctx=tctx, start_worker=False)) as client:
        yield client


@pytest.fixture
def admin_b(ctx: AppContext, world: World) -> dict[str, str]:
    with session_scope(ctx.session_factory) as session:
        return bearer(ctx, make_user(session, world.tenant_b, Role.tenant_admin))


def _request(client: TestClient, world: World, who: str = "admin_a", **body: object):  # type: ignore[no-untyped-def]
    payload = {
        "case_file_id": str(world.case_a1.id),
        "to_tenant": world.tenant_b.slug,
        "reason": "Umzug der Bedarfsgemeinschaft",
        **body,
    }
    return client.post("/api/v1/transfers", json=payload, headers=world.headers[who])


def _search_ids(client: TestClient, headers: dict[str, str]) -> set[str]:
    r = client.get("/api/v1/search", params={"q": WORD}, headers=headers)
    assert r.status_code == 200, r.text
    return {hit["document_id"] for hit in r.json()["hits"]}


def _audit(ctx: AppContext, tenant_id: uuid.UUID, action: str) -> list[AuditEntry]:
    with session_scope(ctx.session_factory) as session:
        return list(
            session.scalars(
                select(AuditEntry).where(
                    AuditEntry.tenant_id == tenant_id, AuditEntry.action == action
                )
            )
        )


def test_akte_moves_with_everything_and_old_tenant_keeps_only_the_trace(
    tctx: AppContext, tclient: TestClient, world: World, admin_b: dict[str, str]
) -> None:
    original = text_pdf([[f"Antrag auf {WORD}"], ["Seite zwei des Antrags"]])
    doc = str(add_processed(tctx, world.tenant_a.id, world.case_a1.id, original, "Antrag"))
    a1, b = world.headers["caseworker_a1"], world.headers["caseworker_b"]
    note = tclient.post(
        f"/api/v1/case-files/{world.case_a1.id}/notes",
        json={"body": "Umzug angekündigt"},
        headers=a1,
    )
    assert note.status_code == 201, note.text
    vorgang = tclient.post(
        f"/api/v1/case-files/{world.case_a1.id}/vorgaenge",
        json={"title": "Weiterbewilligung"},
        headers=a1,
    )
    assert vorgang.status_code == 201, vorgang.text
    assert tclient.get(f"/api/v1/documents/{doc}/content", headers=a1).status_code == 200
    assert doc in _search_ids(tclient, a1)  # the checks below can fail
    assert doc not in _search_ids(tclient, b)

    r = _request(tclient, world)
    assert r.status_code == 201, r.text
    transfer = r.json()
    assert transfer["status"] == "requested"
    incoming = tclient.get("/api/v1/transfers?direction=incoming", headers=admin_b).json()
    assert [t["id"] for t in incoming["items"]] == [transfer["id"]]
    trail_url = f"/api/v1/transfers/{transfer['id']}/audit-trail"
    early = tclient.get(trail_url, headers=admin_b)
    assert (early.status_code, early.json()["error"]) == (409, "no_audit_trail")
    r = tclient.post(
        f"/api/v1/transfers/{transfer['id']}/accept",
        json={"org_unit_id": str(world.unit_b1.id)},
        headers=admin_b,
    )
    assert r.status_code == 200, r.text
    run_until_idle(tctx)

    # the old tenant: nothing of the Akte in lists, search or downloads
    assert tclient.get(f"/api/v1/case-files/{world.case_a1.id}", headers=a1).status_code == 404
    listed = tclient.get("/api/v1/case-files", headers=a1).json()
    assert str(world.case_a1.id) not in {c["id"] for c in listed["items"]}
    assert (
        tclient.get(f"/api/v1/case-files/{world.case_a1.id}/documents", headers=a1).status_code
        == 404
    )
    assert tclient.get(f"/api/v1/documents/{doc}/content", headers=a1).status_code == 404
    assert tclient.get(f"/api/v1/documents/{doc}", headers=a1).status_code == 404
    assert doc not in _search_ids(tclient, a1)

    # the new tenant: the same bytes, the notes and the Vorgang
    content = tclient.get(f"/api/v1/documents/{doc}/content", headers=b)
    assert content.status_code == 200
    assert sha256(content.content) == sha256(original)
    docs = tclient.get(f"/api/v1/case-files/{world.case_a1.id}/documents", headers=b).json()
    assert doc in {d["id"] for d in docs["items"]}
    notes = tclient.get(f"/api/v1/case-files/{world.case_a1.id}/notes", headers=b).json()
    assert "Umzug angekündigt" in json.dumps(notes, ensure_ascii=False)
    vorgaenge = tclient.get(f"/api/v1/case-files/{world.case_a1.id}/vorgaenge", headers=b).json()
    assert "Weiterbewilligung" in json.dumps(vorgaenge, ensure_ascii=False)
    assert doc in _search_ids(tclient, b)

    # audit on both sides; the sender's trail travelled as a blob named in the receiver's log
    sent = _audit(tctx, world.tenant_a.id, "records.transfer.sent")
    received = _audit(tctx, world.tenant_b.id, "records.transfer.received")
    assert len(sent) == 1 and len(received) == 1
    trail = json.loads(tctx.storage.read_bytes(received[0].detail["audit_trail_sha256"]))
    actions = {(e["action"], e["object_id"]) for e in trail["entries"]}
    assert any(obj == doc and "download" in act for act, obj in actions), actions
    # the receiver's admin downloads that trail (audited); the sender's admin may not
    download = tclient.get(trail_url, headers=admin_b)
    assert download.status_code == 200
    assert sha256(download.content) == received[0].detail["audit_trail_sha256"]
    assert len(_audit(tctx, world.tenant_b.id, "records.transfer.audit_trail")) == 1
    refused = tclient.get(trail_url, headers=world.headers["admin_a"])
    assert (refused.status_code, refused.json()["error"]) == (403, "not_receiver")
    assert tclient.get(trail_url, headers=b).status_code == 403  # a caseworker

    # the sender keeps the trace: when, which Aktenzeichen, to whom, no content
    trace = tclient.get(f"/api/v1/transfers/{transfer['id']}", headers=world.headers["admin_a"])
    assert trace.status_code == 200
    assert trace.json()["status"] == "done"
    assert trace.json()["aktenzeichen"] == world.case_a1.aktenzeichen
    assert trace.json()["to_tenant_id"] == str(world.tenant_b.id)
    assert trace.json()["document_count"] == 1


def test_refusals(
    client: TestClient, ctx: AppContext, world: World, admin_b: dict[str, str]
) -> None:
    # a caseworker may not hand an Akte over
    r = _request(client, world, "caseworker_a1")
    assert r.status_code == 403
    # an unknown tenant
    r = _request(client, world, to_tenant="gibt-es-nicht")
    assert (r.status_code, r.json()["error"]) == (422, "unknown_tenant")
    # an Akte of another tenant does not exist for the caller
    r = _request(client, world, case_file_id=str(world.case_b1.id))
    assert r.status_code == 404
    # a legal hold keeps the Akte where it is
    with session_scope(ctx.session_factory) as session:
        hold = LegalHold(tenant_id=world.tenant_a.id, case_file_id=world.case_a2.id, reason="Klage")
        session.add(hold)
    r = _request(client, world, case_file_id=str(world.case_a2.id))
    assert (r.status_code, r.json()["error"]) == (409, "legal_hold")

    # the sender cannot accept its own request; a stranger does not see it
    r = _request(client, world)
    assert r.status_code == 201, r.text
    tid = r.json()["id"]
    body = {"org_unit_id": str(world.unit_a1.id)}
    r = client.post(f"/api/v1/transfers/{tid}/accept", json=body, headers=world.headers["admin_a"])
    assert (r.status_code, r.json()["error"]) == (403, "not_receiver")
    r = client.get(f"/api/v1/transfers/{tid}", headers=world.headers["caseworker_b"])
    assert r.status_code == 403
    # the receiver must name one of its own org units
    r = client.post(f"/api/v1/transfers/{tid}/accept", json=body, headers=admin_b)
    assert (r.status_code, r.json()["error"]) == (422, "unknown_org_unit")
    # a hold placed after the request: the acceptance is refused, nothing moves
    with session_scope(ctx.session_factory) as session:
        session.add(
            LegalHold(tenant_id=world.tenant_a.id, case_file_id=world.case_a1.id, reason="Prüfung")
        )
    body = {"org_unit_id": str(world.unit_b1.id)}
    r = client.post(f"/api/v1/transfers/{tid}/accept", json=body, headers=admin_b)
    assert (r.status_code, r.json()["error"]) == (409, "legal_hold")
    with session_scope(ctx.session_factory) as session:
        row = session.get(Transfer, uuid.UUID(tid))
        assert row is not None and row.status == "requested"
    # lists: a transfer between two other tenants never shows; one's own does
    with session_scope(ctx.session_factory) as session:
        third = make_tenant(session)
        foreign = Transfer(
            case_file_id=world.case_b1.id,
            aktenzeichen=world.case_b1.aktenzeichen,
            from_tenant_id=world.tenant_b.id,
            to_tenant_id=third.id,
            reason="fremd",
        )
        session.add(foreign)
        session.flush()
        foreign_id = str(foreign.id)
    listed = client.get("/api/v1/transfers", headers=world.headers["admin_a"]).json()
    assert tid in {t["id"] for t in listed["items"]}
    assert foreign_id not in {t["id"] for t in listed["items"]}
    r = client.get(f"/api/v1/transfers/{foreign_id}", headers=world.headers["admin_a"])
    assert r.status_code == 404
    # the receiver refuses; both logs say so
    r = client.post(f"/api/v1/transfers/{tid}/refuse", headers=admin_b)
    assert r.json()["status"] == "refused"
    assert _audit(ctx, world.tenant_a.id, "records.transfer.refused")
    assert _audit(ctx, world.tenant_b.id, "records.transfer.refused")
