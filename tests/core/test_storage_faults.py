"""Storage that says "not now" is an outage, never a bug: uploads (documents, letters,
delivery items) and downloads answer 503 (``storage_unavailable``, with ``Retry-After``)
or, on a full disk, 507 (``storage_full``), leave no row and no temporary file, and work
again once the fault is gone.

Faults are real: the S3 server stopped, an HTTP proxy in front of it answering 500 or 503
``SlowDown``, a tmpfs blob folder filled to the brim.
"""

from __future__ import annotations

import os

import pytest
from sqlalchemy import func, select

from akte.core.storage import LocalBlobStore, S3BlobStore
from akte.documents.models import Document
from tests.infra.fault_proxy import faulty_s3, fill, full_disk
from tests.trust.helpers import unique_pdf


def _count(ctx, case_file_id) -> int:
    with ctx.session_factory() as session:
        return session.scalar(
            select(func.count()).select_from(Document).where(Document.case_file_id == case_file_id)
        )


def _post(client, world, data: bytes):
    return client.post(
        f"/api/v1/case-files/{world.case_a1.id}/documents",
        files={"file": ("a.pdf", data)},
        headers=world.headers["caseworker_a1"],
    )


def _letter(client, world):
    """A letter uploaded into the outbox: the same intake path, another feature's route."""
    from tests.outbox.conftest import make_pdf, upload

    return upload(
        client,
        world.headers["caseworker_a1"],
        world.case_a1.id,
        make_pdf(body=f"Bescheid {os.urandom(8).hex()}"),
    )


def _open_delivery(client, world) -> tuple[str, bytes]:
    """A scanning contractor's delivery with one manifest row, its file not yet sent."""
    from tests.deliveries.conftest import pdf_bytes, sha
    from tests.deliveries.test_api import MANIFEST_HEADER, create

    data = pdf_bytes(1, f"Lieferung {os.urandom(6).hex()}")
    manifest = (
        MANIFEST_HEADER + f"X1;{world.case_a1.aktenzeichen};Antrag;Titel;1;{sha(data)};x1.pdf\n"
    )
    created = create(client, world.headers["importer_a"], f"FAULT-{os.urandom(6).hex()}", manifest)
    assert created.status_code == 201, created.text
    return created.json()["id"], data


def _send_item(client, world, delivery_id: str, data: bytes):
    from tests.deliveries.test_api import put

    return put(client, world.headers["importer_a"], delivery_id, "X1", data)


def proxied_store(ctx, proxy) -> S3BlobStore:
    s = ctx.settings
    return S3BlobStore(
        endpoint=proxy.endpoint,
        access_key=s.s3_access_key,
        secret_key=s.s3_secret_key,
        bucket=s.s3_bucket,
    )


@pytest.mark.parametrize("ctx", ["production"], indirect=True)
def test_upload_while_s3_is_down_is_503_and_leaves_no_row(ctx, client, world, s3):
    if s3.process is None:
        pytest.fail("the test S3 server is external; cannot stop it")
    data = b"%PDF-1.4\n% outage test\n%%EOF\n"
    before = _count(ctx, world.case_a1.id)
    s3.stop()
    try:
        response = _post(client, world, data)
        assert response.status_code == 503, response.text
        assert response.json()["error"] == "storage_unavailable"
        assert int(response.headers["Retry-After"]) > 0
        assert client.get("/readyz").status_code == 503
        assert _count(ctx, world.case_a1.id) == before
    finally:
        s3.start()
    again = _post(client, world, data)
    assert again.status_code == 201, again.text
    assert _count(ctx, world.case_a1.id) == before + 1
    download = client.get(
        f"/api/v1/documents/{again.json()['id']}/content", headers=world.headers["caseworker_a1"]
    )
    assert download.content == data


@pytest.mark.parametrize("ctx", ["production"], indirect=True)
@pytest.mark.parametrize("status", [500, 503])
def test_s3_answering_5xx_is_an_outage_for_uploads_and_downloads(
    ctx, client, world, s3, monkeypatch, status
):
    """HTTP 500 (a server shutting down) and 503 SlowDown give 503 with Retry-After, not 500;
    the same requests succeed once the server answers again."""
    headers = world.headers["caseworker_a1"]
    stored = _post(client, world, unique_pdf("before-fault")).json()
    delivery_id, scan = _open_delivery(client, world)
    with faulty_s3(s3.endpoint) as proxy:
        monkeypatch.setattr(ctx, "storage", proxied_store(ctx, proxy))
        data = unique_pdf("during-fault")
        before = _count(ctx, world.case_a1.id)
        proxy.failing = status
        response = _post(client, world, data)
        assert response.status_code == 503, response.text
        assert response.json()["error"] == "storage_unavailable"
        assert "Retry-After" in response.headers
        letter = _letter(client, world)
        assert letter.status_code == 503 and letter.json()["error"] == "storage_unavailable"
        item = _send_item(client, world, delivery_id, scan)
        assert item.status_code == 503 and item.json()["error"] == "storage_unavailable"
        assert _count(ctx, world.case_a1.id) == before
        download = client.get(f"/api/v1/documents/{stored['id']}/content", headers=headers)
        assert download.status_code == 503, download.text
        assert download.json()["error"] == "storage_unavailable"
        assert proxy.failed_requests > 0
        proxy.failing = None  # the server is back
        again = _post(client, world, data)
        assert again.status_code == 201, again.text
        got = client.get(f"/api/v1/documents/{again.json()['id']}/content", headers=headers)
        assert got.status_code == 200 and got.content == data
        item = _send_item(client, world, delivery_id, scan)  # the contractor sends again
        assert item.status_code == 201 and item.json()["outcome"] == "accepted", item.text


@pytest.mark.parametrize("ctx", ["embedded"], indirect=True)
def test_full_blob_folder_is_507_storage_full_and_recovers(ctx, client, world, monkeypatch):
    with full_disk(2048) as volume:
        store = LocalBlobStore(volume / "blobs")
        monkeypatch.setattr(ctx, "storage", store)
        delivery_id, scan = _open_delivery(client, world)
        before_blobs = set(store.iter_blobs())  # the delivery's Transfervermerk
        ballast = fill(volume, leave_bytes=0)
        data = unique_pdf("full-disk") + b"%" + os.urandom(256 * 1024) + b"\n%%EOF\n"
        before = _count(ctx, world.case_a1.id)
        response = _post(client, world, data)
        assert response.status_code == 507, response.text
        body = response.json()
        assert body["error"] == "storage_full"
        assert "full" in body["detail"] and "Free space" in body["detail"]
        assert int(response.headers["Retry-After"]) > 0
        letter = _letter(client, world)
        assert letter.status_code == 507 and letter.json()["error"] == "storage_full"
        item = _send_item(client, world, delivery_id, scan)
        assert item.status_code == 507 and item.json()["error"] == "storage_full"
        assert _count(ctx, world.case_a1.id) == before
        assert list((volume / "blobs" / ".tmp").iterdir()) == []  # no half-written file
        assert set(store.iter_blobs()) <= before_blobs
        ballast.unlink()  # an operator freed space
        again = _post(client, world, data)
        assert again.status_code == 201, again.text
        item = _send_item(client, world, delivery_id, scan)
        assert item.status_code == 201 and item.json()["outcome"] == "accepted", item.text
        got = client.get(
            f"/api/v1/documents/{again.json()['id']}/content",
            headers=world.headers["caseworker_a1"],
        )
        assert got.content == data


def test_a_process_on_the_embedded_storage_never_loads_the_s3_client(tmp_path):
    """The S3 client (``minio``, 230 ms of imports) is loaded only where S3 is used: an
    ``akte`` command on the embedded storage stores, reads and misses a blob, and its fault
    translation still works without it."""
    import subprocess
    import sys

    from tests.conftest import TEST_SECRET
    from tests.infra.processes import inherited_env
    from tests.infra.templates import migrated_sqlite

    migrated_sqlite(tmp_path)
    script = (
        "import sys\n"
        "from akte.core.context import AppContext\n"
        "from akte.core.settings import get_settings\n"
        "ctx = AppContext.from_settings(get_settings())\n"
        "info = ctx.storage.put_bytes(b'Bescheid')\n"
        "assert ctx.storage.read_bytes(info.sha256) == b'Bescheid'\n"
        "try:\n"
        "    ctx.storage.read_bytes('0' * 64)\n"
        "except FileNotFoundError:\n"
        "    pass\n"
        "ctx.close()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('minio', 'urllib3')))\n"
    )
    env = {
        **inherited_env(),
        "AKTE_ENV": "test",
        "AKTE_DATA_DIR": str(tmp_path),
        "AKTE_SECRET_KEY": TEST_SECRET,
    }
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "[]"
