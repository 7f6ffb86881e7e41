"""The importer drives a delivery over the API: create, upload (resumable), commit,
progress, report; it can never read or search documents."""

from __future__ import annotations

import csv
import io
import json
import uuid

from sqlalchemy import update

from akte.core.database import session_scope
from akte.documents.models import Document
from tests.deliveries.conftest import TRANSFERVERMERK, pdf_bytes, sha

MANIFEST_HEADER = "ID;Aktenzeichen;Dokumentart;Titel;Seitenzahl;SHA256;Dateiname\n"


def create(client, headers, external_id, manifest: str, tv=TRANSFERVERMERK):
    return client.post(
        "/api/v1/deliveries",
        headers=headers,
        data={"external_id": external_id},
        files={
            "manifest": ("manifest.csv", manifest.encode(), "text/csv"),
            "transfervermerk": (
                "transfervermerk.json",
                json.dumps(tv).encode(),
                "application/json",
            ),
        },
    )


def put(client, headers, delivery_id, external_id, data: bytes):
    return client.put(
        f"/api/v1/deliveries/{delivery_id}/items/{external_id}/file",
        headers=headers,
        files={"file": ("scan.pdf", data, "application/pdf")},
    )


def test_importer_flow(client, ctx, world):
    imp = world.headers["importer_a"]
    az = world.case_a1.aktenzeichen
    a, b, c = pdf_bytes(1, "A"), pdf_bytes(2, "B"), pdf_bytes(1, "C")
    manifest = MANIFEST_HEADER + "".join(
        f"{i};{az};Antrag;Titel {i};{p};{sha(d)};{i}.pdf\n"
        for i, p, d in (("A", 1, a), ("B", 2, b), ("C", 1, c), ("D", 1, a))
    )
    created = create(client, imp, "API-1", manifest)
    assert created.status_code == 201, created.text
    delivery = created.json()
    assert delivery["progress"]["pending"] == 4 and delivery["status"] == "open"
    assert delivery["transfervermerk"]["fields"]["contractor"] == "Scan & Archiv GmbH"
    again = create(client, imp, "API-1", manifest)
    assert again.status_code == 200 and again.json()["id"] == delivery["id"]
    assert create(client, imp, "API-1", manifest + "E;x;;;1;;e.pdf\n").status_code == 409
    did = delivery["id"]

    first = put(client, imp, did, "A", a)
    assert first.status_code == 201 and first.json()["outcome"] == "accepted"
    resent = put(client, imp, did, "A", a)  # the connection broke; the client sends again
    assert resent.status_code == 200 and resent.json()["document_id"] == first.json()["document_id"]
    conflict = put(client, imp, did, "A", c)
    assert conflict.status_code == 409 and conflict.json()["error"] == "hash_conflict"
    bad = put(client, imp, did, "B", c)  # wrong file: checksum mismatch, may be corrected
    assert bad.status_code == 422 and bad.json()["error"] == "checksum_mismatch"
    assert put(client, imp, did, "B", b).status_code == 201
    assert put(client, imp, did, "C", b"").status_code == 422
    unknown = put(client, imp, did, "NOPE", a)
    assert unknown.status_code == 404 and unknown.json()["error"] == "not_in_manifest"

    committed = client.post(f"/api/v1/deliveries/{did}/commit", headers=imp)
    assert committed.status_code == 200 and committed.json()["status"] == "processing"
    assert put(client, imp, did, "D", a).status_code == 409  # committed: no more files
    progress = client.get(f"/api/v1/deliveries/{did}/progress", headers=imp).json()
    assert progress == {
        "total": 4,
        "pending": 0,
        "received": 2,
        "processing": 2,
        "processed": 0,
        "failed": 0,
        "rejected": 2,
    }

    # the processing pipeline finishes one document and fails the other
    doc_a, doc_b = first.json()["document_id"], None
    report = client.get(f"/api/v1/deliveries/{did}/report", headers=imp).json()
    doc_b = next(i["document_id"] for i in report["items"] if i["external_id"] == "B")
    with session_scope(ctx.session_factory) as session:
        session.execute(
            update(Document).where(Document.id == uuid.UUID(doc_a)).values(status="ready")
        )
        session.execute(
            update(Document)
            .where(Document.id == uuid.UUID(doc_b))
            .values(status="failed", status_reason="PDF ist verschlüsselt")
        )
    progress = client.get(f"/api/v1/deliveries/{did}/progress", headers=imp).json()
    assert (progress["processed"], progress["failed"], progress["processing"]) == (1, 1, 0)
    assert client.get(f"/api/v1/deliveries/{did}", headers=imp).json()["status"] == "done"

    report = client.get(f"/api/v1/deliveries/{did}/report", headers=imp).json()
    by_id = {i["external_id"]: i for i in report["items"]}
    assert report["total"] == 4
    assert by_id["A"]["outcome"] == "processed"
    assert (by_id["B"]["outcome"], by_id["B"]["reason"]) == ("failed", "PDF ist verschlüsselt")
    assert (by_id["C"]["outcome"], by_id["C"]["reason_code"]) == ("rejected", "empty_file")
    assert (by_id["D"]["outcome"], by_id["D"]["reason_code"]) == ("rejected", "missing_file")
    response = client.get(f"/api/v1/deliveries/{did}/report?format=csv", headers=imp)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert [(r["external_id"], r["outcome"]) for r in rows] == [
        ("A", "processed"),
        ("B", "failed"),
        ("C", "rejected"),
        ("D", "rejected"),
    ]

    tv = client.get(f"/api/v1/deliveries/{did}/transfervermerk", headers=imp)
    assert sha(tv.content) == delivery["transfervermerk_sha256"]

    # the caseworker sees the document with its provenance, bound to the protocol by hash
    prov = client.get(
        f"/api/v1/documents/{doc_a}/provenance", headers=world.headers["caseworker_a1"]
    )
    assert prov.status_code == 200
    body = prov.json()
    assert body["transfervermerk_sha256"] == delivery["transfervermerk_sha256"]
    assert body["binding_sha256"] == sha((delivery["transfervermerk_sha256"] + sha(a)).encode())
    assert body["transfervermerk"]["fields"]["scanner_model"] == "Fujitsu fi-7900"

    # the importer cannot read or search documents, nor see the provenance
    assert client.get(f"/api/v1/documents/{doc_a}", headers=imp).status_code == 404
    assert client.get(f"/api/v1/documents/{doc_a}/content", headers=imp).status_code == 404
    assert client.get(f"/api/v1/documents/{doc_a}/provenance", headers=imp).status_code == 404
    assert client.get("/api/v1/case-files", headers=imp).status_code == 403
    assert client.get(
        f"/api/v1/case-files/{world.case_a1.id}/documents", headers=imp
    ).status_code in (403, 404)
    search = client.get("/api/v1/search", params={"q": "Titel"}, headers=imp)
    assert search.status_code in (403, 404)


def test_deliveries_are_confined_to_their_tenant_and_role(client, world):
    imp = world.headers["importer_a"]
    az = world.case_a1.aktenzeichen
    manifest = MANIFEST_HEADER + f"X;{az};;;1;;x.pdf\n"
    did = create(client, imp, "API-2", manifest).json()["id"]
    assert (
        client.get(f"/api/v1/deliveries/{did}", headers=world.headers["admin_a"]).status_code == 200
    )
    for who in ("caseworker_b", "system_admin"):
        assert client.get(f"/api/v1/deliveries/{did}", headers=world.headers[who]).status_code in (
            403,
            404,
        )
    assert (
        client.get(f"/api/v1/deliveries/{did}", headers=world.headers["caseworker_a1"]).status_code
        == 403
    )
    assert create(client, world.headers["caseworker_a1"], "API-3", manifest).status_code == 403
    assert create(client, world.headers["admin_a"], "API-3", manifest).status_code == 403


def test_invalid_manifest_and_transfervermerk_are_refused(client, world):
    imp = world.headers["importer_a"]
    bad_manifest = create(client, imp, "API-4", "nur;unbekannte;spalten\n1;2;3\n")
    assert bad_manifest.status_code == 422 and bad_manifest.json()["error"] == "invalid_manifest"
    bad_tv = create(
        client,
        imp,
        "API-5",
        MANIFEST_HEADER + "X;AZ;;;1;;x.pdf\n",
        tv={"contractor": "nur ein Feld"},
    )
    assert bad_tv.status_code == 422 and bad_tv.json()["error"] == "invalid_transfervermerk"


def test_a_separator_split_file_is_uploaded_once_for_all_its_rows(client, world):
    imp = world.headers["importer_a"]
    az = world.case_a1.aktenzeichen
    box = pdf_bytes(5, "Karton", separators=(3,))
    manifest = (
        "ID;Aktenzeichen;Seitenzahl;SHA256;Dateiname;Trennblatt;Teil\n"
        f"K-1;{az};2;{sha(box)};box.pdf;patch;1\nK-2;{az};2;{sha(box)};box.pdf;patch;2\n"
    )
    did = create(client, imp, "API-SPLIT", manifest).json()["id"]
    first = put(client, imp, did, "K-1", box)
    assert first.status_code == 201 and first.json()["pages_actual"] == 2
    again = put(client, imp, did, "K-2", box)  # the same file under the other row: known
    assert again.status_code == 200 and again.json()["outcome"] == "accepted"
    assert put(client, imp, did, "K-2", pdf_bytes(1, "x")).status_code == 409
    items = client.get(f"/api/v1/deliveries/{did}/report", headers=imp).json()["items"]
    assert [(i["external_id"], i["part"], i["outcome"]) for i in items] == [
        ("K-1", 1, "accepted"),
        ("K-2", 2, "accepted"),
    ]
    assert items[0]["document_id"] != items[1]["document_id"]
    assert items[0]["document_sha256"] != items[1]["document_sha256"]
