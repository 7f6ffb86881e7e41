"""The audit log: tenant admins query and export it; the hash chain exposes tampering."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select, text, update

from akte.audit import service as audit
from akte.audit.models import AuditEntry
from akte.core.database import session_scope
from tests.trust.helpers import cli_env, upload


def test_admin_queries_log_of_an_akte_and_a_person(client, world):
    doc = upload(client, world)
    client.get(f"/api/v1/documents/{doc['id']}", headers=world.headers["caseworker_a1"])
    admin = world.headers["admin_a"]
    r = client.get("/api/v1/audit", params={"object_id": doc["id"]}, headers=admin)
    assert r.status_code == 200, r.text
    actions = [e["action"] for e in r.json()["items"]]
    assert "document.upload" in actions
    actor = str(world.users["caseworker_a1"].id)
    r = client.get("/api/v1/audit", params={"actor_id": actor, "size": 1}, headers=admin)
    body = r.json()
    assert body["total"] >= 1 and len(body["items"]) == 1
    assert all(e["actor_id"] == actor for e in body["items"])
    assert body["items"][0]["actor_role"] == "caseworker"


def test_other_tenants_entries_are_invisible(client, world):
    upload(client, world, who="caseworker_b", case_file=world.case_b1)
    r = client.get("/api/v1/audit", params={"size": 200}, headers=world.headers["admin_a"])
    tenant_a = str(world.tenant_a.id)
    assert all(e["tenant_id"] == tenant_a for e in r.json()["items"])
    r = client.get(
        "/api/v1/audit",
        params={"actor_id": str(world.users["caseworker_b"].id)},
        headers=world.headers["admin_a"],
    )
    assert r.json()["total"] == 0


@pytest.mark.parametrize("who", ["caseworker_a1", "importer_a", "provider_a", "system_admin"])
def test_only_tenant_admins_read_the_log(client, world, who):
    assert client.get("/api/v1/audit", headers=world.headers[who]).status_code == 403
    assert client.get("/api/v1/audit/export.csv", headers=world.headers[who]).status_code == 403


def test_period_filter_and_csv_export(client, world):
    doc = upload(client, world)
    admin = world.headers["admin_a"]
    r = client.get(
        "/api/v1/audit", params={"object_id": doc["id"], "to": "2000-01-01T00:00:00"}, headers=admin
    )
    assert r.json()["total"] == 0
    r = client.get("/api/v1/audit/export.csv", params={"object_id": doc["id"]}, headers=admin)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [row["action"] for row in rows] == ["document.upload"]
    assert rows[0]["actor_id"] == str(world.users["caseworker_a1"].id)
    # looking at the log is itself on the record
    r = client.get("/api/v1/audit", params={"action": "audit.export"}, headers=admin)
    assert r.json()["total"] >= 1


def _sealed_entries(ctx, world, n: int = 3) -> list[int]:
    with session_scope(ctx.session_factory) as session:
        for i in range(n):
            audit.record(session, None, "test.entry", tenant_id=world.tenant_a.id, detail={"i": i})
    with session_scope(ctx.session_factory) as session:
        audit.seal(session)
    with session_scope(ctx.session_factory) as session:
        ids = session.scalars(
            select(AuditEntry.id)
            .where(AuditEntry.tenant_id == world.tenant_a.id, AuditEntry.action == "test.entry")
            .order_by(AuditEntry.seq)
        )
        return list(ids)


def _verify(ctx):
    with session_scope(ctx.session_factory) as session:
        return audit.verify(session)


def _restore(ctx, snapshot: list[dict]) -> None:
    """Put tampered entries back exactly, so later tests see an intact chain again."""
    with session_scope(ctx.session_factory) as session:
        ids = [row["id"] for row in snapshot]
        session.execute(update(AuditEntry).where(AuditEntry.id.in_(ids)).values(seq=None))
        for row in snapshot:
            session.execute(update(AuditEntry).where(AuditEntry.id == row["id"]).values(**row))
    assert _verify(ctx).ok


def _snapshot(ctx, ids: list[int]) -> list[dict]:
    with session_scope(ctx.session_factory) as session:
        rows = session.execute(select(AuditEntry.__table__).where(AuditEntry.id.in_(ids)))
        return [dict(r._mapping) for r in rows]


def test_verify_detects_a_changed_entry(ctx, world):
    ids = _sealed_entries(ctx, world)
    assert _verify(ctx).ok
    snapshot = _snapshot(ctx, ids)
    with session_scope(ctx.session_factory) as session:
        session.execute(
            update(AuditEntry).where(AuditEntry.id == ids[1]).values(action="test.harmless")
        )
    result = _verify(ctx)
    assert not result.ok and f"id {ids[1]}" in result.problem
    _restore(ctx, snapshot)


def test_verify_detects_reordered_entries(ctx, world):
    ids = _sealed_entries(ctx, world)
    snapshot = _snapshot(ctx, ids)
    seqs = {r["id"]: r["seq"] for r in snapshot}
    with session_scope(ctx.session_factory) as session:  # swap the places of two entries
        session.execute(update(AuditEntry).where(AuditEntry.id == ids[0]).values(seq=-1))
        session.execute(update(AuditEntry).where(AuditEntry.id == ids[1]).values(seq=seqs[ids[0]]))
        session.execute(update(AuditEntry).where(AuditEntry.id == ids[0]).values(seq=seqs[ids[1]]))
    assert not _verify(ctx).ok
    _restore(ctx, snapshot)


def test_verify_detects_a_removed_entry_and_the_cli_exits_1(ctx, world, monkeypatch):
    ids = _sealed_entries(ctx, world)
    snapshot = _snapshot(ctx, ids)
    with session_scope(ctx.session_factory) as session:
        session.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": ids[1]})
    result = _verify(ctx)
    assert not result.ok and "missing" in result.problem
    from typer.testing import CliRunner

    from akte.cli import app

    for key, value in cli_env(ctx).items():
        monkeypatch.setenv(key, value)
    out = CliRunner().invoke(app, ["audit", "verify"])
    assert out.exit_code == 1, out.output
    assert "BROKEN" in out.output
    with session_scope(ctx.session_factory) as session:
        session.execute(
            AuditEntry.__table__.insert().values(**next(r for r in snapshot if r["id"] == ids[1]))
        )
    _restore(ctx, snapshot)


def test_periodic_seal_chains_new_entries_once_per_period(ctx, world):
    from akte.audit.tasks import PERIODIC
    from akte.core.database import utcnow
    from akte.jobs import scheduler
    from akte.jobs.models import Job, JobSchedule
    from akte.jobs.worker import run_one

    while run_one(ctx, kinds=[PERIODIC]):  # what earlier tests left queued
        pass
    with session_scope(ctx.session_factory) as session:
        audit.record(session, None, "test.periodic", tenant_id=world.tenant_a.id)
    with session_scope(ctx.session_factory) as session:
        # a period no earlier tick on this shared database has taken
        row = session.get(JobSchedule, PERIODIC)
        later = max(utcnow(), row.next_run_at) if row else utcnow()
        queued = scheduler.tick(session, ctx.settings, now=later, names=[PERIODIC])
        assert len(queued) == 1 and queued[0].job_id
        assert scheduler.tick(session, ctx.settings, now=later, names=[PERIODIC]) == []
    assert run_one(ctx, kinds=[PERIODIC])
    with session_scope(ctx.session_factory) as session:
        entry = session.scalar(
            select(AuditEntry).where(
                AuditEntry.tenant_id == world.tenant_a.id, AuditEntry.action == "test.periodic"
            )
        )
        assert entry.seq is not None and entry.hash
        assert session.get(Job, queued[0].job_id).status == "done"
        waiting = session.scalars(
            select(Job).where(Job.kind == PERIODIC, Job.status == "queued")
        ).all()
        assert not waiting, "only the scheduler queues the next run"
        assert session.get(JobSchedule, PERIODIC).next_run_at > later


def test_refused_access_is_on_the_record(client, world):
    """Who tried to open an Akte they may not see is logged, with the outcome."""
    r = client.get(f"/api/v1/case-files/{world.case_a1.id}", headers=world.headers["caseworker_a2"])
    assert r.status_code == 404
    r = client.get("/api/v1/audit", headers=world.headers["caseworker_a2"])
    assert r.status_code == 403
    log = client.get(
        "/api/v1/audit",
        params={"actor_id": str(world.users["caseworker_a2"].id)},
        headers=world.headers["admin_a"],
    ).json()["items"]
    outcomes = {(e["action"], e["object_id"], e["outcome"]) for e in log}
    assert ("GET /api/v1/case-files/{case_file_id}", str(world.case_a1.id), "not_found") in outcomes
    assert ("GET /api/v1/audit", None, "denied") in outcomes


def test_log_of_an_akte_includes_its_documents(client, world):
    doc = upload(client, world)
    client.get(f"/api/v1/documents/{doc['id']}/content", headers=world.headers["caseworker_a1"])
    client.patch(
        f"/api/v1/case-files/{world.case_a1.id}",
        json={"betreff": "neu"},
        headers=world.headers["caseworker_a1"],
    )
    params = {"case_file_id": str(world.case_a1.id), "size": 200}
    items = client.get("/api/v1/audit", params=params, headers=world.headers["admin_a"]).json()[
        "items"
    ]
    seen = {(e["action"], e["object_id"]) for e in items}
    assert {
        ("document.upload", doc["id"]),
        ("document.download", doc["id"]),
        ("case_file.update", str(world.case_a1.id)),
    } <= seen
    assert all(e["object_id"] in {doc["id"], str(world.case_a1.id)} for e in items)
    rows = client.get(
        "/api/v1/audit/export.csv",
        params={"case_file_id": str(world.case_a1.id)},
        headers=world.headers["admin_a"],
    ).text.splitlines()
    assert len(rows) - 1 == len(items)
