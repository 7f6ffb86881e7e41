"""Manifest reading: the CSV dialects contractors' tools produce, and JSON."""

from __future__ import annotations

from datetime import date

import pytest

from ingest.deliveries.manifest import ManifestError, iter_rows

SHA = "a" * 64


def rows_of(tmp_path, data: bytes):
    path = tmp_path / "manifest.csv"
    path.write_bytes(data)
    return list(iter_rows(path))


@pytest.mark.parametrize("delimiter", [";", ",", "\t"])
def test_delimiter_is_sniffed(tmp_path, delimiter):
    text = delimiter.join(["ID", "Aktenzeichen", "Dateiname", "Seitenzahl"]) + "\r\n"
    text += delimiter.join(["D1", "AZ-1", "a.pdf", "2"]) + "\r\n"
    (row,) = rows_of(tmp_path, text.encode())
    assert (row.external_id, row.aktenzeichen, row.filename, row.page_count) == (
        "D1",
        "AZ-1",
        "a.pdf",
        2,
    )
    assert row.error is None


def test_bom_and_english_headers(tmp_path):
    data = (
        "\ufeffexternal_id,file_name,document_date,SHA-256,page_count\nD1,a.pdf,2024-03-01,{},3\n"
    )
    (row,) = rows_of(tmp_path, data.format(SHA).encode("utf-8"))
    assert row.external_id == "D1" and row.document_date == date(2024, 3, 1)
    assert row.sha256 == SHA and row.page_count == 3


def test_windows_1252_umlauts_survive(tmp_path):
    data = "ID;Dateiname;Titel;Dokumentart\nD1;a.pdf;Bescheid über Mietkosten;Nachweis Größe\n"
    (row,) = rows_of(tmp_path, data.encode("cp1252"))
    assert row.title == "Bescheid über Mietkosten" and row.doc_type == "Nachweis Größe"


def test_quoted_newlines_and_delimiters(tmp_path):
    data = 'ID;Dateiname;Titel\nD1;a.pdf;"Zeile eins\nZeile zwei; mit Semikolon"\nD2;b.pdf;x\n'
    rows = rows_of(tmp_path, data.encode())
    assert [r.external_id for r in rows] == ["D1", "D2"]
    assert rows[0].title == "Zeile eins\nZeile zwei; mit Semikolon"
    assert rows[1].row_no == 2


def test_bad_values_reject_only_their_row(tmp_path):
    data = f"ID;Dateiname;Dokumentdatum;Seitenzahl;SHA256\nD1;a.pdf;31.02.2024;2;{SHA}\n"
    data += "D2;b.pdf;01.02.2024;zwei;xyz\nD3;c.pdf;01.02.2024;1;\n;d.pdf;;;\n"
    rows = rows_of(tmp_path, data.encode())
    assert [r.error is None for r in rows] == [False, False, True, False]
    assert "not a date" in rows[0].error
    assert "SHA-256" in rows[1].error and "invalid literal" in rows[1].error
    assert "no external id" in rows[3].error


def test_wrong_delimiter_inside_row_is_reported(tmp_path):
    data = "ID;Dateiname;Titel\nD1;a.pdf;Titel;mit;Extra\n"
    (row,) = rows_of(tmp_path, data.encode())
    assert row.error_code == "invalid_row" and "quoted" in row.error


def test_manifest_without_usable_header_is_refused(tmp_path):
    with pytest.raises(ManifestError):
        rows_of(tmp_path, b"foo|bar\n1|2\n")
    with pytest.raises(ManifestError):
        rows_of(tmp_path, b"Titel;Datum\nx;y\n")


def test_json_manifest(tmp_path):
    path = tmp_path / "manifest.json"
    path.write_text(
        '{"documents": [{"externe_id": "D1", "Dateiname": "a.pdf", '
        '"Aktenzeichen": "AZ-1", "Seitenzahl": 2, "teil": 1, "trennblatt": "patch"}, 5]}'
    )
    first, second = iter_rows(path)
    assert (first.external_id, first.part, first.split, first.page_count) == ("D1", 1, "patch", 2)
    assert second.error_code == "invalid_row"
