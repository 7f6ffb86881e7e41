"""Reports operators can act on: where the paper is, what akte found, the outcome, the
reason and the fix; unknown columns kept; CSV cells safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
import json

from akte.core.csvsafe import csv_safe
from ingest.deliveries.runner import run
from tests.deliveries.boxes import barcode, box_pdf, text
from tests.deliveries.conftest import pdf_bytes, row_for, sha, write_delivery
from tests.deliveries.test_api import create, put

EXTRA = ("karton", "Sachbearbeiter", "Regal")
FORMULA = '=HYPERLINK("http://x.example/","klick")'


def test_csv_safe_quotes_what_a_spreadsheet_would_run():
    assert [csv_safe(v) for v in ("=1+2", "+49 30", "-5", "@SUM(A1)", "\tx", "\rx")] == [
        "'=1+2",
        "'+49 30",
        "'-5",
        "'@SUM(A1)",
        "'\tx",
        "'\rx",
    ]
    assert [csv_safe(v) for v in (None, 3, "Müller", "a=b")] == ["", "3", "Müller", "a=b"]


def _delivery(tmp_path, az):
    good = box_pdf([text("G1"), barcode(), text("H1")])
    bad = box_pdf([text("X1"), text("Y1")])  # the separator sheet is missing
    single = pdf_bytes(1, "Einzel")
    files = {"k1/good.pdf": good, "k2/bad.pdf": bad, "single.pdf": single}
    rows = [
        row_for(
            "G",
            "k1/good.pdf",
            good,
            1,
            az,
            trennblatt="patch",
            teil=1,
            karton="K-1",
            Sachbearbeiter="Frau Weiß",
            Regal="3",
        ),
        row_for("H", "k1/good.pdf", good, 1, az, trennblatt="patch", teil=2, karton="K-1"),
        row_for("X", "k2/bad.pdf", bad, 1, az, trennblatt="patch", teil=1, karton="K-2"),
        row_for("Y", "k2/bad.pdf", bad, 1, az, trennblatt="patch", teil=2, karton="K-2"),
        row_for(
            "S",
            "single.pdf",
            single,
            1,
            "AZ-UNBEKANNT",
            karton="K-3",
            titel=FORMULA,
            Sachbearbeiter=FORMULA,
        ),
    ]
    return write_delivery(tmp_path / "l", rows, files, fields_extra=EXTRA)


def test_the_cli_report_shows_box_pages_reason_fix_and_unknown_columns(ctx, tenant_env, tmp_path):
    slug, _, _, akte = tenant_env
    folder = _delivery(tmp_path, akte.aktenzeichen)
    result = run(ctx, folder, slug, report_path=tmp_path / "bericht.csv")
    with result.report_path.open(encoding="utf-8-sig") as fh:
        rows = {r["external_id"]: r for r in csv.DictReader(fh, delimiter=";")}
    g, x, s = rows["G"], rows["X"], rows["S"]
    assert (g["box"], g["filename"], g["page_range"], g["outcome"]) == (
        "K-1",
        "k1/good.pdf",
        "1",
        "accepted",
    )
    assert rows["H"]["page_range"] == "3"
    assert json.loads(g["extra"]) == {"Regal": "3", "Sachbearbeiter": "Frau Weiß"}
    assert (x["box"], x["outcome"], x["reason_code"]) == ("K-2", "rejected", "box_split_mismatch")
    assert "rescan or correct the manifest" in x["fix"]
    assert "k2/bad.pdf: 2 page(s); separator sheets: none" in x["box_layout"]
    assert (s["reason_code"], s["box"]) == ("unknown_case_file", "K-3")
    assert s["fix"].startswith("correct the Aktenzeichen")
    # a formula a contractor's tool left in a cell arrives as text, not as a formula
    assert s["title"] == "'" + FORMULA
    assert json.loads(s["extra"]) == {"Sachbearbeiter": FORMULA}

    # the same report as JSON (``akte import --report bericht.json``)
    again = run(ctx, folder, slug, report_path=tmp_path / "bericht.json")
    body = json.loads(again.report_path.read_text(encoding="utf-8"))
    by_id = {i["external_id"]: i for i in body["items"]}
    assert (by_id["S"]["extra"], by_id["S"]["title"]) == ({"Sachbearbeiter": FORMULA}, FORMULA)
    assert (by_id["Y"]["reason_code"], by_id["G"]["box"]) == ("box_split_mismatch", "K-1")
    assert by_id["Y"]["fix"] == x["fix"]


def test_the_api_report_has_the_same_columns_in_json_and_csv(client, world):
    imp = world.headers["importer_a"]
    az = world.case_a1.aktenzeichen
    box = box_pdf([text("A1"), barcode(), text("B1"), text("B2")])
    manifest = (
        "ID;Aktenzeichen;Seitenzahl;SHA256;Dateiname;Trennblatt;Teil;Karton;Farbe\n"
        f"R-1;{az};1;{sha(box)};box.pdf;patch;1;K-9;-rot\n"
        f"R-2;{az};2;{sha(box)};box.pdf;patch;2;K-9;\n"
    )
    did = create(client, imp, "API-REPORT", manifest).json()["id"]
    assert put(client, imp, did, "R-1", box).status_code == 201
    items = client.get(f"/api/v1/deliveries/{did}/report", headers=imp).json()["items"]
    assert [(i["box"], i["page_range"], i["extra"]) for i in items] == [
        ("K-9", "1", {"Farbe": "-rot"}),
        ("K-9", "3-4", None),
    ]
    assert items[0]["box_sha256"] == sha(box) and "2 part(s) found" in items[0]["box_layout"]
    response = client.get(f"/api/v1/deliveries/{did}/report?format=csv", headers=imp)
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert [(r["box"], r["page_range"], r["fix"]) for r in rows] == [
        ("K-9", "1", ""),
        ("K-9", "3-4", ""),
    ]
    assert rows[0]["extra"] == '{"Farbe": "-rot"}'  # only a cell's first character matters


def test_the_manifest_keeps_unknown_columns_and_reads_page_ranges(tmp_path):
    from ingest.deliveries.manifest import iter_rows

    csv_path = tmp_path / "manifest.csv"
    csv_path.write_text(
        "ID;Datei;Erste Seite;Letzte Seite;Karton;Sachbearbeiter;Leer\n"
        "A;box.pdf;1;3;K 4;Frau Weiß;\nB;box.pdf;5;4;K 4;;\n",
        encoding="utf-8",
    )
    a, b = iter_rows(csv_path)
    assert (a.first_page, a.last_page, a.box, a.extra, a.error) == (
        1,
        3,
        "K 4",
        {"Sachbearbeiter": "Frau Weiß"},
        None,
    )
    assert b.error_code == "invalid_row" and "runs backwards" in b.error and b.extra is None
    json_path = tmp_path / "manifest.json"
    json_path.write_text(
        json.dumps(
            {
                "documents": [
                    {
                        "id": "C",
                        "file": "c.pdf",
                        "first_page": 2,
                        "last_page": 2,
                        "Regal": 7,
                        "nested": {"x": 1},
                    }
                ]
            }
        ),
        encoding="utf-8",
    )
    (c,) = iter_rows(json_path)
    assert (c.first_page, c.last_page, c.extra) == (2, 2, {"Regal": "7"})
