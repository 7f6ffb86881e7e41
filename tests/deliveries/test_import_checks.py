"""Every check of a folder/ZIP import gives its row its own outcome; nothing sinks the rest."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

from sqlalchemy import func, select

from akte.core.database import session_scope
from akte.documents.models import Document
from akte.tenants.models import Tenant
from ingest.deliveries.models import DeliveryItem
from ingest.deliveries.runner import run
from tests.builders import make_case_file
from tests.deliveries.conftest import pdf_bytes, row_for, sha, tiff_bytes, write_delivery


def read_report(path):
    """Report rows by external id (or file name for strays); the first row wins."""
    with path.open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh, delimiter=";"))
    by_key: dict = {}
    for row in rows:
        by_key.setdefault(row["external_id"] or row["filename"], row)
    by_key["_all"] = rows
    return by_key


def test_every_check_gives_its_own_outcome(ctx, tenant_env, tmp_path):
    slug, tenant_id, unit, akte = tenant_env
    az = akte.aktenzeichen
    with session_scope(ctx.session_factory) as session:
        other = make_case_file(
            session,
            session.get(Tenant, tenant_id),
            unit,
            bg_nummer="22222BG0000002",
            bg_nummer_norm="22222BG0000002",
        )
    good, two, tif = pdf_bytes(1, "gut"), pdf_bytes(2, "zwei"), tiff_bytes(3)
    box = pdf_bytes(6, "box", separators=(3, 5))
    files = {
        "ok.pdf": good,
        "scan.tif": tif,
        "mismatch.pdf": pdf_bytes(1, "anders"),
        "pages.pdf": two,
        "empty.pdf": b"",
        "word.pdf": b"not a pdf at all, just text",
        "stray.pdf": pdf_bytes(1, "stray"),
        "unknown.pdf": pdf_bytes(1, "unk"),
        "conflict.pdf": pdf_bytes(1, "konf"),
        "dup.pdf": pdf_bytes(1, "dup"),
        "box/box1.pdf": box,
        "bg.pdf": pdf_bytes(1, "bg"),
    }
    rows = [
        row_for("D-OK", "ok.pdf", good, 1, az, titel="Mietvertrag Größe"),
        row_for("D-TIF", "scan.tif", tif, 3, az),
        row_for("D-SUM", "mismatch.pdf", good, 1, az),
        row_for("D-PAGES", "pages.pdf", two, 3, az),
        row_for("D-MISSING", "missing.pdf", good, 1, az),
        row_for("D-EMPTY", "empty.pdf", b"", 1, az, sha256=""),
        row_for("D-TYPE", "word.pdf", files["word.pdf"], 1, az),
        row_for("D-UNKNOWN", "unknown.pdf", files["unknown.pdf"], 1, "AZ-GIBT-ES-NICHT"),
        row_for(
            "D-CONFLICT", "conflict.pdf", files["conflict.pdf"], 1, az, bg_nummer="22222BG0000002"
        ),
        row_for("D-DUP", "dup.pdf", files["dup.pdf"], 1, az),
        row_for("D-DUP", "ok.pdf", good, 1, az),
        row_for("D-ESC", "../etc/passwd", good, 1, az),
        row_for("D-BG", "bg.pdf", files["bg.pdf"], 1, "", bg_nummer="22222-BG-0000002"),
        row_for("BOX-1", "box/box1.pdf", box, 2, az, trennblatt="patch", teil=1),
        row_for("BOX-2", "box/box1.pdf", box, 1, az, trennblatt="patch", teil=2),
        row_for("BOX-3", "box/box1.pdf", box, 1, az, trennblatt="patch", teil=3),
        row_for("BOX-4", "box/box1.pdf", box, 1, az, trennblatt="patch", teil=4),
    ]
    folder = write_delivery(tmp_path / "lieferung", rows, files)
    result = run(ctx, folder, slug, report_path=tmp_path / "report.csv")
    report = read_report(result.report_path)
    outcome = {k: (r["outcome"], r["reason_code"]) for k, r in report.items() if k != "_all"}
    assert outcome["D-OK"] == ("accepted", "")
    assert outcome["D-TIF"] == ("accepted", "")
    assert outcome["D-BG"] == ("accepted", "")
    assert outcome["D-SUM"] == ("rejected", "checksum_mismatch")
    assert outcome["D-PAGES"] == ("rejected", "page_count_mismatch")
    assert outcome["D-MISSING"] == ("rejected", "missing_file")
    assert outcome["D-EMPTY"] == ("rejected", "empty_file")
    assert outcome["D-TYPE"] == ("rejected", "unsupported_type")
    assert outcome["D-UNKNOWN"] == ("rejected", "unknown_case_file")
    assert outcome["D-CONFLICT"] == ("rejected", "case_file_conflict")
    assert outcome["D-DUP"] == ("accepted", "")  # the first row keeps the id
    dup_rows = [r for r in report["_all"] if r["reason_code"] == "duplicate_external_id"]
    assert len(dup_rows) == 1 and dup_rows[0]["row_no"] == "11"
    assert outcome["D-ESC"] == ("rejected", "unsafe_path")
    assert outcome["stray.pdf"] == ("rejected", "not_in_manifest")
    # three parts for four rows: the whole box is refused, nothing of it is filed
    assert {outcome[f"BOX-{n}"] for n in (1, 2, 3, 4)} == {("rejected", "box_split_mismatch")}
    assert "3 part(s) found" in report["BOX-4"]["reason"]
    assert "anders" not in report["D-SUM"]["reason"] and sha(good) in report["D-SUM"]["reason"]
    with session_scope(ctx.session_factory) as session:
        items = {
            i.key: i
            for i in session.scalars(
                select(DeliveryItem).where(DeliveryItem.delivery_id == result.delivery_id)
            )
        }
        docs = {
            d.id: d
            for d in session.scalars(select(Document).where(Document.tenant_id == tenant_id))
        }
        assert len(docs) == 4  # OK, TIF, BG, DUP
        ok = docs[items["D-OK"].document_id]
        assert (ok.title, ok.source, ok.case_file_id) == (
            "Mietvertrag Größe",
            "scan-import",
            akte.id,
        )
        assert docs[items["D-BG"].document_id].case_file_id == other.id
        assert all(items[f"BOX-{n}"].document_id is None for n in (1, 2, 3, 4))
    assert result.progress.received == 4 and result.progress.rejected == 14


def test_unknown_aktenzeichen_creates_the_akte_when_the_tenant_allows(ctx, tenant_env, tmp_path):
    slug, tenant_id, unit, _akte = tenant_env
    with session_scope(ctx.session_factory) as session:
        tenant = session.get(Tenant, tenant_id)
        tenant.options = {"import_creates_case_files": True, "import_org_unit": unit.code}
    data = pdf_bytes(1, "neu")
    rows = [
        row_for("N-1", "a.pdf", data, 1, "AZ-NEU-1", bg_nummer="33333BG1"),
        row_for("N-2", "b.pdf", pdf_bytes(1, "b"), 1, "AZ-NEU-1", bg_nummer="33333BG1"),
    ]
    rows[1]["sha256"] = ""
    folder = write_delivery(tmp_path / "l", rows, {"a.pdf": data, "b.pdf": pdf_bytes(1, "b")})
    result = run(ctx, folder, slug, report_path=tmp_path / "r.csv")
    assert result.progress.received == 2
    with session_scope(ctx.session_factory) as session:
        docs = list(session.scalars(select(Document).where(Document.tenant_id == tenant_id)))
        assert len({d.case_file_id for d in docs}) == 1  # both rows went into the one new Akte


def test_zip_delivery_with_escaping_paths_and_a_bomb(ctx, tenant_env, tmp_path):
    slug, _tenant_id, _unit, akte = tenant_env
    folder = tmp_path / "src"
    good = pdf_bytes(1, "zip")
    bomb = b"%PDF-1.4\n" + b"\0" * (40 * 1024 * 1024)
    rows = [
        row_for("Z-1", "scans/a.pdf", good, 1, akte.aktenzeichen),
        row_for("Z-BOMB", "scans/bomb.pdf", bomb, 1, akte.aktenzeichen),
    ]
    write_delivery(folder, rows, {"scans/a.pdf": good})
    archive = tmp_path / "lieferung.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name in ("manifest.csv", "transfervermerk.json", "scans/a.pdf"):
            zf.write(folder / name, f"L1/{name}")
        zf.writestr("L1/scans/bomb.pdf", bomb)
        zf.writestr("../../outside.pdf", good)
        zf.writestr("elsewhere/x.pdf", good)
        zf.writestr("/etc/cron.d/evil", b"x")
    result = run(ctx, archive, slug, report_path=tmp_path / "r.csv")
    report = read_report(result.report_path)
    assert report["Z-1"]["outcome"] == "accepted"
    assert report["Z-BOMB"]["reason_code"] == "zip_bomb"
    unsafe = [r for r in report["_all"] if r["reason_code"] == "unsafe_path"]
    assert sorted(r["filename"] for r in unsafe) == ["../../outside.pdf", "/etc/cron.d/evil"]
    assert not (tmp_path.parent / "outside.pdf").exists()
    assert report["/elsewhere/x.pdf"]["reason_code"] == "not_in_manifest"


def test_rerun_and_a_second_delivery_import_nothing_twice(ctx, tenant_env, tmp_path):
    slug, tenant_id, _unit, akte = tenant_env
    files = {f"{i}.pdf": pdf_bytes(1, f"r{i}") for i in range(3)}
    rows = [
        row_for(f"R-{i}", f"{i}.pdf", files[f"{i}.pdf"], 1, akte.aktenzeichen) for i in range(3)
    ]
    folder = write_delivery(tmp_path / "l", rows, files)
    first = run(ctx, folder, slug, report_path=tmp_path / "1.csv")
    again = run(ctx, folder, slug, report_path=tmp_path / "2.csv")
    assert first.delivery_id == again.delivery_id and again.progress.received == 3
    other = write_delivery(
        tmp_path / "l2",
        rows,
        files,
        transfervermerk={
            "lieferung": "L-ZWEI",
            "contractor": "X",
            "captured_at": "2026-11-03",
            "qc_result": "ok",
        },
    )
    second = run(ctx, other, slug, report_path=tmp_path / "3.csv")
    assert second.delivery_id != first.delivery_id
    assert {r["reason_code"] for r in read_report(second.report_path)["_all"]} == {
        "already_imported"
    }
    with session_scope(ctx.session_factory) as session:
        count = session.scalar(
            select(func.count()).select_from(Document).where(Document.tenant_id == tenant_id)
        )
    assert count == 3


def test_the_documented_example_delivery_imports(ctx, tenant_env, tmp_path):
    """docs/examples/delivery: a PDF, a TIFF and a box split at a separator sheet."""
    slug, tenant_id, unit, _akte = tenant_env
    with session_scope(ctx.session_factory) as session:
        tenant = session.get(Tenant, tenant_id)
        tenant.options = {"import_creates_case_files": True}
        make_case_file(
            session,
            tenant,
            unit,
            aktenzeichen="AZ-2019-000123",
            bg_nummer="12345BG0012345",
            bg_nummer_norm="12345BG0012345",
        )
    example = Path(__file__).resolve().parents[2] / "docs" / "examples" / "delivery"
    result = run(ctx, example, slug, report_path=tmp_path / "r.csv")
    report = read_report(result.report_path)
    assert [(r["external_id"], r["outcome"], r["pages_actual"]) for r in report["_all"]] == [
        ("JC-2019-000001", "accepted", "2"),
        ("JC-2019-000002", "accepted", "3"),
        ("JC-2019-000003", "accepted", "2"),
        ("JC-2019-000004", "accepted", "3"),
    ]
    assert result.external_id == "LK-MUSTER-2026-0007"
