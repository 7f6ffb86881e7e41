"""``akte fsck --repair`` converges: it repairs what it can once, a second run finds nothing
new and repairs nothing ("repaired 0"), it exits 1 while something needs a person and says
what (restore the blob from backup, then ``akte fsck --repair``), and once that is done the
next run mends the rest. Document states are checked against the job queue; failed and
deleted documents leave the search index through the search package's own interface.

Each test runs on a fresh database and empty storage of its pair, so exit codes and
"repaired 0" speak about this test's documents alone.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from contextlib import ExitStack

import pytest
from sqlalchemy import delete, update
from typer.testing import CliRunner

from akte.app import create_app
from akte.core.context import AppContext
from akte.core.database import session_scope
from akte.core.storage.base import blob_key
from akte.documents.models import Document, DocumentPage, DocumentVersion
from akte.jobs.models import Job
from akte.jobs.worker import run_until_idle
from tests.builders import make_world
from tests.client import TestClient
from tests.trust.helpers import (
    cli_app,
    cli_env,
    corrupt_blob,
    isolated_context,
    status_of,
    text_pdf,
    upload,
)


@pytest.fixture(params=["embedded", "production"])
def fresh(request, tmp_path) -> Iterator[tuple[AppContext, TestClient]]:
    with ExitStack() as stack:
        ctx = stack.enter_context(isolated_context(request, tmp_path, "akte-fsck"))
        client = stack.enter_context(TestClient(create_app(ctx=ctx, start_worker=False)))
        yield ctx, client


def fsck_cli(ctx, monkeypatch, *args: str):
    for key, value in cli_env(ctx).items():
        monkeypatch.setenv(key, value)
    return CliRunner().invoke(cli_app(), ["fsck", "--grace-seconds", "0", *args])


def _search(client, world, word: str) -> int:
    r = client.get("/api/v1/search", params={"q": word}, headers=world.headers["caseworker_a1"])
    assert r.status_code == 200, r.text
    return r.json()["total"]


def test_documents_waiting_for_nothing_are_requeued_once(fresh, monkeypatch):
    ctx, client = fresh
    world = make_world(ctx)
    stuck, no_archive, no_pages = (
        upload(client, world, text_pdf(f"Bescheid {uuid.uuid4()}")) for _ in range(3)
    )
    run_until_idle(ctx)
    with session_scope(ctx.session_factory) as session:
        # what a job that died before dead-job hooks existed left behind
        session.execute(
            update(Document)
            .where(Document.id == uuid.UUID(stuck["id"]))
            .values(status="processing")
        )
        session.execute(
            update(DocumentVersion)
            .where(DocumentVersion.document_id == uuid.UUID(no_archive["id"]))
            .values(archive_sha256=None)
        )
        version_id = session.scalar(
            DocumentVersion.__table__.select()
            .with_only_columns(DocumentVersion.id)
            .where(DocumentVersion.document_id == uuid.UUID(no_pages["id"]))
        )
        session.execute(delete(DocumentPage).where(DocumentPage.version_id == version_id))

    out = fsck_cli(ctx, monkeypatch, "--sample", "0")
    assert out.exit_code == 1, out.output
    assert "documents waiting without a processing job: 1" in out.output
    assert f"{stuck['id']} (processing)" in out.output
    assert "ready documents without archive PDF or page texts: 2" in out.output

    out = fsck_cli(ctx, monkeypatch, "--repair", "--sample", "0")
    assert out.exit_code == 0, out.output
    for doc in (stuck, no_archive, no_pages):
        assert f"re-queued processing of {doc['id']}" in out.output
    again = fsck_cli(ctx, monkeypatch, "--repair", "--sample", "0")
    assert again.exit_code == 0, again.output
    assert "repaired 0" in again.output and "re-queued" not in again.output

    run_until_idle(ctx)
    for doc in (stuck, no_archive, no_pages):
        assert status_of(ctx, doc["id"]) == "ready"
    final = fsck_cli(ctx, monkeypatch)
    assert final.exit_code == 0 and "consistent" in final.output, final.output


def test_corrupt_original_needs_a_person_then_converges(fresh, monkeypatch):
    ctx, client = fresh
    world = make_world(ctx)
    word = f"Wohngeld{uuid.uuid4().hex[:8]}"
    data = text_pdf(f"Antrag {word}")
    doc = upload(client, world, data)
    run_until_idle(ctx)
    assert _search(client, world, word) == 1
    corrupt_blob(ctx, doc["sha256"])
    action = f"restore blob {blob_key(doc['sha256'])} from backup, then `akte fsck --repair`"

    first = fsck_cli(ctx, monkeypatch, "--repair")
    assert first.exit_code == 1, first.output
    assert action in first.output
    assert f"marked document {doc['id']} failed" in first.output
    assert status_of(ctx, doc["id"]) == "failed"
    assert _search(client, world, word) == 0  # out of the index in the same run

    second = fsck_cli(ctx, monkeypatch, "--repair")
    assert second.exit_code == 1, second.output
    assert "repaired 0" in second.output and "marked document" not in second.output
    assert action in second.output
    assert "orphaned 0" in second.output  # the index holds no failed document

    _restore(ctx, doc["sha256"], data)  # an operator restores it from backup
    third = fsck_cli(ctx, monkeypatch, "--repair")
    assert third.exit_code == 0, third.output
    assert f"re-queued processing of {doc['id']} (original is back)" in third.output
    run_until_idle(ctx)
    assert status_of(ctx, doc["id"]) == "ready"
    assert _search(client, world, word) == 1
    final = fsck_cli(ctx, monkeypatch)
    assert final.exit_code == 0 and "consistent" in final.output, final.output


def test_failed_and_deleted_documents_leave_the_index(fresh, monkeypatch):
    ctx, client = fresh
    world = make_world(ctx)
    word = f"Umzug{uuid.uuid4().hex[:8]}"
    failed, deleted = (upload(client, world, text_pdf(f"Nachweis {word} {n}")) for n in (1, 2))
    run_until_idle(ctx)
    assert _search(client, world, word) == 2
    with session_scope(ctx.session_factory) as session:  # index jobs of both changes lost
        session.execute(
            update(Document)
            .where(Document.id == uuid.UUID(failed["id"]))
            .values(status="failed", status_reason="Testfall")
        )
        doc_id = uuid.UUID(deleted["id"])
        versions = [
            v
            for v in session.scalars(
                DocumentVersion.__table__.select()
                .with_only_columns(DocumentVersion.id)
                .where(DocumentVersion.document_id == doc_id)
            )
        ]
        session.execute(delete(DocumentPage).where(DocumentPage.version_id.in_(versions)))
        session.execute(delete(DocumentVersion).where(DocumentVersion.document_id == doc_id))
        session.execute(delete(Document).where(Document.id == doc_id))
        session.execute(delete(Job).where(Job.status == "queued"))

    out = fsck_cli(ctx, monkeypatch, "--repair")
    assert "removed 2" in out.output, out.output
    assert _search(client, world, word) == 0
    again = fsck_cli(ctx, monkeypatch, "--repair")
    assert "repaired 0" in again.output and "orphaned 0" in again.output, again.output


def _restore(ctx, sha256: str, data: bytes) -> None:
    store = ctx.storage
    if hasattr(store, "client"):
        store.client.put_object(store.bucket, blob_key(sha256), io.BytesIO(data), len(data))
    else:
        path = store._path(sha256)
        path.chmod(0o644)
        path.write_bytes(data)
