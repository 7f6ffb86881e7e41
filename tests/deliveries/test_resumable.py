"""Resumable uploads over real HTTP: transfers cut at random points continue from the
offset the server reports, and the file is checked by SHA-256 over all its bytes."""

from __future__ import annotations

import hashlib
import io
import random
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
import uvicorn
from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from akte.app import create_app
from akte.core.context import AppContext
from akte.core.database import session_scope
from ingest.deliveries import repository
from ingest.deliveries.resumable import PartialFile
from tests.builders import unique
from tests.deliveries.test_api import MANIFEST_HEADER, create
from tests.infra.ports import free_port, wait_for_port


@pytest.fixture(scope="module")
def server_url(ctx: AppContext) -> Iterator[str]:
    """The app served by uvicorn on loopback, so connections can really be cut."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(ctx=ctx, start_worker=False),
            host="127.0.0.1",
            port=port,
            log_level="warning",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    assert wait_for_port(port, 30)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=15)


def noisy_pdf(seed: int, pages: int = 2) -> bytes:
    """A scan-like PDF of about 1 MB (noise does not compress)."""
    rng = random.Random(seed)
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    for _ in range(pages):
        noise = Image.frombytes("L", (700, 700), rng.randbytes(700 * 700))
        c.drawImage(ImageReader(noise), 50, 100, width=500, height=500)
        c.showPage()
    c.save()
    return buffer.getvalue()


def _cut_patch(
    url: str,
    headers: dict[str, str],
    offset: int,
    total: int,
    chunk: bytes,
    sent: int,
    partial: PartialFile,
) -> None:
    """A PATCH announcing ``len(chunk)`` bytes whose connection dies (reset) after ``sent``
    bytes, once the server has started storing them (or after 3 s)."""
    parts = urlsplit(url)
    lines = [
        f"PATCH {parts.path} HTTP/1.1",
        f"Host: {parts.netloc}",
        f"Upload-Offset: {offset}",
        f"Upload-Length: {total}",
        "Content-Type: application/offset+octet-stream",
        f"Content-Length: {len(chunk)}",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    with socket.create_connection((parts.hostname, parts.port)) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + chunk[:sent])
        deadline = time.monotonic() + 3
        while partial.offset <= offset and time.monotonic() < deadline:
            time.sleep(0.01)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")


def _offset(http: httpx.Client, url: str, headers: dict[str, str]) -> int:
    head = http.head(url, headers=headers)
    assert head.status_code == 200, head.text
    return int(head.headers["Upload-Offset"])


def _resume_until_done(http, url, headers, data: bytes, rng: random.Random, partial):
    """The contractor's client: ask for the offset, send a chunk, sometimes lose the line."""
    total, cuts, kept, last = len(data), 0, 0, 0
    before_cut: int | None = None  # the offset before the last cut, until it moved on
    while True:
        offset = _offset(http, url, headers)
        assert last <= offset <= total
        if offset:
            assert partial.path.read_bytes() == data[:offset]
        if before_cut is not None and offset > before_cut:
            kept, before_cut = kept + 1, None
        last = offset
        size = min(rng.randint(64 * 1024, 320 * 1024), total - offset)
        chunk = data[offset : offset + size]
        if rng.random() < 0.5 and size > 1:
            _cut_patch(url, headers, offset, total, chunk, rng.randint(1, size - 1), partial)
            cuts, before_cut = cuts + 1, offset if before_cut is None else before_cut
            time.sleep(0.1)
            continue
        response = http.patch(
            url,
            content=chunk,
            headers={
                **headers,
                "Upload-Offset": str(offset),
                "Upload-Length": str(total),
                "Content-Type": "application/offset+octet-stream",
            },
        )
        if response.status_code == 409 and response.json()["error"] in (
            "upload_in_progress",
            "offset_mismatch",
        ):
            time.sleep(0.05)  # the cut request is still being wound up: ask again
            continue
        before_cut = None
        if offset + size < total:
            assert response.status_code == 204, response.text
            assert int(response.headers["Upload-Offset"]) == offset + size
            continue
        return response, cuts, kept


@pytest.mark.parametrize("seed", [1, 2])
def test_cut_transfers_resume_to_a_checked_import(server_url, ctx, world, seed):
    imp = world.headers["importer_a"]
    data = noisy_pdf(seed)
    digest = hashlib.sha256(data).hexdigest()
    manifest = MANIFEST_HEADER + (
        f"K1;{world.case_a1.aktenzeichen};Antrag;Karton;2;{digest};karton.pdf\n"
    )
    with httpx.Client(base_url=server_url, timeout=60) as http:
        created = create(http, imp, unique("RES"), manifest)
        assert created.status_code == 201, created.text
        did = created.json()["id"]
        url = f"{server_url}/api/v1/deliveries/{did}/items/K1/upload"
        assert _offset(http, url, imp) == 0
        with session_scope(ctx.session_factory) as session:
            item_id = repository.item_by_key(session, uuid.UUID(did), "K1").id
        partial = PartialFile.of(ctx.settings.data_dir, uuid.UUID(did), item_id)
        rng = random.Random(seed)
        done, cuts, kept = _resume_until_done(http, url, imp, data, rng, partial)
        assert cuts > 0 and kept > 0  # cut requests kept the bytes that came through
        assert done.status_code == 201, done.text
        item = done.json()
        assert item["outcome"] == "accepted" and item["sha256_actual"] == digest
        assert not partial.path.exists()  # the partial file is gone once imported
        status = http.get(url, headers=imp).json()
        assert status == {
            "offset": len(data),
            "length": len(data),
            "complete": True,
            "outcome": "accepted",
            "reason_code": None,
        }
        again = http.patch(url, content=b"", headers={**imp, "Upload-Offset": "0"})
        assert again.status_code == 200  # a late retry is answered, nothing imported twice


def test_content_range_puts_and_a_corrupted_byte(server_url, world):
    imp = world.headers["importer_a"]
    data = noisy_pdf(7, pages=1)
    digest = hashlib.sha256(data).hexdigest()
    manifest = MANIFEST_HEADER + f"P1;{world.case_a1.aktenzeichen};Antrag;X;1;{digest};p.pdf\n"
    with httpx.Client(base_url=server_url, timeout=60) as http:
        did = create(http, imp, unique("RNG"), manifest).json()["id"]
        url = f"/api/v1/deliveries/{did}/items/P1/upload"
        total, half = len(data), len(data) // 2
        bad = bytearray(data)
        bad[half + 10] ^= 0xFF
        r = http.put(
            url,
            content=bytes(bad[:half]),
            headers={**imp, "Content-Range": f"bytes 0-{half - 1}/{total}"},
        )
        assert r.status_code == 204 and r.headers["Upload-Offset"] == str(half)
        skip = http.put(
            url,
            content=data[half + 5 :],
            headers={**imp, "Content-Range": f"bytes {half + 5}-{total - 1}/{total}"},
        )
        assert skip.status_code == 409 and skip.json()["error"] == "offset_mismatch"
        other = http.put(url, content=b"x", headers={**imp, "Content-Range": "bytes 0-0/5"})
        assert other.status_code == 409 and other.json()["error"] == "length_mismatch"
        assert (
            http.put(url, content=b"x", headers={**imp, "Content-Range": "nonsense"}).status_code
            == 400
        )
        wrong = http.put(
            url,
            content=bytes(bad[half:]),
            headers={**imp, "Content-Range": f"bytes {half}-{total - 1}/{total}"},
        )
        assert wrong.status_code == 422 and wrong.json()["error"] == "checksum_mismatch"
        assert http.head(url, headers=imp).headers["Upload-Offset"] == "0"  # start again
        ok = http.put(
            url, content=data, headers={**imp, "Content-Range": f"bytes 0-{total - 1}/{total}"}
        )
        assert ok.status_code == 201 and ok.json()["sha256_actual"] == digest
        caseworker = world.headers["caseworker_a1"]
        assert http.head(url, headers=caseworker).status_code == 403
