"""Separator sheets: a box scanned as one file is split at barcode pages, which are dropped."""

from __future__ import annotations

import pypdfium2 as pdfium
import pytest
from PIL import Image

from ingest.deliveries.checks import Rejection
from ingest.deliveries.separators import split
from tests.deliveries.conftest import pdf_bytes, tiff_bytes


def _pages(path):
    pdf = pdfium.PdfDocument(str(path))
    try:
        return [pdf[i].get_textpage().get_text_range().strip() for i in range(len(pdf))]
    finally:
        pdf.close()


def test_pdf_is_split_and_separator_pages_dropped(tmp_path):
    source = tmp_path / "box.pdf"
    source.write_bytes(pdf_bytes(7, "Akte", separators=(1, 4, 5)))
    parts = split(source, "application/pdf", ["PATCHT"], tmp_path)
    assert [_pages(p) for p in parts] == [
        ["Akte Seite 2", "Akte Seite 3"],
        ["Akte Seite 6", "Akte Seite 7"],
    ]


def test_tiff_is_split_into_pdfs(tmp_path):
    source = tmp_path / "box.tif"
    source.write_bytes(tiff_bytes(6, separators=(3,)))
    parts = split(source, "image/tiff", ["PATCHT"], tmp_path)
    assert [len(pdfium.PdfDocument(str(p))) for p in parts] == [2, 3]


def test_the_separator_value_is_configurable(tmp_path):
    source = tmp_path / "box.pdf"
    source.write_bytes(pdf_bytes(3, "X", separators=(2,)))
    assert len(split(source, "application/pdf", ["TRENNBLATT"], tmp_path)) == 1
    assert len(split(source, "application/pdf", ["patcht"], tmp_path)) == 2


def test_only_pdf_and_tiff_can_be_split(tmp_path):
    source = tmp_path / "a.png"
    Image.new("L", (10, 10)).save(source)
    with pytest.raises(Rejection):
        split(source, "image/png", ["PATCHT"], tmp_path)
