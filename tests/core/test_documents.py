"""Uploading into an Akte and downloading back: byte-identical, streamed, ranged, versioned."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import uuid
import zipfile

import pytest
from sqlalchemy import func, select

from akte.app import create_app
from akte.documents.models import Document
from tests.builders import World
from tests.client import TestClient

PDF = b"%PDF-1.4\n" + b"1 0 obj << /Type /Catalog >> endobj\n" * 200 + b"%%EOF\n"


def _png(size: int = 3000) -> bytes:
    return b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * (size // 256)


def _upload(
    client,
    world: World,
    data: bytes,
    name: str = "scan.pdf",
    who="caseworker_a1",
    case_file=None,
    **form,
):
    case_file = case_file or world.case_a1
    return client.post(
        f"/api/v1/case-files/{case_file.id}/documents",
        files={"file": (name, data, "application/octet-stream")},
        data=form,
        headers=world.headers[who],
    )


def test_upload_and_download_byte_identical(client, world):
    response = _upload(
        client, world, PDF, name="Lohnabrechnung März.pdf", doc_type="Lohnabrechnung"
    )
    assert response.status_code == 201, response.text
    doc = response.json()
    assert doc["status"] == "received"
    assert doc["mime_type"] == "application/pdf"  # sniffed, not taken from the client
    assert doc["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert doc["size"] == len(PDF)
    assert doc["title"] == "Lohnabrechnung März.pdf"
    assert doc["source"] == "staff-upload"
    download = client.get(
        f"/api/v1/documents/{doc['id']}/content", headers=world.headers["caseworker_a1"]
    )
    assert download.status_code == 200
    assert download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["etag"] == f'"{doc["sha256"]}"'
    assert (
        "filename*=UTF-8''Lohnabrechnung%20M%C3%A4rz.pdf" in download.headers["content-disposition"]
    )
    assert download.headers["accept-ranges"] == "bytes"


def test_range_requests_resume_large_downloads(client, world):
    data = _png(100_000)
    doc = _upload(client, world, data, name="scan.png").json()
    url = f"/api/v1/documents/{doc['id']}/content"
    headers = world.headers["caseworker_a1"]
    part = client.get(url, headers={**headers, "Range": "bytes=10-19"})
    assert part.status_code == 206
    assert part.content == data[10:20]
    assert part.headers["content-range"] == f"bytes 10-19/{len(data)}"
    rest = client.get(
        url, headers={**headers, "Range": "bytes=50000-", "If-Range": part.headers["etag"]}
    )
    assert rest.status_code == 206 and rest.content == data[50000:]
    tail = client.get(url, headers={**headers, "Range": "bytes=-100"})
    assert tail.content == data[-100:]
    stale = client.get(url, headers={**headers, "Range": "bytes=0-9", "If-Range": '"other"'})
    assert stale.status_code == 200 and stale.content == data
    beyond = client.get(url, headers={**headers, "Range": f"bytes={len(data)}-"})
    assert beyond.status_code == 416
    cached = client.get(url, headers={**headers, "If-None-Match": part.headers["etag"]})
    assert cached.status_code == 304


def test_identical_bytes_are_stored_once(client, ctx, world):
    data = _png(5000) + uuid.uuid4().bytes
    first = _upload(client, world, data, name="a.png").json()
    second = _upload(client, world, data, name="b.png").json()
    assert first["id"] != second["id"]
    assert first["sha256"] == second["sha256"]
    assert list(ctx.storage.iter_blobs()).count(first["sha256"]) == 1


def test_new_version_keeps_the_old_one(client, world):
    headers = world.headers["caseworker_a1"]
    doc = _upload(client, world, PDF, name="v1.pdf").json()
    v2 = PDF.replace(b"Catalog", b"Katalog")
    response = client.post(
        f"/api/v1/documents/{doc['id']}/versions", files={"file": ("v2.pdf", v2)}, headers=headers
    )
    assert response.status_code == 201
    detail = response.json()
    assert detail["current_version"] == 2
    assert [v["version_no"] for v in detail["versions"]] == [1, 2]
    url = f"/api/v1/documents/{doc['id']}/content"
    assert client.get(url, headers=headers).content == v2
    assert client.get(f"{url}?version=1", headers=headers).content == PDF


def test_empty_file_is_refused(client, world):
    response = _upload(client, world, b"", name="leer.pdf")
    assert response.status_code == 422
    assert response.json()["error"] == "empty_file"


def test_unsupported_type_is_415_whatever_the_name(client, world):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("x.txt", "hallo")
    response = _upload(client, world, buffer.getvalue(), name="harmlos.pdf")
    assert response.status_code == 415
    assert "application/zip" in response.json()["detail"]


def _count_documents(ctx, case_file_id) -> int:
    with ctx.session_factory() as session:
        return session.scalar(
            select(func.count()).select_from(Document).where(Document.case_file_id == case_file_id)
        )


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_file_over_the_limit_is_413_and_leaves_nothing(ctx, world, declared):
    small = dataclasses.replace(
        ctx, settings=ctx.settings.model_copy(update={"max_upload_bytes": 64 * 1024})
    )
    limit_app = create_app(ctx=small, start_worker=False)
    big = _png(3 * 1024 * 1024)
    before = _count_documents(ctx, world.case_a1.id)
    with TestClient(limit_app) as limited:
        url = f"/api/v1/case-files/{world.case_a1.id}/documents"
        if declared:
            response = limited.post(
                url, files={"file": ("big.png", big)}, headers=world.headers["caseworker_a1"]
            )
        else:
            boundary = "akteboundary"
            body = (
                (
                    f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                    f'filename="big.png"\r\n\r\n'
                ).encode()
                + big
                + f"\r\n--{boundary}--\r\n".encode()
            )

            def chunks():
                for i in range(0, len(body), 65536):
                    yield body[i : i + 65536]

            response = limited.post(
                url,
                content=chunks(),
                headers={
                    **world.headers["caseworker_a1"],
                    "Content-Type": f"multipart/form-data; boundary={boundary}",
                },
            )
    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"
    assert _count_documents(ctx, world.case_a1.id) == before


def test_other_tenant_and_ungranted_get_404_for_documents(client, world):
    doc = _upload(client, world, PDF).json()
    for who in ("caseworker_b", "caseworker_none", "caseworker_a2"):
        headers = world.headers[who]
        assert client.get(f"/api/v1/documents/{doc['id']}", headers=headers).status_code == 404
        assert (
            client.get(f"/api/v1/documents/{doc['id']}/content", headers=headers).status_code == 404
        )
        response = _upload(client, world, PDF, who=who)
        assert response.status_code == 404, who


def test_metadata_update_and_listing(client, world):
    headers = world.headers["caseworker_a1"]
    doc = _upload(client, world, PDF).json()
    patched = client.patch(
        f"/api/v1/documents/{doc['id']}",
        json={
            "title": "Kontoauszug 03/2024",
            "doc_type": "Kontoauszug",
            "document_date": "2024-03-31",
        },
        headers=headers,
    )
    assert patched.status_code == 200
    assert patched.json()["doc_type"] == "Kontoauszug"
    listing = client.get(f"/api/v1/case-files/{world.case_a1.id}/documents", headers=headers).json()
    assert doc["id"] in {d["id"] for d in listing["items"]}


def test_wrong_or_missing_token_is_401(client, world):
    url = f"/api/v1/case-files/{world.case_a1.id}"
    missing = client.get(url)
    assert missing.status_code == 401 and missing.json()["error"] == "not_authenticated"
    wrong = client.get(url, headers={"Authorization": "Bearer v1.abc.def"})
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_token"
    wrong_key = client.get(url, headers={"Authorization": "Bearer akte_deadbeef_nope"})
    assert wrong_key.status_code == 401
