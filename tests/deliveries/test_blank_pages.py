"""Scan product rules: blank pages flagged or removed, identical content reported, the box
file kept as the scan product."""

from __future__ import annotations

import io

import numpy as np
import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageDraw
from sqlalchemy import select

from akte.core.database import session_scope
from akte.documents.models import DocumentVersion
from ingest.deliveries.blank import is_blank
from ingest.deliveries.models import DeliveryItem
from ingest.deliveries.runner import run
from tests.deliveries.boxes import Sheet, box_pdf, page_texts, patch, text
from tests.deliveries.conftest import (
    PROJECT,
    TRANSFERVERMERK,
    pdf_bytes,
    row_for,
    tiff_bytes,
    write_delivery,
)


def _scanned_backside(dpi: int, seed: int, *, word: str | None = None) -> Image.Image:
    """An empty sheet as a scanner sees it: grey paper, sensor noise, dust, a black scanner
    edge on the left and the shadow of the sheet's top edge."""
    rng = np.random.default_rng(seed)
    w, h = int(8.27 * dpi), int(11.69 * dpi)
    pixels = (np.full((h, w), 232.0) + rng.normal(0, 14, (h, w))).clip(0, 255)
    pixels[rng.random((h, w)) < 0.01] = 0
    pixels[:, : int(w * 0.03)] = 15
    pixels[: int(h * 0.015), :] = 40
    image = Image.fromarray(pixels.astype(np.uint8))
    if word:
        ImageDraw.Draw(image).text((w // 3, h // 2), word, fill=0, font_size=dpi // 6)
    return image


@pytest.mark.parametrize("dpi", [100, 200, 300])
def test_noisy_empty_backsides_are_blank_and_a_single_word_is_not(dpi):
    for seed in range(3):
        assert is_blank(_scanned_backside(dpi, seed), dpi)
        assert not is_blank(_scanned_backside(dpi, seed, word="Ja"), dpi)


def test_pages_with_content_are_not_blank():
    pages = []
    for path in sorted((PROJECT / "docs/examples/delivery/scans").iterdir()):
        if path.suffix == ".pdf":
            pdf = pdfium.PdfDocument(str(path))
            pages += [(pdf[i].render(scale=100 / 72).to_pil(), 100) for i in range(len(pdf))]
        else:
            with Image.open(path) as tif:
                for i in range(tif.n_frames):
                    tif.seek(i)
                    pages.append((tif.copy(), tif.info.get("dpi", (300,))[0]))
    pdf = pdfium.PdfDocument(pdf_bytes(2, "Akte"))
    pages += [(pdf[i].render(scale=100 / 72).to_pil(), 100) for i in range(2)]
    with Image.open(io.BytesIO(tiff_bytes(3))) as tif:
        for i in range(3):
            tif.seek(i)
            pages.append((tif.copy(), 100))
    assert [is_blank(image, dpi) for image, dpi in pages] == [False] * len(pages)


def _items(ctx, delivery_id):
    with session_scope(ctx.session_factory) as session:
        items = {}
        for item in session.scalars(
            select(DeliveryItem).where(DeliveryItem.delivery_id == delivery_id)
        ):
            texts = None
            if item.document_id:
                version = session.scalar(
                    select(DocumentVersion).where(DocumentVersion.document_id == item.document_id)
                )
                texts = page_texts(ctx.storage.read_bytes(version.sha256))
            session.expunge(item)
            items[item.external_id or item.filename] = (item, texts)
        return items


BLANK = Sheet("blank")


@pytest.mark.parametrize("declared", [None, "entfernen"])
def test_blank_pages_are_flagged_by_default_and_removed_when_declared(
    ctx, tenant_env, tmp_path, declared
):
    slug, _, _, akte = tenant_env
    az = akte.aktenzeichen
    box = box_pdf([text("A1"), BLANK, text("A2"), patch("T"), text("B1"), BLANK])
    single = box_pdf([text("E1"), BLANK, text("E2")])
    only_blank = box_pdf([BLANK])
    rows = [
        row_for("A", "box.pdf", box, 3, az, trennblatt="patch", teil=1),
        row_for("B", "box.pdf", box, 2, az, trennblatt="patch", teil=2),
        row_for("E", "einzel.pdf", single, 3, az),
        row_for("L", "leer.pdf", only_blank, 1, az),
    ]
    tv = dict(TRANSFERVERMERK, lieferung=f"L-BLANK-{declared}-{tmp_path.name}")
    if declared:
        tv["leerseiten"] = declared
    folder = write_delivery(
        tmp_path / "l",
        rows,
        {"box.pdf": box, "einzel.pdf": single, "leer.pdf": only_blank},
        transfervermerk=tv,
    )
    result = run(ctx, folder, slug, report_path=tmp_path / "r.csv")
    got = _items(ctx, result.delivery_id)
    a, b, e, empty = got["A"][0], got["B"][0], got["E"][0], got["L"][0]
    assert {x.outcome for x in (a, b, e, empty)} == {"accepted"}
    assert (a.blank_pages, b.blank_pages, e.blank_pages, empty.blank_pages) == ("2", "6", "2", "1")
    assert (a.page_range, b.page_range) == ("1-3", "5-6")
    texts = {k: [t.splitlines()[0] if t else "" for t in got[k][1]] for k in "ABEL"}
    if declared is None:
        assert {x.blank_action for x in (a, b, e, empty)} == {"flagged"}
        assert texts == {"A": ["A1", "", "A2"], "B": ["B1", ""], "E": ["E1", "", "E2"], "L": [""]}
        assert e.box_sha256 is None  # nothing cut: the file is the document
    else:
        assert [x.blank_action for x in (a, b, e)] == ["removed"] * 3
        assert empty.blank_action == "flagged"  # a document never loses its last page
        assert texts == {"A": ["A1", "A2"], "B": ["B1"], "E": ["E1", "E2"], "L": [""]}
        assert e.box_sha256 == e.sha256_actual and ctx.storage.exists(e.box_sha256)
        assert (e.pages_claimed, e.pages_actual) == (3, 2)


def test_identical_content_in_two_rows_is_refused_for_the_second(ctx, tenant_env, tmp_path):
    slug, _, _, akte = tenant_env
    az = akte.aktenzeichen
    same = pdf_bytes(1, "Lohnabrechnung")
    rows = [
        row_for("P-1", "a/lohn.pdf", same, 1, az),
        row_for("P-2", "b/lohn-kopie.pdf", same, 1, az),
    ]
    result = run(
        ctx,
        write_delivery(tmp_path / "l", rows, {"a/lohn.pdf": same, "b/lohn-kopie.pdf": same}),
        slug,
        report_path=tmp_path / "r.csv",
    )
    got = _items(ctx, result.delivery_id)
    first, second = got["P-1"][0], got["P-2"][0]
    assert first.outcome == "accepted" and first.document_id is not None
    assert (second.outcome, second.reason_code, second.document_id) == (
        "rejected",
        "duplicate_content",
        None,
    )
    assert "row 1 (P-1)" in second.reason
