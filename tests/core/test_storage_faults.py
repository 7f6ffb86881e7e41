"""When object storage is down, uploads fail cleanly (503, no row) and work again after."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from akte.documents.models import Document


def _count(ctx, case_file_id) -> int:
    with ctx.session_factory() as session:
        return session.scalar(
            select(func.count()).select_from(Document).where(Document.case_file_id == case_file_id)
        )


@pytest.mark.parametrize("ctx", ["production"], indirect=True)
def test_upload_while_s3_is_down_is_503_and_leaves_no_row(ctx, client, world, s3):
    if s3.process is None:
        pytest.fail("the test S3 server is external; cannot stop it")
    url = f"/api/v1/case-files/{world.case_a1.id}/documents"
    data = b"%PDF-1.4\n% outage test\n%%EOF\n"
    headers = world.headers["caseworker_a1"]
    before = _count(ctx, world.case_a1.id)
    s3.stop()
    try:
        response = client.post(url, files={"file": ("a.pdf", data)}, headers=headers)
        assert response.status_code == 503, response.text
        assert response.json()["error"] == "service_unavailable"
        assert client.get("/readyz").status_code == 503
        assert _count(ctx, world.case_a1.id) == before
    finally:
        s3.start()
    again = client.post(url, files={"file": ("a.pdf", data)}, headers=headers)
    assert again.status_code == 201, again.text
    assert _count(ctx, world.case_a1.id) == before + 1
    download = client.get(f"/api/v1/documents/{again.json()['id']}/content", headers=headers)
    assert download.content == data
