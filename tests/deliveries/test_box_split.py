"""Never misfile: a box is cut into its rows' documents exactly, or not at all."""

from __future__ import annotations

import random

from sqlalchemy import select

from akte.core.database import session_scope
from akte.documents.models import Document, DocumentVersion
from akte.tenants.models import Tenant
from ingest.deliveries.boxes import binding
from ingest.deliveries.models import Delivery, DeliveryItem
from ingest.deliveries.runner import run
from tests.builders import make_case_file
from tests.deliveries.boxes import Sheet, barcode, box_pdf, page_texts, patch, text
from tests.deliveries.conftest import row_for, write_delivery


def _akten(ctx, tenant_id, unit, n):
    with session_scope(ctx.session_factory) as session:
        tenant = session.get(Tenant, tenant_id)
        return [
            (c.id, c.aktenzeichen)
            for c in (make_case_file(session, tenant, unit) for _ in range(n))
        ]


def _imported(ctx, delivery_id):
    """``{external id: (item, case file id, page texts of the stored document)}``."""
    out = {}
    with session_scope(ctx.session_factory) as session:
        items = session.scalars(
            select(DeliveryItem).where(
                DeliveryItem.delivery_id == delivery_id, DeliveryItem.external_id.is_not(None)
            )
        )
        for item in items:
            texts, case_file_id = None, None
            if item.document_id is not None:
                doc = session.get(Document, item.document_id)
                version = session.scalar(
                    select(DocumentVersion).where(DocumentVersion.document_id == doc.id)
                )
                case_file_id = doc.case_file_id
                texts = [
                    t.splitlines()[0] for t in page_texts(ctx.storage.read_bytes(version.sha256))
                ]
            session.expunge(item)
            out[item.external_id] = (item, case_file_id, texts)
    return out


def _random_box(rng, box_no, akten, smudge):
    """Sheets and rows of one box: 1–4 documents of 1–3 pages between separator sheets;
    ``smudge`` makes one separator unreadable."""
    docs = rng.randint(2, 4) if smudge else rng.randint(1, 4)
    sheets, rows, expected = [], [], {}
    bad = rng.randrange(1, docs) if smudge else -1
    for d in range(docs):
        if d:
            sep = rng.choice([barcode, patch])(readable=(d != bad))
            sheets.append(sep)
            if rng.random() < 0.2 and d != bad:
                sheets.append(sep)  # doubled separator sheets make no empty document
        ext = f"K{box_no}-D{d + 1}"
        pages = rng.randint(1, 3)
        markers = [f"DOC {ext} P{p + 1}" for p in range(pages)]
        sheets.extend(text(m) for m in markers)
        akte = rng.choice(akten)
        rows.append((ext, pages, akte, d + 1))
        expected[ext] = (akte[0], markers)
    return sheets, rows, expected


def test_no_page_ends_up_in_an_akte_other_than_its_rows(ctx, tenant_env, tmp_path):
    """Random boxes, some with an unreadable separator sheet: every page is filed in its own
    row's Akte (checked by the text on the stored pages) or its whole box is refused."""
    slug, tenant_id, unit, _ = tenant_env
    akten = _akten(ctx, tenant_id, unit, 3)
    rng = random.Random(20261129)
    files, rows, expected, boxes = {}, [], {}, {}
    for box_no in range(7):
        smudge = box_no == 1 or (box_no > 1 and rng.random() < 0.4)
        sheets, box_rows, box_expected = _random_box(rng, box_no, akten, smudge)
        name = f"karton{box_no}.pdf"
        files[name] = box_pdf(sheets)
        for ext, pages, (_, az), part in box_rows:
            rows.append(row_for(ext, name, files[name], pages, az, trennblatt="patch", teil=part))
        expected.update(box_expected)
        boxes[name] = [r[0] for r in box_rows]
    result = run(
        ctx, write_delivery(tmp_path / "l", rows, files), slug, report_path=tmp_path / "r.csv"
    )
    got = _imported(ctx, result.delivery_id)
    accepted_boxes = rejected_boxes = 0
    for name, exts in boxes.items():
        outcomes = {got[e][0].outcome for e in exts}
        if outcomes == {"accepted"}:
            accepted_boxes += 1
            for ext in exts:
                item, case_file_id, texts = got[ext]
                assert (case_file_id, texts) == expected[ext], (name, ext)
        else:
            rejected_boxes += 1
            assert outcomes == {"rejected"}, name
            for ext in exts:
                item, case_file_id, _ = got[ext]
                assert item.reason_code == "box_split_mismatch" and case_file_id is None
                assert item.document_id is None and "nothing of this box" in item.reason
                assert f"{name}: " in item.box_layout and "separator sheets" in item.box_layout
    assert accepted_boxes >= 1 and rejected_boxes >= 1  # both paths were exercised


def test_page_ranges_are_authoritative_and_separators_may_sit_between(ctx, tenant_env, tmp_path):
    slug, tenant_id, unit, _ = tenant_env
    (a_id, a_az), (b_id, b_az) = _akten(ctx, tenant_id, unit, 2)
    # no separator between 1-2 and 3; a patch sheet (page 4) before 5-6
    sheets = [text("R1 P1"), text("R1 P2"), text("R2 P1"), patch("T"), text("R3 P1"), text("R3 P2")]
    box = box_pdf(sheets)
    rows = [
        row_for("R1", "box.pdf", box, 2, a_az, erste_seite=1, letzte_seite=2),
        row_for("R2", "box.pdf", box, 1, b_az, erste_seite=3, letzte_seite=3),
        row_for("R3", "box.pdf", box, 2, a_az, erste_seite=5, letzte_seite=6),
    ]
    result = run(
        ctx,
        write_delivery(
            tmp_path / "l", rows, {"box.pdf": box}, fields_extra=("erste_seite", "letzte_seite")
        ),
        slug,
        report_path=tmp_path / "r.csv",
    )
    got = _imported(ctx, result.delivery_id)
    assert {k: (v[1], v[2]) for k, v in got.items()} == {
        "R1": (a_id, ["R1 P1", "R1 P2"]),
        "R2": (b_id, ["R2 P1"]),
        "R3": (a_id, ["R3 P1", "R3 P2"]),
    }
    assert [got[k][0].page_range for k in ("R1", "R2", "R3")] == ["1-2", "3", "5-6"]


def test_page_ranges_that_do_not_fit_the_box_refuse_it_whole(ctx, tenant_env, tmp_path):
    slug, tenant_id, unit, _ = tenant_env
    ((_, az),) = _akten(ctx, tenant_id, unit, 1)
    with_sep = box_pdf([text("S1"), barcode(), text("S3"), text("S4")])
    files = {
        f"{k}.pdf": box_pdf([text(f"{k} S{n}") for n in range(1, 5)])
        for k in ("overlap", "gap", "beyond")
    }
    files["sep.pdf"] = with_sep
    cases = {
        "overlap": [(1, 2), (2, 4)],
        "gap": [(1, 1), (3, 4)],
        "beyond": [(1, 2), (3, 5)],
        "sep": [(1, 2), (3, 4)],
    }
    rows = []
    for name, spans in cases.items():
        for n, (first, last) in enumerate(spans, start=1):
            rows.append(
                row_for(
                    f"{name}-{n}",
                    f"{name}.pdf",
                    files[f"{name}.pdf"],
                    last - first + 1,
                    az,
                    erste_seite=first,
                    letzte_seite=last,
                )
            )
    result = run(
        ctx,
        write_delivery(tmp_path / "l", rows, files, fields_extra=("erste_seite", "letzte_seite")),
        slug,
        report_path=tmp_path / "r.csv",
    )
    got = _imported(ctx, result.delivery_id)
    reasons = {k: v[0].reason for k, v in got.items()}
    assert {v[0].reason_code for v in got.values()} == {"box_split_mismatch"}
    assert all(v[0].document_id is None for v in got.values())
    assert "overlaps" in reasons["overlap-1"] and "overlaps" in reasons["overlap-2"]
    assert "page(s) 2 belong to no row" in reasons["gap-1"]
    assert "beyond the last page (4)" in reasons["beyond-2"]
    assert "contains separator sheet(s) 2" in reasons["sep-1"]


def test_a_page_count_that_disagrees_refuses_the_box_and_a_good_box_binds_it(
    ctx, tenant_env, tmp_path
):
    """Right number of parts, but a row's page count is off (a separator in the wrong
    place): nothing is filed. A box that fits is kept as the scan product."""
    slug, tenant_id, unit, _ = tenant_env
    ((_, az),) = _akten(ctx, tenant_id, unit, 1)
    shifted = box_pdf([text("A1"), barcode(), text("A2"), text("B1")])
    good = box_pdf([text("G1"), patch("T"), text("H1"), text("H2")])
    rows = [
        row_for("S-1", "shifted.pdf", shifted, 2, az, trennblatt="patch", teil=1),
        row_for("S-2", "shifted.pdf", shifted, 1, az, trennblatt="patch", teil=2),
        row_for("G-1", "good.pdf", good, 1, az, trennblatt="patch", teil=1, karton="K-17"),
        row_for("G-2", "good.pdf", good, 2, az, trennblatt="patch", teil=2, karton="K-17"),
    ]
    result = run(
        ctx,
        write_delivery(
            tmp_path / "l",
            rows,
            {"shifted.pdf": shifted, "good.pdf": good},
            fields_extra=("karton",),
        ),
        slug,
        report_path=tmp_path / "r.csv",
    )
    got = _imported(ctx, result.delivery_id)
    for ext in ("S-1", "S-2"):
        assert (got[ext][0].reason_code, got[ext][0].document_id) == ("box_split_mismatch", None)
    assert "gives 2 page(s), its part has 1" in got["S-1"][0].reason
    g1, g2 = got["G-1"][0], got["G-2"][0]
    assert (g1.outcome, g2.outcome, g1.box, g2.page_range) == (
        "accepted",
        "accepted",
        "K-17",
        "3-4",
    )
    assert "patch code" in g1.box_layout and "2 (patch code 2/T)" in g1.box_layout
    assert g1.box_sha256 == g1.sha256_actual and ctx.storage.exists(g1.box_sha256)
    with session_scope(ctx.session_factory) as session:
        tv = session.get(Delivery, result.delivery_id).transfervermerk_sha256
    assert g1.binding_sha256 == binding(tv, g1.box_sha256, g1.document_sha256)
    assert g1.binding_sha256 != binding(tv, None, g1.document_sha256)


def test_sheet_builder_marks_are_what_the_tests_think(tmp_path):
    """The generated separator sheets are read as intended (guards the tests above)."""
    from ingest.deliveries import separators

    path = tmp_path / "b.pdf"
    path.write_bytes(
        box_pdf(
            [
                barcode(),
                barcode(False),
                patch("T"),
                patch("T", False),
                patch("3"),
                Sheet("text", "x"),
            ]
        )
    )
    pages = separators.scan(path, "application/pdf", ["PATCHT"])
    assert [p.separator for p in pages] == [True, False, True, False, False, False]


def test_a_refused_box_can_be_sent_again_over_the_api(client, world):
    """The importer's PUT of a box with a lost separator sheet stores nothing (422); the
    rescanned box sent under the same rows is cut and filed."""
    from tests.deliveries.test_api import create, put

    imp = world.headers["importer_a"]
    az = world.case_a1.aktenzeichen
    lost = box_pdf([text("A1"), text("B1"), text("B2")])
    fixed = box_pdf([text("A1"), patch("T"), text("B1"), text("B2")])
    manifest = (
        "ID;Aktenzeichen;Seitenzahl;Dateiname;Trennblatt;Teil\n"
        f"A;{az};1;box.pdf;patch;1\nB;{az};2;box.pdf;patch;2\n"
    )
    did = create(client, imp, "API-BOX-AGAIN", manifest).json()["id"]
    refused = put(client, imp, did, "A", lost)
    assert refused.status_code == 422 and refused.json()["error"] == "box_split_mismatch"
    report = client.get(f"/api/v1/deliveries/{did}/report", headers=imp).json()["items"]
    assert [(i["outcome"], i["document_id"]) for i in report] == [("rejected", None)] * 2
    assert put(client, imp, did, "B", fixed).status_code == 201
    report = client.get(f"/api/v1/deliveries/{did}/report", headers=imp).json()["items"]
    assert [(i["outcome"], i["page_range"]) for i in report] == [
        ("accepted", "1"),
        ("accepted", "3-4"),
    ]
