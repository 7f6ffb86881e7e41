"""Downloads never return bytes other than the ones recorded when the blob was stored.

Blobs are damaged behind akte's back (a byte flipped at the same size, 10 bytes cut off,
an archive PDF overwritten) on the local folder and in the S3 bucket; the API and the web
download route then refuse (503 ``blob_damaged``) or abort the transfer, and the blob is
marked damaged in the database. Size, ``Content-Length`` and ``ETag`` come from the
database, never from storage.
"""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import delete, select

from akte.core.database import session_scope
from akte.core.storage.base import blob_key
from akte.core.storage.digests import BlobDigest
from akte.core.storage.verified import TransferAborted
from akte.documents.models import DocumentVersion
from tests.builders import PASSWORD
from tests.trust.helpers import corrupt_blob, unique_pdf, upload

MIB = 1024 * 1024


def big_pdf(mib: float = 2.5) -> bytes:
    """A PDF-sniffing file of several 1 MiB chunks (processing never runs in these tests)."""
    body = os.urandom(int(mib * MIB))
    return b"%PDF-1.4\n% " + uuid.uuid4().hex.encode() + b"\n" + body + b"\n%%EOF\n"


def stored(ctx, sha256: str) -> bytes:
    return b"".join(ctx.storage.iter_range(sha256))


def flip(ctx, sha256: str, at: int) -> bytes:
    """Flip one byte of the stored blob at offset ``at`` (same size); the original bytes."""
    original = stored(ctx, sha256)
    damaged = bytearray(original)
    damaged[at] ^= 0xFF
    corrupt_blob(ctx, sha256, bytes(damaged))
    return original


def digest_row(ctx, sha256: str) -> BlobDigest | None:
    with session_scope(ctx.session_factory) as session:
        row = session.get(BlobDigest, sha256)
        if row is not None:
            session.expunge(row)
        return row


def content_url(doc: dict, **query: str) -> str:
    qs = "&".join(f"{k}={v}" for k, v in query.items())
    return f"/api/v1/documents/{doc['id']}/content" + (f"?{qs}" if qs else "")


def test_upload_records_chunk_digests_in_the_same_transaction(ctx, client, world):
    data = big_pdf()
    doc = upload(client, world, data)
    row = digest_row(ctx, doc["sha256"])
    chunks = -(-len(data) // row.chunk_size)
    assert row is not None and row.size == len(data) and row.chunk_size == 64 * 1024
    assert len(row.chunks) == 32 * chunks and row.damaged_at is None
    response = client.get(content_url(doc), headers=world.headers["caseworker_a1"])
    assert response.status_code == 200 and response.content == data
    assert response.headers["content-length"] == str(len(data))
    assert response.headers["etag"] == f'"{doc["sha256"]}"'


def test_flipped_byte_in_the_first_chunk_is_refused_before_any_byte(ctx, client, world):
    doc = upload(client, world)
    flip(ctx, doc["sha256"], 20)
    response = client.get(content_url(doc), headers=world.headers["caseworker_a1"])
    assert response.status_code == 503
    body = response.json()
    assert body["error"] == "blob_damaged" and "restore it from backup" in body["detail"]
    assert blob_key(doc["sha256"]) in body["detail"]
    row = digest_row(ctx, doc["sha256"])
    assert row.damaged_at is not None and "SHA-256" in row.damage
    ranged = client.get(
        content_url(doc), headers={**world.headers["caseworker_a1"], "Range": "bytes=10-30"}
    )
    assert ranged.status_code == 503 and ranged.json()["error"] == "blob_damaged"


def test_damage_after_the_first_chunk_aborts_the_transfer(ctx, client, world):
    data = big_pdf()
    doc = upload(client, world, data)
    flip(ctx, doc["sha256"], 2 * MIB + 5)
    with pytest.raises(TransferAborted):  # the server aborts the stream: no complete wrong file
        client.get(content_url(doc), headers=world.headers["caseworker_a1"])
    assert digest_row(ctx, doc["sha256"]).damaged_at is not None
    # the intact first chunk can still be fetched by range, byte-identical ...
    head = client.get(
        content_url(doc),
        headers={**world.headers["caseworker_a1"], "Range": f"bytes=100-{MIB + 99}"},
    )
    assert head.status_code == 206 and head.content == data[100 : MIB + 100]
    assert head.headers["content-range"] == f"bytes 100-{MIB + 99}/{len(data)}"
    # ... a range inside the damaged chunk is refused before its first byte
    tail = client.get(
        content_url(doc),
        headers={**world.headers["caseworker_a1"], "Range": f"bytes={2 * MIB}-{2 * MIB + 9}"},
    )
    assert tail.status_code == 503 and tail.json()["error"] == "blob_damaged"


def test_truncated_original_is_not_served_with_the_storage_size(ctx, client, world):
    small = unique_pdf("truncated")
    doc = upload(client, world, small)
    corrupt_blob(ctx, doc["sha256"], small[:-10])
    response = client.get(content_url(doc), headers=world.headers["caseworker_a1"])
    assert response.status_code == 503 and response.json()["error"] == "blob_damaged"
    assert "truncated" in digest_row(ctx, doc["sha256"]).damage

    data = big_pdf(1.5)
    big = upload(client, world, data)
    corrupt_blob(ctx, big["sha256"], data[:-10])
    with pytest.raises(TransferAborted):
        client.get(content_url(big), headers=world.headers["caseworker_a1"])
    tail = client.get(
        content_url(big), headers={**world.headers["caseworker_a1"], "Range": "bytes=-5"}
    )
    assert tail.status_code == 503


def test_range_requests_are_verified_and_sliced_exactly(ctx, client, world):
    data = big_pdf(3.2)
    doc = upload(client, world, data)
    headers = world.headers["caseworker_a1"]
    for first, last in [(0, 0), (MIB - 1, MIB), (MIB, 2 * MIB - 1), (123_456, 3 * MIB + 7)]:
        response = client.get(
            content_url(doc), headers={**headers, "Range": f"bytes={first}-{last}"}
        )
        assert response.status_code == 206 and response.content == data[first : last + 1]
        assert response.headers["content-length"] == str(last - first + 1)
    suffix = client.get(content_url(doc), headers={**headers, "Range": "bytes=-1000"})
    assert suffix.content == data[-1000:]


def _attach_archive(ctx, doc: dict, archive: bytes) -> str:
    """The archive PDF processing would write: stored, then named by the version row (the
    row's flush records its digests)."""
    sha = ctx.storage.put_bytes(archive).sha256
    with session_scope(ctx.session_factory) as session:
        version = session.scalar(
            select(DocumentVersion).where(DocumentVersion.document_id == uuid.UUID(doc["id"]))
        )
        version.archive_sha256 = sha
        version.thumbnail_sha256 = sha
    return sha


def test_archive_rendition_and_thumbnail_are_verified(ctx, client, world):
    doc = upload(client, world)
    archive = unique_pdf("archive")
    sha = _attach_archive(ctx, doc, archive)
    headers = world.headers["caseworker_a1"]
    ok = client.get(content_url(doc, rendition="archive"), headers=headers)
    assert ok.status_code == 200 and ok.content == archive
    assert ok.headers["content-length"] == str(len(archive))
    corrupt_blob(ctx, sha, archive[:-1] + b"X")
    for rendition in ("archive", "thumbnail"):
        response = client.get(content_url(doc, rendition=rendition), headers=headers)
        assert response.status_code == 503 and response.json()["error"] == "blob_damaged"
    assert digest_row(ctx, sha).damaged_at is not None
    original = client.get(content_url(doc), headers=headers)
    assert original.status_code == 200  # the original itself is intact


def test_web_download_route_is_verified(ctx, world):
    from tests.web.conftest import browser, login

    doc_bytes = unique_pdf("web")
    with browser(ctx) as web:
        login(web, world.users["caseworker_a1"].username, PASSWORD)
        from tests.client import TestClient

        api = TestClient(web.app)
        doc = upload(api, world, doc_bytes)
        url = f"/app/documents/{doc['id']}/content"
        assert web.get(url).content == doc_bytes
        flip(ctx, doc["sha256"], 3)
        response = web.get(url)
        assert response.status_code == 503, response.text
        assert doc_bytes not in response.content
        # the error page says what to do, in German, and keeps the operators' detail
        assert "aus der Sicherung wiederherstellen" in response.text
        assert "restore it from backup" in response.text


def test_blob_stored_before_digests_gets_them_on_first_read(ctx, client, world):
    data = big_pdf(1.2)
    doc = upload(client, world, data)
    with session_scope(ctx.session_factory) as session:
        session.execute(delete(BlobDigest).where(BlobDigest.blob == doc["sha256"]))
    response = client.get(content_url(doc), headers=world.headers["caseworker_a1"])
    assert response.status_code == 200 and response.content == data
    row = digest_row(ctx, doc["sha256"])
    assert row is not None and row.size == len(data) and row.verified_at is not None

    legacy = upload(client, world)
    with session_scope(ctx.session_factory) as session:
        session.execute(delete(BlobDigest).where(BlobDigest.blob == legacy["sha256"]))
    flip(ctx, legacy["sha256"], 1)
    damaged = client.get(content_url(legacy), headers=world.headers["caseworker_a1"])
    assert damaged.status_code == 503 and damaged.json()["error"] == "blob_damaged"
    assert digest_row(ctx, legacy["sha256"]).damaged_at is not None


def test_restored_blob_is_served_again(ctx, client, world):
    doc = upload(client, world)
    original = flip(ctx, doc["sha256"], 30)
    headers = world.headers["caseworker_a1"]
    assert client.get(content_url(doc), headers=headers).status_code == 503
    corrupt_blob(ctx, doc["sha256"], original)  # restored from backup
    response = client.get(content_url(doc), headers=headers)
    assert response.status_code == 200 and response.content == original


class _Irregular:
    """A store that hands out bytes in odd-sized pieces (as a network stream may)."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def iter_range(self, sha256, start=0, end=None):
        part = self.data[start : None if end is None else end + 1]
        sizes = [1, 70_000, 3, 200_000, 65_536]
        at, n = 0, 0
        while at < len(part):
            step = sizes[n % len(sizes)]
            yield part[at : at + step]
            at, n = at + step, n + 1


def test_pieces_of_any_size_are_recut_into_verified_chunks():
    from akte.core.storage.chunks import ChunkHasher
    from akte.core.storage.verified import open_verified

    data = os.urandom(3 * MIB + 12_345)
    hasher = ChunkHasher()
    hasher.update(data)
    digests = hasher.result()
    store = _Irregular(data)
    for start, end in [(0, None), (1, 2), (65_535, 65_536), (MIB - 7, 3 * MIB + 12_000)]:
        got = b"".join(open_verified(store, digests, start, end))
        assert got == data[start : None if end is None else end + 1]
    store.data = data[:-1] + bytes([data[-1] ^ 1])
    with pytest.raises(TransferAborted):
        b"".join(open_verified(store, digests))


def test_real_client_sees_a_broken_download_not_a_wrong_file(ctx, world):
    """Through uvicorn on loopback: the body stops short of ``Content-Length``, so an HTTP
    client reports an incomplete transfer instead of saving a complete wrong file."""
    import threading

    import httpx
    import uvicorn

    from akte.app import create_app
    from tests.infra.ports import free_port, wait_for_port

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(ctx=ctx, start_worker=False), port=port, log_level="critical", lifespan="off"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        assert wait_for_port(port, 30)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
            headers = world.headers["caseworker_a1"]
            data = big_pdf(2.5)
            doc = upload(http, world, data)
            flip(ctx, doc["sha256"], 2 * MIB + 1)
            received = bytearray()
            with (
                pytest.raises(httpx.RemoteProtocolError),
                http.stream("GET", content_url(doc), headers=headers) as response,
            ):
                assert response.status_code == 200
                assert response.headers["content-length"] == str(len(data))
                for piece in response.iter_bytes():
                    received += piece
            assert len(received) < len(data) and bytes(received) == data[: len(received)]
    finally:
        server.should_exit = True
        thread.join(10)
