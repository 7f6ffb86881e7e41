"""Schwärzung removes what it marks: text, image pixels, the invisible OCR layer, notes and
metadata are gone from the redacted copy; the original stays untouched.

Each check is made against the original too, so it is shown to be able to fail: the
original has the secret in its text, its pixels and its metadata.
"""

from __future__ import annotations

import uuid

import numpy as np
import pytest

from akte.audit.models import AuditEntry
from akte.core.database import session_scope
from tests.builders import World
from tests.records.conftest import add_processed, all_pdf_strings, pdftotext, plumber_texts, render
from tests.records.samples import KEPT_WORDS, RED_BOX, SECRET_WORDS, secret_pdf

TERMS = ["Mustermann", "Musterfrau", "DE02 1203 0000 0000 2020 51"]
REASON = "Daten Dritter (§ 25 Abs. 3 SGB X)"


@pytest.fixture
def secret_doc(ctx, world: World) -> uuid.UUID:
    return add_processed(ctx, world.tenant_a.id, world.case_a1.id, secret_pdf(), "Antrag")


def _box_stats(image, box) -> tuple[int, int, int]:
    """Pixels in ``box`` (points at 72 dpi): total, reddish, not near-black."""
    pixels = np.asarray(image.crop(tuple(round(v) for v in box)), dtype=np.int32)
    r, g, b = pixels[..., 0], pixels[..., 1], pixels[..., 2]
    red = int(((r > 150) & (g < 100) & (b < 100)).sum())
    light = int((r + g + b > 120).sum())
    return r.size, red, light


def _inner(area: dict, inset: float = 1.0) -> tuple[float, float, float, float]:
    return (area["x0"] + inset, area["top"] + inset, area["x1"] - inset, area["bottom"] - inset)


def test_redacted_copy_has_nothing_of_the_marks(client, world: World, secret_doc, tmp_path):
    headers = world.headers["caseworker_a1"]
    preview = client.post(
        f"/api/v1/case-files/{world.case_a1.id}/redaction-preview",
        json={"terms": TERMS},
        headers=headers,
    )
    assert preview.status_code == 200, preview.text
    hits = [h for h in preview.json() if h["document_id"] == str(secret_doc)]
    assert {(h["term"], h["page"]) for h in hits} == {
        ("Mustermann", 1),
        ("DE02 1203 0000 0000 2020 51", 1),
        ("Musterfrau", 2),
    }

    r = client.post(
        f"/api/v1/documents/{secret_doc}/redactions",
        headers=headers,
        json={
            "areas": [
                {
                    "page": 1,
                    "x0": RED_BOX[0],
                    "top": RED_BOX[1],
                    "x1": RED_BOX[2],
                    "bottom": RED_BOX[3],
                }
            ],
            "terms": TERMS,
            "reason": REASON,
        },
    )
    assert r.status_code == 201, r.text
    redaction = r.json()
    assert redaction["redacted_pages"] == [1, 2]
    assert redaction["reason"] == REASON

    redacted = tmp_path / "redacted.pdf"
    got = client.get(f"/api/v1/redactions/{redaction['id']}/content", headers=headers)
    assert got.status_code == 200
    redacted.write_bytes(got.content)
    original = tmp_path / "original.pdf"
    got = client.get(f"/api/v1/documents/{secret_doc}/content?rendition=archive", headers=headers)
    original.write_bytes(got.content)

    # text: pdftotext and pdfplumber, visible text and the invisible OCR layer
    for word in SECRET_WORDS:
        assert word in pdftotext(original)
        assert word not in pdftotext(redacted)
        assert not any(word in text for text in plumber_texts(redacted))
    for word in KEPT_WORDS:
        assert word in " ".join(pdftotext(redacted).split())
    # every decoded object, metadata and notes (annotations) included
    assert b"Muster" in all_pdf_strings(original)
    assert b"Muster" not in all_pdf_strings(redacted)

    # pixels, rendered by poppler: the red photo and the scanned surname are black
    before, after = render(original, 1, tmp_path), render(redacted, 1, tmp_path)
    total, red, _light = _box_stats(before, RED_BOX)
    assert red > total * 0.9
    total, red, light = _box_stats(after, RED_BOX)
    assert red == 0 and light < total * 0.02
    surname = next(h for h in hits if h["term"] == "Musterfrau")["areas"][0]
    _total, _red, light = _box_stats(render(original, 2, tmp_path), _inner(surname))
    assert light > 0  # the scanned word's white background and ink are there
    total, _red, light = _box_stats(render(redacted, 2, tmp_path), _inner(surname))
    assert light == 0
    # what was not marked is still on the page
    _total, _red, light = _box_stats(after, (72, 140, 250, 160))
    assert light > 0


def test_marks_accumulate_and_the_original_stays(client, ctx, world: World, secret_doc, tmp_path):
    headers = world.headers["caseworker_a1"]
    first = client.post(
        f"/api/v1/documents/{secret_doc}/redactions",
        headers=headers,
        json={"terms": ["Mustermann"], "reason": REASON},
    )
    second = client.post(
        f"/api/v1/documents/{secret_doc}/redactions",
        headers=headers,
        json={"terms": ["Musterfrau"], "reason": REASON},
    )
    assert first.status_code == second.status_code == 201
    assert second.json()["source_sha256"] == first.json()["redacted_sha256"]
    path = tmp_path / "second.pdf"
    path.write_bytes(
        client.get(f"/api/v1/redactions/{second.json()['id']}/content", headers=headers).content
    )
    text = pdftotext(path)
    assert "Mustermann" not in text and "Musterfrau" not in text
    original = tmp_path / "original.pdf"
    original.write_bytes(
        client.get(f"/api/v1/documents/{secret_doc}/content", headers=headers).content
    )
    assert "Mustermann" in pdftotext(original) and "Musterfrau" in pdftotext(original)
    listed = client.get(f"/api/v1/documents/{secret_doc}/redactions", headers=headers).json()
    assert [r["id"] for r in listed] == [first.json()["id"], second.json()["id"]]
    with session_scope(ctx.session_factory) as session:
        actions = {
            e.action
            for e in session.query(AuditEntry).filter(AuditEntry.object_id == str(secret_doc))
        }
    assert {"records.redaction.create", "records.redaction.download"} <= actions


def test_term_redaction_across_the_akte(client, ctx, world: World, secret_doc):
    other = add_processed(ctx, world.tenant_a.id, world.case_a1.id, secret_pdf(), "Anlage")
    r = client.post(
        f"/api/v1/case-files/{world.case_a1.id}/redactions",
        json={
            "terms": ["Musterfrau"],
            "reason": REASON,
            "document_ids": [str(secret_doc), str(other)],
        },
        headers=world.headers["caseworker_a1"],
    )
    assert r.status_code == 201, r.text
    assert sorted(x["document_id"] for x in r.json()) == sorted([str(secret_doc), str(other)])


def test_bad_marks_are_4xx(client, world: World, secret_doc):
    headers = world.headers["caseworker_a1"]
    url = f"/api/v1/documents/{secret_doc}/redactions"
    cases = [
        {"areas": [], "terms": [], "reason": REASON},
        {"areas": [{"page": 1, "x0": 50, "top": 50, "x1": 10, "bottom": 60}], "reason": REASON},
        {"areas": [{"page": 9, "x0": 1, "top": 1, "x1": 10, "bottom": 10}], "reason": REASON},
        {"terms": ["kommt nirgends vor"], "reason": REASON},
    ]
    for body in cases:
        r = client.post(url, json=body, headers=headers)
        assert r.status_code == 422, (body, r.text)
        assert "error" in r.json() and "detail" in r.json()


def test_foreign_callers_cannot_redact_or_see_redactions(client, world: World, secret_doc):
    own = client.post(
        f"/api/v1/documents/{secret_doc}/redactions",
        json={"terms": ["Mustermann"], "reason": REASON},
        headers=world.headers["caseworker_a1"],
    )
    assert own.status_code == 201
    redaction_id = own.json()["id"]
    for who in ("caseworker_a2", "caseworker_b", "caseworker_none"):
        h = world.headers[who]
        r = client.post(
            f"/api/v1/documents/{secret_doc}/redactions",
            json={"terms": ["Musterfrau"], "reason": REASON},
            headers=h,
        )
        assert r.status_code == 404, (who, r.text)
        assert (
            client.get(f"/api/v1/documents/{secret_doc}/redactions", headers=h).status_code == 404
        )
        assert (
            client.get(f"/api/v1/redactions/{redaction_id}/content", headers=h).status_code == 404
        )
        r = client.post(
            f"/api/v1/case-files/{world.case_a1.id}/redaction-preview",
            json={"terms": ["Musterfrau"]},
            headers=h,
        )
        assert r.status_code == 404 and "Musterfrau" not in r.text
    for who in ("importer_a", "provider_a"):
        r = client.post(
            f"/api/v1/documents/{secret_doc}/redactions",
            json={"terms": ["Musterfrau"], "reason": REASON},
            headers=world.headers[who],
        )
        assert r.status_code in (403, 404), (who, r.text)
        assert redaction_id not in r.text


def test_a_borrower_may_read_but_not_redact(client, world: World, secret_doc):
    r = client.put(
        f"/api/v1/case-files/{world.case_a1.id}/grants/{world.unit_a2.id}",
        json={},
        headers=world.headers["admin_a"],
    )
    assert r.status_code == 200, r.text
    r = client.post(
        f"/api/v1/documents/{secret_doc}/redactions",
        json={"terms": ["Musterfrau"], "reason": REASON},
        headers=world.headers["caseworker_a2"],
    )
    assert r.status_code == 403 and r.json()["error"] == "lent_access"
