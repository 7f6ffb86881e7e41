"""Cases the schemathesis run (:mod:`tests.trust.fuzzing`) found, pinned one by one."""

from __future__ import annotations

import pytest

from tests.trust.helpers import unique_pdf


@pytest.mark.parametrize("ctx", ["embedded"], indirect=True)
@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/documents/{doc}", {"title": None}),
        ("/api/v1/case-files/{case}", {"status": None}),
        ("/api/v1/case-files/{case}", {"org_unit_id": None}),
    ],
)
def test_null_for_a_required_field_is_422_not_500(client, world, path, body):
    """Found by the fuzzer: an explicit null reached a NOT NULL column (500)."""
    headers = world.headers["caseworker_a1"]
    doc = client.post(
        f"/api/v1/case-files/{world.case_a1.id}/documents",
        headers=headers,
        files={"file": ("a.pdf", unique_pdf(), "application/pdf")},
    ).json()
    url = path.format(doc=doc["id"], case=world.case_a1.id)
    r = client.patch(url, json=body, headers=headers)
    assert r.status_code == 422, r.text
