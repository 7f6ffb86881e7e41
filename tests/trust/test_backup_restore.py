"""The restore drill: a populated installation is backed up while uploads continue, a fresh
one is restored from the backup, and the restored one is proven: fsck clean, audit log
intact, every document byte-identical, search answering the same queries, the sealed
letter batch downloadable with the same bytes, and nothing from after the snapshot."""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from akte.app import create_app
from akte.audit import anchors
from akte.core.context import AppContext
from akte.core.database import session_scope
from akte.core.settings import Settings
from akte.documents.models import Document
from akte.jobs.models import Job
from akte.jobs.worker import run_until_idle
from akte.operations import backup, restore
from akte.operations.backup import blob_path
from outbox import batching
from outbox import settings as outbox_settings
from tests.builders import World, make_world
from tests.client import TestClient
from tests.conftest import embedded_settings, production_settings
from tests.deliveries.conftest import pdf_bytes, sha
from tests.deliveries.test_api import MANIFEST_HEADER, put
from tests.deliveries.test_api import create as create_delivery
from tests.infra.postgres import fresh_database
from tests.infra.templates import migrated_postgres, migrated_sqlite
from tests.ingest.samples import text_pdf, truncated_pdf
from tests.outbox.conftest import make_pdf
from tests.outbox.conftest import upload as upload_letter
from tests.trust.helpers import cli_app, cli_env


class Installations:
    """Fresh installations of one deployment pair (a database and storage each)."""

    def __init__(self, request: pytest.FixtureRequest, tmp_path: Path, stack: ExitStack) -> None:
        self.request, self.tmp_path, self.stack = request, tmp_path, stack

    def settings(self, name: str, *, migrated: bool = False) -> Settings:
        """``migrated``: a copy of the migrated template (:mod:`tests.infra.templates`), an
        installation in use; otherwise an empty database, what a restore starts from."""
        data_dir = self.tmp_path / name
        data_dir.mkdir(parents=True, exist_ok=True)
        if self.request.param == "embedded":
            if migrated:
                migrated_sqlite(data_dir)
            return embedded_settings(data_dir)
        admin_dsn = self.request.getfixturevalue("pg_admin_dsn")
        database = migrated_postgres(admin_dsn) if migrated else fresh_database(admin_dsn)
        url = self.stack.enter_context(database)
        return production_settings(
            data_dir,
            url,
            self.request.getfixturevalue("s3"),
            f"akte-drill-{name}-{uuid.uuid4().hex[:10]}",
        )


@pytest.fixture(params=["embedded", "production"])
def installs(request, tmp_path) -> Iterator[Installations]:
    with ExitStack() as stack:
        yield Installations(request, tmp_path, stack)


@pytest.fixture
def source(installs: Installations) -> Iterator[AppContext]:
    settings = installs.settings("source", migrated=True)
    ctx = AppContext.from_settings(settings)
    yield ctx
    ctx.close()


def _upload(client: TestClient, world: World, data: bytes, who: str = "caseworker_a1") -> str:
    r = client.post(
        f"/api/v1/case-files/{world.case_a1.id}/documents",
        files={"file": ("scan.pdf", data, "application/pdf")},
        headers=world.headers[who],
    )
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _word() -> str:
    return "drill" + uuid.uuid4().hex[:10]


def _search(client: TestClient, world: World, word: str) -> set[str]:
    r = client.get("/api/v1/search", params={"q": word}, headers=world.headers["caseworker_a1"])
    assert r.status_code == 200, r.text
    return {hit["document_id"] for hit in r.json()["hits"]}


def _populate(ctx: AppContext, client: TestClient, world: World) -> dict:
    """Documents in every state; returns what the restore must reproduce."""
    sent: dict[str, bytes] = {}
    words: dict[str, str] = {}
    for _ in range(3):
        word = _word()
        data = text_pdf([[f"Lohnabrechnung {word}", "Bruttolohn 2.345,67 EUR"]])
        doc_id = _upload(client, world, data)
        sent[doc_id], words[word] = data, doc_id
    broken = truncated_pdf() + uuid.uuid4().hex.encode()
    failed_id = _upload(client, world, broken)
    sent[failed_id] = broken
    with session_scope(ctx.session_factory) as session:
        outbox_settings.put(
            session,
            world.tenant_a.id,
            outbox_settings.TenantOutboxSettings(
                cutoff_times=["14:00"], working_days=[], ack_timeout_seconds=3600
            ),
        )
    letter = upload_letter(client, world.headers["caseworker_a1"], world.case_a1.id, make_pdf())
    assert letter.status_code == 201, letter.text
    run_until_idle(ctx)
    (sealed,) = batching.seal(ctx, world.tenant_a.id)
    zip_bytes = client.get(
        f"/api/v1/outbox/batches/{sealed.batch_id}/download", headers=world.headers["provider_a"]
    ).content
    received = text_pdf([[f"Mietvertrag {_word()}"]])
    received_id = _upload(client, world, received)  # stays received: no worker runs
    sent[received_id] = received
    processing = text_pdf([[f"Kontoauszug {_word()}"]])
    processing_id = _upload(client, world, processing)
    sent[processing_id] = processing
    with session_scope(ctx.session_factory) as session:  # a worker mid-job at the snapshot
        job = session.scalar(
            select(Job).where(
                Job.kind == "ingest.process_document",
                Job.payload["document_id"].as_string() == processing_id,
            )
        )
        session.execute(
            update(Job)
            .where(Job.id == job.id)
            .values(
                status="running",
                locked_by="worker-of-the-old-host",
                attempts=1,
                locked_until=job.run_after.replace(year=job.run_after.year + 1),
            )
        )
        session.execute(
            update(Document)
            .where(Document.id == uuid.UUID(processing_id))
            .values(status="processing")
        )
    imp = world.headers["importer_a"]  # an open delivery: one of two files arrived
    first, second = pdf_bytes(1, _word()), pdf_bytes(1, _word())
    az = world.case_a1.aktenzeichen
    manifest = MANIFEST_HEADER + "".join(
        f"{key};{az};Antrag;{key};1;{sha(data)};{key}.pdf\n"
        for key, data in (("D1", first), ("D2", second))
    )
    delivery = create_delivery(client, imp, f"LIEF-{_word()}", manifest)
    assert delivery.status_code == 201, delivery.text
    delivery_id = delivery.json()["id"]
    assert put(client, imp, delivery_id, "D1", first).status_code == 201
    progress = client.get(f"/api/v1/deliveries/{delivery_id}", headers=imp).json()["progress"]
    anchors.seal_and_anchor(ctx)
    return {
        "sent": sent,
        "words": words,
        "failed": failed_id,
        "received": received_id,
        "processing": processing_id,
        "batch": (sealed.batch_id, zip_bytes),
        "delivery": (delivery_id, progress, second),
    }


def test_restore_drill(installs, source, tmp_path):
    world = make_world(source)
    with TestClient(create_app(ctx=source, start_worker=False)) as client:
        state = _populate(source, client, world)
        statuses = {
            i: client.get(f"/api/v1/documents/{i}", headers=world.headers["caseworker_a1"]).json()[
                "status"
            ]
            for i in state["sent"]
        }
        assert statuses[state["failed"]] == "failed"
        assert statuses[state["received"]] == "received"
        assert statuses[state["processing"]] == "processing"
        assert {statuses[i] for i in state["words"].values()} == {"ready"}

        during: dict[str, bytes] = {}
        stop, going = threading.Event(), threading.Event()

        def keep_uploading() -> None:
            with TestClient(create_app(ctx=source, start_worker=False)) as other:
                while not stop.is_set():
                    data = text_pdf([[f"Nachreichung {_word()}"]])
                    during[_upload(other, world, data)] = data
                    going.set()

        uploader = threading.Thread(target=keep_uploading)
        uploader.start()
        try:
            assert going.wait(60)  # the backup starts while uploads are under way
            dest = tmp_path / "backup"
            manifest = backup.create(source, dest)
        finally:
            stop.set()
            uploader.join()
        late = _upload(client, world, text_pdf([[f"Nach der Sicherung {_word()}"]]))

    assert manifest.blobs >= len(state["sent"]) and manifest.anchors >= 1
    target = installs.settings("target")
    report = restore.restore(target, dest)
    assert report.fsck_clean, report.fsck_problems
    assert report.audit_ok, report.audit_detail
    assert report.released_jobs >= 1 and report.indexed >= len(state["words"])

    restored = AppContext.from_settings(target)
    try:
        with TestClient(create_app(ctx=restored, start_worker=False)) as client:
            cw = world.headers["caseworker_a1"]
            for doc_id, data in state["sent"].items():
                r = client.get(f"/api/v1/documents/{doc_id}/content", headers=cw)
                assert r.status_code == 200 and r.content == data, doc_id
            for word, doc_id in state["words"].items():
                assert _search(client, world, word) == {doc_id}
            with session_scope(restored.session_factory) as session:
                present = {
                    str(i)
                    for i in session.scalars(
                        select(Document.id).where(
                            Document.id.in_([uuid.UUID(i) for i in [*during, late]])
                        )
                    )
                }
            assert late not in present
            for doc_id in present:  # uploads during the backup: all or nothing, never torn
                r = client.get(f"/api/v1/documents/{doc_id}/content", headers=cw)
                assert r.status_code == 200 and r.content == during[doc_id]
            batch_id, zip_bytes = state["batch"]
            again = client.get(
                f"/api/v1/outbox/batches/{batch_id}/download", headers=world.headers["provider_a"]
            )
            assert hashlib.sha256(again.content).digest() == hashlib.sha256(zip_bytes).digest()
            delivery_id, progress, second = state["delivery"]  # the importer carries on
            imp = world.headers["importer_a"]
            again = client.get(f"/api/v1/deliveries/{delivery_id}", headers=imp).json()
            assert again["progress"] == progress
            assert put(client, imp, delivery_id, "D2", second).status_code == 201
            run_until_idle(restored)  # the job the old host's worker held runs here
            status = client.get(f"/api/v1/documents/{state['processing']}", headers=cw).json()
            assert status["status"] == "ready"
        assert anchors.verify(restored).ok
    finally:
        restored.close()


def test_restore_refuses_a_database_that_is_in_use(installs, source, tmp_path):
    world = make_world(source)
    with TestClient(create_app(ctx=source, start_worker=False)) as client:
        _upload(client, world, text_pdf([[f"Bescheid {_word()}"]]))
    dest = tmp_path / "backup"
    backup.create(source, dest)
    env = cli_env(source)
    result = CliRunner().invoke(cli_app(), ["restore", str(dest)], env=env)
    assert result.exit_code == 1
    assert "RESTORE FAILED" in result.output and "empty database" in result.output


def test_a_damaged_backup_blob_is_refused_not_restored(installs, source, tmp_path):
    world = make_world(source)
    data = text_pdf([[f"Bescheid {_word()}"]])
    with TestClient(create_app(ctx=source, start_worker=False)) as client:
        _upload(client, world, data)
    dest = tmp_path / "backup"
    backup.create(source, dest)
    copy = blob_path(dest, hashlib.sha256(data).hexdigest())
    copy.write_bytes(copy.read_bytes()[:-1] + b"X")
    target = installs.settings("target")
    with pytest.raises(backup.BackupFailed, match="damaged"):
        restore.restore(target, dest)


def test_a_folder_without_manifest_is_no_backup(installs, tmp_path):
    (tmp_path / "half").mkdir()
    with pytest.raises(backup.BackupFailed, match="no complete backup"):
        restore.restore(installs.settings("target"), tmp_path / "half")


def test_second_backup_into_the_same_folder_copies_only_new_blobs(installs, source, tmp_path):
    world = make_world(source)
    with TestClient(create_app(ctx=source, start_worker=False)) as client:
        _upload(client, world, text_pdf([[f"Bescheid {_word()}"]]))
        first = backup.create(source, tmp_path / "b")
        _upload(client, world, text_pdf([[f"Bescheid {_word()}"]]))
    second = backup.create(source, tmp_path / "b")
    assert first.blobs_copied == first.blobs >= 1
    assert second.blobs == first.blobs + 1 and second.blobs_copied == 1
