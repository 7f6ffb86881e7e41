"""gzip for JSON and pages when the client accepts it, never for document downloads: a
resumed download counts bytes of the file, not of a compressed stream."""

from __future__ import annotations

import gzip
import io

from akte.core.database import session_scope
from tests.search.conftest import add_document

#: Very compressible, so a gzipping layer would certainly have compressed it.
PDF = b"%PDF-1.4\n" + b"1 0 obj << /Type /Catalog >> endobj\n" * 2000 + b"%%EOF\n"
GZIP = {"Accept-Encoding": "gzip"}


def test_json_lists_are_gzipped_when_accepted(client, ctx, world):
    with session_scope(ctx.session_factory) as session:
        for n in range(40):
            add_document(session, world.case_a1, title=f"Nachweis {n}", pages=["x"])
    url = f"/api/v1/case-files/{world.case_a1.id}/documents"
    headers = world.headers["caseworker_a1"]
    packed = client.get(url, headers={**headers, **GZIP})
    assert packed.headers.get("content-encoding") == "gzip"
    assert "Accept-Encoding" in packed.headers.get("vary", "")
    assert int(packed.headers["content-length"]) < len(packed.content) / 3
    assert packed.json()["total"] == 40  # httpx decoded it
    plain = client.get(url, headers={**headers, "Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.json() == packed.json()


def test_small_answers_stay_plain(client, world):
    answer = client.get("/healthz", headers=GZIP)
    assert "content-encoding" not in answer.headers


def test_downloads_are_never_gzipped_and_resume_byte_exact(client, world):
    headers = {**world.headers["caseworker_a1"], **GZIP}
    doc = client.post(
        f"/api/v1/case-files/{world.case_a1.id}/documents",
        files={"file": ("big.pdf", PDF, "application/pdf")},
        headers=world.headers["caseworker_a1"],
    ).json()
    url = f"/api/v1/documents/{doc['id']}/content"
    whole = client.get(url, headers=headers)
    assert whole.status_code == 200
    assert "content-encoding" not in whole.headers
    assert int(whole.headers["content-length"]) == len(PDF) and whole.content == PDF

    # a download cut off after 1000 bytes, resumed with Range and If-Range
    first = PDF[:1000]
    rest = client.get(
        url, headers={**headers, "Range": "bytes=1000-", "If-Range": whole.headers["etag"]}
    )
    assert rest.status_code == 206
    assert "content-encoding" not in rest.headers
    assert first + rest.content == PDF
    with gzip.GzipFile(fileobj=io.BytesIO(whole.content)) as probe:
        try:
            probe.read(1)
            raise AssertionError("the download was gzip data")
        except gzip.BadGzipFile:
            pass
