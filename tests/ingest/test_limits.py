"""Bounds on time and memory, checked on the processor alone (no database needed)."""

from __future__ import annotations

import io
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from reportlab.pdfgen import canvas

from ingest import pdf
from ingest.limits import Limits, ProcessingFailed
from ingest.processor import process_file
from tests.ingest import samples


def blank_pdf(width_pt: float, height_pt: float) -> bytes:
    buffer = io.BytesIO()
    doc = canvas.Canvas(buffer, pagesize=(width_pt, height_pt), invariant=True)
    doc.rect(10, 10, 50, 50, fill=1)
    doc.showPage()
    doc.save()
    return buffer.getvalue()


def test_oversized_pages_are_rendered_at_a_lower_resolution_not_refused() -> None:
    document = pdfium.PdfDocument(blank_pdf(2384, 3370))  # A0: 139 Mpx at 300 dpi
    try:
        dpi = pdf.render_dpi(document[0], 1, Limits(max_pixels=60_000_000))
    finally:
        document.close()
    assert 150 < dpi < 300
    width_px, height_px = 2384 / 72 * dpi, 3370 / 72 * dpi
    assert width_px * height_px <= 60_000_000


def test_pages_too_large_even_at_the_lowest_resolution_fail_with_their_size(
    tmp_path: Path,
) -> None:
    source = tmp_path / "huge.pdf"
    source.write_bytes(samples.huge_page_pdf())
    with pytest.raises(ProcessingFailed, match=r"page 1 is too large to render \(12,347 × "):
        process_file(source, tmp_path / "work")


def test_a_tesseract_call_that_runs_too_long_fails_the_page(tmp_path: Path) -> None:
    source = tmp_path / "scan.png"
    source.write_bytes(samples.png_bytes(samples.render_lines(samples.LETTER)))
    with pytest.raises(ProcessingFailed, match="page 1 could not be recognised within"):
        process_file(source, tmp_path / "work", Limits(page_timeout_seconds=0.05))


def test_page_count_limit(tmp_path: Path) -> None:
    source = tmp_path / "long.pdf"
    source.write_bytes(samples.many_pages_pdf(30))
    with pytest.raises(ProcessingFailed, match="PDF has 30 pages, more than the limit of 20"):
        process_file(source, tmp_path / "work", Limits(max_pages=20))
    tiff = tmp_path / "fax.tif"
    tiff.write_bytes(samples.fax_tiff([samples.render_lines(["Seite"], width=600)] * 3))
    with pytest.raises(ProcessingFailed, match="the image has 3 pages, more than the limit of 2"):
        process_file(tiff, tmp_path / "work2", Limits(max_pages=2))


def test_text_layer_usability() -> None:
    assert pdf.usable_text("Bescheid über Leistungen nach dem SGB II vom 3. März")
    assert not pdf.usable_text("  12  ")  # a page number only: OCR the page
    assert not pdf.usable_text("\ue000\ue001\ue002" * 10)  # glyphs without Unicode mapping
