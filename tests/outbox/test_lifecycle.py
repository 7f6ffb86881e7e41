"""The whole life cycle through the HTTP API, as the caseworker and the provider see it."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from datetime import UTC, date, datetime

from sqlalchemy import update

from akte.core.database import session_scope
from akte.jobs.worker import run_until_idle
from outbox import batching
from outbox import settings as outbox_settings
from outbox.models import Batch
from tests.outbox.conftest import make_pdf, upload

BASE = "/api/v1/outbox"


def _create_rendered(client, headers, case_id, **form):
    data = {
        "subject": "Bewilligungsbescheid",
        "body": "Sehr geehrte Frau Mustermann,\n\nText.",
        "recipient": "Erika Mustermann\nHauptstraße 12\n12345 Musterstadt",
        **form,
    }
    response = client.post(f"/api/v1/case-files/{case_id}/letters", headers=headers, data=data)
    assert response.status_code == 201, response.text
    return response.json()


def _ready(client, headers):
    return client.get(f"{BASE}/batches", params={"status": "ready"}, headers=headers).json()


def _backdate(ctx, *batch_ids, to=datetime(2025, 12, 1, 8, tzinfo=UTC)):
    """Pretend the batches were sealed long ago, so reports may carry past dates."""
    with session_scope(ctx.session_factory) as session:
        session.execute(update(Batch).where(Batch.id.in_(list(batch_ids))).values(sealed_at=to))


def _ack(client, headers, batch_id):
    """What an honest provider does: download, then acknowledge with the checksum."""
    body = client.get(f"{BASE}/batches/{batch_id}/download", headers=headers).content
    return client.post(
        f"{BASE}/batches/{batch_id}/ack",
        headers=headers,
        json={"zip_sha256": hashlib.sha256(body).hexdigest()},
    )


def _report(client, headers, letter_id, status, **form):
    files = form.pop("files", None)
    return client.post(
        f"{BASE}/letters/{letter_id}/status",
        headers=headers,
        data={"status": status, **form},
        files=files,
    )


def test_full_life_cycle(ctx, client, ow):
    world = ow.world
    cw, provider = world.headers["caseworker_a1"], world.headers["provider_a"]
    case_id = world.case_a1.id
    plain = _create_rendered(client, cw, case_id, duplex="true")
    colour = _create_rendered(client, cw, case_id, color="true")
    uploaded = upload(client, cw, case_id, make_pdf(pages=3), duplex=True).json()
    pzu = _create_rendered(client, cw, case_id, product="pzu")
    assert plain["status"] == "queued" and plain["history"][0]["status"] == "queued"
    assert uploaded["page_count"] == 3 and uploaded["sheet_count"] == 2
    assert plain["recipient"].splitlines()[-1] == "12345 Musterstadt"

    # filed into the Akte as a document of source "letter", letter visible via the document
    documents = client.get(f"/api/v1/case-files/{case_id}/documents", headers=cw).json()
    letter_docs = [d for d in documents["items"] if d["source"] == "letter"]
    assert {d["id"] for d in letter_docs} >= {plain["document_id"], pzu["document_id"]}
    via_doc = client.get(f"/api/v1/documents/{plain['document_id']}/letter", headers=cw).json()
    assert via_doc["id"] == plain["id"] and via_doc["status"] == "queued"

    # nothing for the provider before sealing
    assert _ready(client, provider)["total"] == 0
    results = batching.seal(ctx, world.tenant_a.id)
    assert sorted(r.letter_count for r in results) == [1, 3]  # pzu and standardbrief
    _backdate(ctx, *(r.batch_id for r in results))
    listing = _ready(client, provider)
    assert listing["total"] == 2
    batch = next(b for b in listing["items"] if b["product"] == "standardbrief")
    assert batch["letter_count"] == 3 and batch["sheet_count"] == 1 + 1 + 2

    detail = client.get(f"{BASE}/batches/{batch['id']}", headers=provider).json()
    by_id = {e["letter_id"]: e for e in detail["letters"]}
    assert set(by_id) == {plain["id"], colour["id"], uploaded["id"]}
    assert by_id[colour["id"]]["color"] is True and by_id[plain["id"]]["duplex"] is True

    # download cut off halfway, then resumed with Range + If-Range
    url = f"{BASE}/batches/{batch['id']}/download"
    with client.stream("GET", url, headers=provider) as response:
        assert response.status_code == 200
        etag, size = response.headers["etag"], int(response.headers["content-length"])
        first = b""
        for chunk in response.iter_bytes(chunk_size=1024):
            first += chunk
            if len(first) >= size // 2:
                break
    first = first[: size // 2]
    rest = client.get(url, headers={**provider, "Range": f"bytes={len(first)}-", "If-Range": etag})
    assert rest.status_code == 206
    assert rest.headers["content-range"] == f"bytes {len(first)}-{size - 1}/{size}"
    body = first + rest.content
    assert hashlib.sha256(body).hexdigest() == etag.strip('"') == batch["zip_sha256"]
    stale = client.get(url, headers={**provider, "Range": "bytes=10-", "If-Range": '"old"'})
    assert stale.status_code == 200 and stale.content == body

    # the manifest's checksums match the PDFs in the ZIP and the stored letters
    with zipfile.ZipFile(io.BytesIO(body)) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        rows = list(csv.DictReader(io.StringIO(zf.read("manifest.csv").decode())))
        assert manifest["letter_count"] == 3 and len(rows) == 3
        for entry in manifest["letters"]:
            pdf = zf.read(entry["file"])
            assert (
                hashlib.sha256(pdf).hexdigest()
                == entry["sha256"]
                == by_id[entry["letter_id"]]["sha256"]
            )
            assert pdf.startswith(b"%PDF")
        assert {r["letter_id"] for r in rows} == set(by_id)

    # downloaded: awaiting acknowledgement, not offered again before the timeout
    assert batch["id"] not in {b["id"] for b in _ready(client, provider)["items"]}
    ack = client.post(
        f"{BASE}/batches/{batch['id']}/ack",
        headers=provider,
        json={"zip_sha256": batch["zip_sha256"]},
    )
    assert ack.status_code == 200 and ack.json()["status"] == "handed_over"
    again = client.post(
        f"{BASE}/batches/{batch['id']}/ack",
        headers=provider,
        json={"zip_sha256": batch["zip_sha256"]},
    )
    assert (
        again.status_code == 200
        and again.json()["acknowledged_at"] == ack.json()["acknowledged_at"]
    )
    state = client.get(f"/api/v1/letters/{plain['id']}", headers=cw).json()
    assert state["status"] == "handed_over"

    # printed, posted (legal delivery date), duplicates, out-of-order, returned
    assert _report(client, provider, plain["id"], "printed").json()["status"] == "printed"
    posted = _report(client, provider, plain["id"], "posted", date="2025-12-17").json()
    assert posted["status"] == "posted" and posted["legal_delivery_date"] == "2025-12-22"
    duplicate = _report(client, provider, plain["id"], "posted", date="2025-12-17")
    assert duplicate.status_code == 200 and duplicate.json()["changed"] is False
    assert duplicate.json()["history"] == posted["history"]
    recorded = client.get(f"{BASE}/letters/{plain['id']}", headers=provider).json()
    assert recorded["status"] == "posted" and recorded["history"] == posted["history"]
    conflicting = _report(client, provider, plain["id"], "posted", date="2025-12-18")
    assert conflicting.status_code == 409

    # a delivery reported later than the fictional date is the legal date
    late_delivery = _report(client, provider, plain["id"], "delivered", date="2025-12-23")
    assert late_delivery.json()["legal_delivery_date"] == "2025-12-23"
    early = _report(client, provider, colour["id"], "delivered", date="2025-12-20").json()
    assert early["status"] == "delivered"
    late = _report(client, provider, colour["id"], "posted", date="2025-12-16").json()
    assert late["status"] == "delivered" and late["legal_delivery_date"] == "2025-12-22"
    assert [e["status"] for e in late["history"]] == [
        "queued",
        "batched",
        "handed_over",
        "posted",
        "delivered",
    ]
    late_print = _report(client, provider, colour["id"], "printed").json()
    assert late_print["status"] == "delivered"
    # returned after delivered (a refused acceptance): kept and flagged, not refused
    back = _report(client, provider, colour["id"], "returned", reason="Annahme verweigert")
    assert back.status_code == 200, back.text
    assert back.json()["status"] == "returned" and back.json()["return_after_delivery"] is True
    assert back.json()["legal_delivery_date"] == "2025-12-22"  # the delivery stays on record

    returned = _report(
        client, provider, uploaded["id"], "returned", reason="Empfänger unbekannt verzogen"
    ).json()
    assert returned["status"] == "returned"
    assert returned["return_reason"] == "Empfänger unbekannt verzogen"
    assert returned["legal_delivery_date"] is None  # not received: no Zugangsfiktion
    assert returned["return_after_delivery"] is False

    # PZU: delivered needs the Zustellungsurkunde, which is filed into the Akte
    pzu_batch = next(b for b in listing["items"] if b["product"] == "pzu")
    assert _ack(client, provider, pzu_batch["id"]).status_code == 200
    missing = _report(client, provider, pzu["id"], "delivered", date="2025-12-19")
    assert missing.status_code == 422 and missing.json()["error"] == "proof_required"
    proof = make_pdf(["Zustellungsurkunde", "Musterweg 1", "12345 Musterstadt"])
    files = {"file": ("pzu.pdf", proof, "application/pdf")}
    delivered = _report(
        client, provider, pzu["id"], "delivered", date="2025-12-19", files=files
    ).json()
    assert delivered["status"] == "delivered" and delivered["legal_delivery_date"] == "2025-12-19"
    again = _report(client, provider, pzu["id"], "delivered", date="2025-12-19", files=files)
    assert again.json()["changed"] is False
    letter = client.get(f"/api/v1/letters/{pzu['id']}", headers=cw).json()
    proof_doc = client.get(f"/api/v1/documents/{letter['proof_document_id']}", headers=cw).json()
    assert proof_doc["doc_type"] == "Zustellungsurkunde" and proof_doc["case_file_id"] == str(
        case_id
    )

    # the caseworker sees the whole history on the Akte
    letters = client.get(f"/api/v1/case-files/{case_id}/letters", headers=cw).json()
    states = {item["id"]: item["status"] for item in letters["items"]}
    assert states == {
        plain["id"]: "delivered",
        colour["id"]: "returned",
        uploaded["id"]: "returned",
        pzu["id"]: "delivered",
    }
    run_until_idle(ctx)
    doc = client.get(f"/api/v1/documents/{plain['document_id']}", headers=cw).json()
    assert doc["source"] == "letter"


def test_unacknowledged_batch_is_offered_again(ctx, client, ow, clock):
    world = ow.world
    cw, provider = world.headers["caseworker_a1"], world.headers["provider_a"]
    with session_scope(ctx.session_factory) as session:
        outbox_settings.put(
            session,
            world.tenant_a.id,
            outbox_settings.TenantOutboxSettings(working_days=[], ack_timeout_seconds=1),
        )
    _create_rendered(client, cw, world.case_a1.id)
    (result,) = batching.seal(ctx, world.tenant_a.id)
    batch_id = str(result.batch_id)
    assert batch_id in {b["id"] for b in _ready(client, provider)["items"]}
    # a failed attempt (network error on the provider's side) still counts as a fetch
    assert client.get(f"{BASE}/batches/{batch_id}/download", headers=provider).status_code == 200
    awaiting = client.get(
        f"{BASE}/batches", params={"status": "awaiting_ack"}, headers=provider
    ).json()
    assert batch_id in {b["id"] for b in awaiting["items"]}
    assert batch_id not in {b["id"] for b in _ready(client, provider)["items"]}
    clock.advance(1.2)  # past the 1 s acknowledgement timeout
    offered = _ready(client, provider)
    assert batch_id in {b["id"] for b in offered["items"]}
    # a second provider run fetches it again and acknowledges
    assert client.get(f"{BASE}/batches/{batch_id}/download", headers=provider).status_code == 200
    with session_scope(ctx.session_factory) as session:
        assert session.get(Batch, result.batch_id).download_count == 2
    ack = client.post(
        f"{BASE}/batches/{batch_id}/ack",
        headers=provider,
        json={"zip_sha256": result_sha(ctx, result.batch_id)},
    )
    assert ack.json()["status"] == "handed_over"
    assert batch_id not in {b["id"] for b in _ready(client, provider)["items"]}
    with session_scope(ctx.session_factory) as session:  # the timeout no longer applies
        session.execute(
            update(Batch).where(Batch.id == result.batch_id).values(offer_expires_at=None)
        )
    assert batch_id not in {b["id"] for b in _ready(client, provider)["items"]}


def test_report_before_ack_keeps_a_complete_history(ctx, client, ow):
    world = ow.world
    letter = _create_rendered(client, world.headers["caseworker_a1"], world.case_a1.id)
    (result,) = batching.seal(ctx, world.tenant_a.id)
    provider = world.headers["provider_a"]
    assert _report(client, provider, letter["id"], "printed").json()["status"] == "printed"
    assert _ack(client, provider, result.batch_id).status_code == 200
    state = client.get(
        f"/api/v1/letters/{letter['id']}", headers=world.headers["caseworker_a1"]
    ).json()
    assert state["status"] == "printed"
    assert [e["status"] for e in state["history"]] == [
        "queued",
        "batched",
        "handed_over",
        "printed",
    ]


def test_wrong_checksum_on_ack_is_refused(ctx, client, ow):
    world = ow.world
    _create_rendered(client, world.headers["caseworker_a1"], world.case_a1.id)
    (result,) = batching.seal(ctx, world.tenant_a.id)
    response = client.post(
        f"{BASE}/batches/{result.batch_id}/ack",
        headers=world.headers["provider_a"],
        json={"zip_sha256": "0" * 64},
    )
    assert response.status_code == 409 and response.json()["error"] == "checksum_mismatch"


def test_reports_need_dates_and_reasons(ctx, client, ow):
    world = ow.world
    letter = _create_rendered(client, world.headers["caseworker_a1"], world.case_a1.id)
    provider = world.headers["provider_a"]
    assert _report(client, provider, letter["id"], "printed").status_code == 404  # not sealed
    batching.seal(ctx, world.tenant_a.id)
    assert _report(client, provider, letter["id"], "posted").status_code == 422
    assert _report(client, provider, letter["id"], "returned").status_code == 422
    future = date.today().replace(year=date.today().year + 1).isoformat()
    answer = _report(client, provider, letter["id"], "posted", date=future)
    assert answer.status_code == 409 and answer.json()["error"] == "date_in_future"
    assert _report(client, provider, letter["id"], "lost").status_code == 422


def test_simultaneous_duplicate_reports_count_once(ctx, client, ow):
    from concurrent.futures import ThreadPoolExecutor

    world = ow.world
    letter = _create_rendered(client, world.headers["caseworker_a1"], world.case_a1.id)
    (result,) = batching.seal(ctx, world.tenant_a.id)
    _backdate(ctx, result.batch_id)
    provider = world.headers["provider_a"]
    assert _ack(client, provider, result.batch_id).status_code == 200
    with ThreadPoolExecutor(4) as pool:
        answers = list(
            pool.map(
                lambda _: _report(client, provider, letter["id"], "posted", date="2025-12-15"),
                range(4),
            )
        )
    assert [a.status_code for a in answers] == [200] * 4
    assert sum(a.json()["changed"] for a in answers) == 1
    state = client.get(
        f"/api/v1/letters/{letter['id']}", headers=world.headers["caseworker_a1"]
    ).json()
    assert [e["status"] for e in state["history"]].count("posted") == 1
    assert state["legal_delivery_date"] == "2025-12-19"


def result_sha(ctx, batch_id):
    with session_scope(ctx.session_factory) as session:
        return session.get(Batch, batch_id).zip_sha256
