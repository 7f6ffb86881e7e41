"""Correction deliveries: accepted rows come back as ``already_imported`` successes,
rejected rows are retried, and the corrected delivery's report shows the final state."""

from __future__ import annotations

import csv
import io

from tests.builders import unique
from tests.deliveries.conftest import (
    TRANSFERVERMERK,
    akte_cli,
    pdf_bytes,
    row_for,
    sha,
    write_delivery,
)
from tests.deliveries.test_api import MANIFEST_HEADER, create, put


def _report(client, headers, delivery_id):
    items = client.get(f"/api/v1/deliveries/{delivery_id}/report", headers=headers).json()
    return {i["external_id"]: i for i in items["items"]}


def _delivery_id(client, headers, external_id):
    found = client.get("/api/v1/deliveries", headers=headers, params={"size": 200}).json()
    return next(d["id"] for d in found["items"] if d["external_id"] == external_id)


def test_cli_correction_retries_rejected_rows(ctx, client, world, tmp_path):
    admin = world.headers["admin_a"]
    az, seed = world.case_a1.aktenzeichen, unique("K")
    a, b, c = pdf_bytes(1, "A"), pdf_bytes(2, "B"), pdf_bytes(1, "C")
    first_id, second_id = f"{seed}-1", f"{seed}-2"
    rows = [
        row_for(f"{seed}A", "a.pdf", a, 1, az),
        {**row_for(f"{seed}B", "b.pdf", b, 2, az), "sha256": sha(c)},  # wrong checksum
        row_for(f"{seed}C", "c.pdf", c, 1, "AZ-UNBEKANNT-" + seed),
    ]  # unknown Akte
    first = write_delivery(
        tmp_path / "1",
        rows,
        {"a.pdf": a, "b.pdf": b, "c.pdf": c},
        transfervermerk={**TRANSFERVERMERK, "lieferung": first_id},
    )
    proc = akte_cli(
        ctx,
        "import",
        str(first),
        "--tenant",
        world.tenant_a.slug,
        "--report",
        str(tmp_path / "r1.csv"),
    )
    proc.communicate(timeout=180)
    assert proc.returncode == 3

    fixed = [
        rows[0],
        row_for(f"{seed}B", "b.pdf", b, 2, az),
        row_for(f"{seed}C", "c.pdf", c, 1, az.lower().replace("-", " ")),
    ]
    second = write_delivery(
        tmp_path / "2",
        fixed,
        {"a.pdf": a, "b.pdf": b, "c.pdf": c},
        transfervermerk={**TRANSFERVERMERK, "lieferung": second_id, "korrektur_zu": first_id},
    )
    proc = akte_cli(
        ctx,
        "import",
        str(second),
        "--tenant",
        world.tenant_a.slug,
        "--report",
        str(tmp_path / "r2.csv"),
    )
    out, err = proc.communicate(timeout=180)
    assert proc.returncode == 0, out + err
    assert "3 accepted" in out and "0 rejected" in out
    report2 = {
        r["external_id"]: r
        for r in csv.DictReader(
            io.StringIO((tmp_path / "r2.csv").read_text(encoding="utf-8-sig")), delimiter=";"
        )
    }
    assert report2[f"{seed}A"]["reason_code"] == "already_imported"
    assert report2[f"{seed}A"]["outcome"] == "accepted"

    d1 = _delivery_id(client, admin, first_id)
    original = _report(client, admin, d1)
    assert original[f"{seed}A"]["outcome"] == "accepted"
    assert original[f"{seed}A"]["corrected_by"] == second_id
    assert original[f"{seed}A"]["document_id"] == report2[f"{seed}A"]["document_id"]
    for key in ("B", "C"):
        row = original[f"{seed}{key}"]
        assert row["outcome"] == "rejected"  # what happened then stays visible
        assert row["corrected_by"] == second_id and row["final_outcome"] == "accepted"
    info = client.get(f"/api/v1/deliveries/{d1}", headers=admin).json()
    assert info["corrected_by"] == [second_id]
    d2 = _delivery_id(client, admin, second_id)
    assert client.get(f"/api/v1/deliveries/{d2}", headers=admin).json()["corrects"] == first_id
    csv_text = client.get(
        f"/api/v1/deliveries/{d1}/report", params={"format": "csv"}, headers=admin
    ).text
    assert "final_outcome" in csv_text and second_id in csv_text


def test_api_correction_needs_no_resend_of_accepted_rows(client, world):
    imp = world.headers["importer_a"]
    az, seed = world.case_a1.aktenzeichen, unique("KA")
    a, b = pdf_bytes(1, "A2"), pdf_bytes(1, "B2")
    manifest = MANIFEST_HEADER + "".join(
        f"{seed}{k};{az};Antrag;T;1;{sha(d)};{k}.pdf\n" for k, d in (("A", a), ("B", b))
    )
    first = create(client, imp, f"{seed}-1", manifest).json()["id"]
    assert put(client, imp, first, f"{seed}A", a).status_code == 201
    assert client.post(f"/api/v1/deliveries/{first}/commit", headers=imp).status_code == 200

    unknown = client.post(
        "/api/v1/deliveries",
        headers=imp,
        data={"external_id": f"{seed}-x", "corrects": "NO-SUCH-DELIVERY"},
        files={
            "manifest": ("m.csv", manifest.encode(), "text/csv"),
            "transfervermerk": (
                "t.json",
                b'{"dienstleister": "X", "scanzeitpunkt": "2026-01-01",'
                b' "qualitaetskontrolle": "ok"}',
                "application/json",
            ),
        },
    )
    assert unknown.status_code == 422 and unknown.json()["error"] == "unknown_delivery"
    again = create(client, imp, f"{seed}-1", manifest)
    assert again.status_code == 200  # the same delivery id is the same delivery, not a fix

    import json

    second = client.post(
        "/api/v1/deliveries",
        headers=imp,
        data={"external_id": f"{seed}-2", "corrects": f"{seed}-1"},
        files={
            "manifest": ("m.csv", manifest.encode(), "text/csv"),
            "transfervermerk": ("t.json", json.dumps(TRANSFERVERMERK).encode(), "application/json"),
        },
    )
    assert second.status_code == 201, second.text
    assert second.json()["corrects"] == f"{seed}-1"
    sid = second.json()["id"]
    assert second.json()["progress"]["received"] == 1  # A is done without a resend
    assert put(client, imp, sid, f"{seed}B", b).status_code == 201
    assert put(client, imp, sid, f"{seed}A", a).status_code == 200  # a resend is harmless
    done = client.post(f"/api/v1/deliveries/{sid}/commit", headers=imp).json()
    assert done["progress"]["rejected"] == 0
    original = _report(client, imp, first)
    assert original[f"{seed}B"]["outcome"] == "rejected"  # missing_file then
    assert original[f"{seed}B"]["final_outcome"] == "accepted"
    assert original[f"{seed}B"]["corrected_by"] == f"{seed}-2"
