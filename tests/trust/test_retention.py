"""Retention: due documents are listed, then deleted with every blob and index entry;
legal holds block deletion; single documents can be deleted early with a reason."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from typer.testing import CliRunner

from akte.audit.models import AuditEntry
from akte.case_files.models import CaseFile
from akte.core.database import session_scope
from akte.documents.models import Document, DocumentVersion
from akte.jobs.models import Job
from akte.jobs.worker import run_until_idle
from tests.trust.helpers import cli_app, cli_env, document_count, unique_pdf, upload


def _close_long_ago(ctx, case_file, years: int) -> None:
    with session_scope(ctx.session_factory) as session:
        session.execute(
            update(CaseFile)
            .where(CaseFile.id == case_file.id)
            .values(status="closed", closed_at=datetime.now(UTC) - timedelta(days=365 * years + 5))
        )


def _add_derived_blobs(ctx, document_id: str) -> tuple[str, str]:
    """Give the document an archive PDF and thumbnail, as processing would."""
    archive = ctx.storage.put_bytes(unique_pdf("archive")).sha256
    thumb = ctx.storage.put_bytes(b"\x89PNG\r\n\x1a\n" + unique_pdf("thumb")).sha256
    with session_scope(ctx.session_factory) as session:
        session.execute(
            update(DocumentVersion)
            .where(DocumentVersion.document_id == uuid.UUID(document_id))
            .values(archive_sha256=archive, thumbnail_sha256=thumb)
        )
    return archive, thumb


def _run(ctx, monkeypatch, *args: str, input: str | None = None):
    app = cli_app()
    for key, value in cli_env(ctx).items():
        monkeypatch.setenv(key, value)
    return CliRunner().invoke(
        app, ["retention", "run", "--tenant", _tenant_slug, *args], input=input
    )


_tenant_slug = ""


def _rule(client, world, **body):
    r = client.put("/api/v1/retention/rules", json=body, headers=world.headers["admin_a"])
    assert r.status_code == 200, r.text
    return r.json()


def test_retention_run_lists_then_deletes_rows_blobs_and_index_entries(
    ctx, client, world, monkeypatch
):
    global _tenant_slug
    _tenant_slug = world.tenant_a.slug
    shared = unique_pdf("shared")
    old = upload(client, world, shared, doc_type="Lohnabrechnung")
    upload(client, world, unique_pdf("v2"), doc_type="Lohnabrechnung")
    v2 = client.post(
        f"/api/v1/documents/{old['id']}/versions",
        files={"file": ("v2.pdf", unique_pdf("version2"), "application/pdf")},
        headers=world.headers["caseworker_a1"],
    )
    assert v2.status_code == 201
    archive, thumb = _add_derived_blobs(ctx, old["id"])
    keeper = upload(client, world, shared, case_file=world.case_a2, who="caseworker_a2")
    _rule(client, world, years=10, after="closed")
    _close_long_ago(ctx, world.case_a1, years=11)
    _close_long_ago(ctx, world.case_a2, years=2)

    due = client.get("/api/v1/retention/due", headers=world.headers["admin_a"]).json()
    assert {d["case_file_id"] for d in due} == {str(world.case_a1.id)}
    assert len(due) == 2

    out = _run(ctx, monkeypatch, input="n\n")
    assert out.exit_code == 1 and "2 document(s) due" in out.output, out.output
    assert document_count(ctx, world.case_a1.id) == 2, "nothing is deleted without consent"

    with session_scope(ctx.session_factory) as session:
        digests = set(
            session.scalars(
                select(DocumentVersion.sha256).where(
                    DocumentVersion.document_id == uuid.UUID(old["id"])
                )
            )
        )
    out = _run(ctx, monkeypatch, "--yes")
    assert out.exit_code == 0, out.output
    assert "deleted 2 document(s), 1 Akte(n)" in out.output
    assert document_count(ctx, world.case_a1.id) == 0
    for digest in (digests - {keeper["sha256"]}) | {archive, thumb}:
        assert not ctx.storage.exists(digest)
    assert ctx.storage.exists(keeper["sha256"]), "a blob another document uses is kept"
    with session_scope(ctx.session_factory) as session:
        assert session.get(CaseFile, world.case_a1.id) is None
        assert session.get(CaseFile, world.case_a2.id) is not None
        removal = session.scalars(select(Job).where(Job.kind == "search.remove_document")).all()
        assert old["id"] in {j.payload["document_id"] for j in removal}
        record = session.scalar(
            select(AuditEntry).where(
                AuditEntry.object_id == old["id"], AuditEntry.action == "retention.delete_document"
            )
        )
        assert "10 Jahre" in record.detail["reason"] and len(record.detail["sha256"]) == 4


def test_rule_per_doc_type_and_legal_hold(ctx, client, world, monkeypatch):
    global _tenant_slug
    _tenant_slug = world.tenant_a.slug
    ausweis = upload(client, world, doc_type="Ausweiskopie")
    bescheid = upload(client, world, doc_type="Bescheid")
    with session_scope(ctx.session_factory) as session:
        session.execute(
            update(Document)
            .where(Document.id.in_([uuid.UUID(ausweis["id"]), uuid.UUID(bescheid["id"])]))
            .values(received_at=datetime.now(UTC) - timedelta(days=800))
        )
    _rule(client, world, doc_type="Ausweiskopie", years=1, after="received")
    _rule(client, world, years=10, after="closed")
    hold = client.post(
        "/api/v1/retention/holds",
        json={"document_id": ausweis["id"], "reason": "Widerspruchsverfahren"},
        headers=world.headers["admin_a"],
    )
    assert hold.status_code == 201, hold.text
    assert client.get("/api/v1/retention/due", headers=world.headers["admin_a"]).json() == []
    r = client.request(
        "DELETE",
        f"/api/v1/documents/{ausweis['id']}",
        json={"reason": "darf nicht aufbewahrt werden"},
        headers=world.headers["caseworker_a1"],
    )
    assert r.status_code == 409 and r.json()["error"] == "legal_hold"

    client.post(
        f"/api/v1/retention/holds/{hold.json()['id']}/release", headers=world.headers["admin_a"]
    )
    due = client.get("/api/v1/retention/due", headers=world.headers["admin_a"]).json()
    assert [d["document_id"] for d in due] == [ausweis["id"]]
    out = _run(ctx, monkeypatch, "--yes")
    assert out.exit_code == 0, out.output
    assert document_count(ctx, world.case_a1.id) == 1  # the Bescheid: Akte still open


def test_early_deletion_with_a_reason(ctx, client, world):
    doc = upload(client, world, doc_type="Ausweiskopie")
    url = f"/api/v1/documents/{doc['id']}"
    assert (
        client.request("DELETE", url, json={}, headers=world.headers["caseworker_a1"]).status_code
        == 422
    )
    for who in ["caseworker_a2", "caseworker_b"]:
        assert (
            client.request(
                "DELETE", url, json={"reason": "x" * 5}, headers=world.headers[who]
            ).status_code
            == 404
        )
    for who in ["importer_a", "provider_a"]:
        assert (
            client.request(
                "DELETE", url, json={"reason": "x" * 5}, headers=world.headers[who]
            ).status_code
            == 403
        )
    r = client.request(
        "DELETE",
        url,
        json={"reason": "Ausweiskopie darf nicht bleiben"},
        headers=world.headers["caseworker_a1"],
    )
    assert r.status_code == 204, r.text
    assert client.get(url, headers=world.headers["caseworker_a1"]).status_code == 404
    run_until_idle(ctx)
    with session_scope(ctx.session_factory) as session:
        jobs = session.scalars(select(Job).where(Job.kind == "retention.delete_blobs")).all()
        assert doc["sha256"] in {h for j in jobs for h in j.payload["sha256"]}
        assert all(j.status == "done" for j in jobs), [(j.status, j.last_error) for j in jobs]
    assert not ctx.storage.exists(doc["sha256"])
    log = client.get(
        "/api/v1/audit",
        params={"object_id": doc["id"], "action": "document.delete"},
        headers=world.headers["admin_a"],
    ).json()["items"]
    assert log[0]["detail"]["reason"] == "Ausweiskopie darf nicht bleiben"


def test_deleting_an_imported_document_removes_its_bytes(ctx, client, world):
    """The import ledger keeps the file's hash for ever, but not its bytes."""
    import hashlib
    import json

    from tests.deliveries.conftest import TRANSFERVERMERK
    from tests.trust.helpers import text_pdf

    data = text_pdf(f"Antrag {uuid.uuid4()}")
    digest = hashlib.sha256(data).hexdigest()
    manifest = (
        "ID;Aktenzeichen;Dokumentart;Titel;Seitenzahl;SHA256;Dateiname\n"
        f"A;{world.case_a1.aktenzeichen};Antrag;Antrag;1;{digest};a.pdf\n"
    )
    imp = world.headers["importer_a"]
    r = client.post(
        "/api/v1/deliveries",
        headers=imp,
        data={"external_id": f"L-{uuid.uuid4()}"},
        files={
            "manifest": ("m.csv", manifest.encode(), "text/csv"),
            "transfervermerk": (
                "tv.json",
                json.dumps(TRANSFERVERMERK).encode(),
                "application/json",
            ),
        },
    )
    assert r.status_code == 201, r.text
    r = client.put(
        f"/api/v1/deliveries/{r.json()['id']}/items/A/file",
        headers=imp,
        files={"file": ("a.pdf", data, "application/pdf")},
    )
    assert r.status_code == 201, r.text
    r = client.request(
        "DELETE",
        f"/api/v1/documents/{r.json()['document_id']}",
        json={"reason": "falsche Akte"},
        headers=world.headers["caseworker_a1"],
    )
    assert r.status_code == 204, r.text
    run_until_idle(ctx)
    assert not ctx.storage.exists(digest)
