"""``/documents/{id}/pages`` in slices: a 250-page document's text is not one answer."""

from __future__ import annotations

from akte.core.database import session_scope
from tests.search.conftest import add_document


def _document(ctx, world, pages: int) -> str:
    with session_scope(ctx.session_factory) as session:
        doc = add_document(
            session,
            world.case_a1,
            title="Altakte",
            pages=[f"Text der Seite {n}" for n in range(1, pages + 1)],
        )
        return str(doc.id)


def test_pages_come_in_slices_with_a_link_to_the_next(client, ctx, world):
    doc_id = _document(ctx, world, 250)
    headers = world.headers["caseworker_a1"]
    url = f"/api/v1/documents/{doc_id}/pages"
    first = client.get(url, headers=headers)
    assert first.status_code == 200
    assert len(first.json()) == 100  # the default and largest slice
    assert first.headers["X-Total-Pages"] == "250"
    assert "start=101" in first.headers["Link"] and 'rel="next"' in first.headers["Link"]

    seen, start = [], 1
    while True:
        answer = client.get(url, params={"start": start, "limit": 60}, headers=headers)
        seen += [p["page_no"] for p in answer.json()]
        if "Link" not in answer.headers:
            break
        start = seen[-1] + 1
    assert seen == list(range(1, 251))

    deep = client.get(url, params={"start": 218, "limit": 1}, headers=headers).json()
    assert [p["text"] for p in deep] == ["Text der Seite 218"]
    assert client.get(url, params={"limit": 101}, headers=headers).status_code == 422
    unknown = client.get(url, params={"page": 2}, headers=headers)
    assert unknown.status_code == 422 and unknown.json()["error"] == "unknown_parameter"


def test_other_units_cannot_read_a_slice(client, ctx, world):
    doc_id = _document(ctx, world, 3)
    for who in ("caseworker_a2", "caseworker_b"):
        answer = client.get(
            f"/api/v1/documents/{doc_id}/pages", params={"start": 2}, headers=world.headers[who]
        )
        assert answer.status_code == 404
        assert "Text der Seite" not in answer.text
