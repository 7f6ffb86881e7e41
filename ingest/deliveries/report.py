"""The delivery report operators act on: one row per manifest row (and per stray file).

Each row says where the paper is (box/Karton, box file, the pages in it), what akte found
(pages, blank pages, hashes), the outcome, the reason and **the fix**: what the contractor
or operator does next. The same rows are served as JSON (API, paginated; ``akte import
--report x.json``) and as CSV (API ``?format=csv``, ``akte import`` default): ``;``-separated,
UTF-8 with BOM, every cell neutralised against spreadsheet formulas
(:func:`akte.core.csvsafe.csv_safe`); unknown manifest columns are one JSON cell
``extra``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from akte.core.csvsafe import csv_safe

#: CSV columns, in the order an operator reads them.
COLUMNS = [
    "row_no",
    "external_id",
    "box",
    "filename",
    "part",
    "first_page",
    "last_page",
    "page_range",
    "blank_pages",
    "blank_action",
    "outcome",
    "reason_code",
    "reason",
    "fix",
    "aktenzeichen",
    "bg_nummer",
    "doc_type",
    "title",
    "document_date",
    "scan_date",
    "pages_claimed",
    "pages_actual",
    "sha256_claimed",
    "sha256_actual",
    "box_sha256",
    "document_sha256",
    "binding_sha256",
    "case_file_id",
    "document_id",
    "box_layout",
    "extra",
    "person_name",
    "case_subject",
    "corrected_by",
    "final_outcome",
    "final_reason_code",
]

FIXES: dict[str, str] = {
    "checksum_mismatch": "send the file again; if it is right, correct SHA256 in the manifest",
    "page_count_mismatch": "check the scan for missing or extra pages; rescan or correct "
    "Seitenzahl",
    "missing_file": "add the file to the delivery (or remove the row) and send a correction",
    "not_in_manifest": "add a manifest row for the file, or leave it out of the delivery",
    "duplicate_external_id": "give every document its own external id",
    "duplicate_file": "name each file in one row only (split boxes: use Trennblatt/Teil or "
    "page ranges)",
    "invalid_row": "correct the value named in the reason",
    "unsafe_path": "use a path relative to the manifest, without '..' or drive letters",
    "zip_bomb": "pack the delivery again with ordinary compression",
    "too_large": "split the file or ask the operator to raise the upload limit",
    "empty_file": "export the scan again (the file has no content)",
    "unsupported_type": "deliver PDF, TIFF, JPEG or PNG",
    "unreadable": "export the scan again; the file is damaged",
    "unknown_case_file": "correct the Aktenzeichen, or ask the jobcenter to create the Akte "
    "or allow import_creates_case_files",
    "case_file_conflict": "correct Aktenzeichen or BG-Nummer so both name the same Akte",
    "ambiguous_bg_nummer": "add the Aktenzeichen to the row",
    "missing_case_reference": "add the Aktenzeichen or BG-Nummer",
    "part_missing": "check the box's separator sheets and rescan the box",
    "box_split_mismatch": "take the box out (see box_layout for the pages akte found), "
    "check separator sheets or page ranges against the manifest, "
    "rescan or correct the manifest, and send the box again",
    "duplicate_content": "check the two rows: if it is one document, remove this row; if "
    "not, rescan the right sheets for this row",
    "already_imported": "nothing to do: the document is in akte already",
    "processing_failed": "the operator runs 'akte reprocess' after the cause is fixed",
    "concurrent_import": "send the file again",
    "ambiguous_aktenzeichen": "write the Aktenzeichen exactly as the Akte has it, or ask the "
    "jobcenter to merge the Akten (akte admin aktenzeichen-conflicts)",
}


def fix_for(reason_code: str | None) -> str | None:
    if not reason_code:
        return None
    return FIXES.get(reason_code, "see the reason")


def _cell(name: str, value: Any) -> str:
    if name == "extra" and value:
        return csv_safe(json.dumps(value, ensure_ascii=False, sort_keys=True))
    return csv_safe(value)


def csv_rows(rows: Iterable[dict[str, Any]]) -> Iterator[list[str]]:
    """The header, then each report row as neutralised CSV cells."""
    yield list(COLUMNS)
    for row in rows:
        row = {**row, "fix": fix_for(row.get("reason_code"))}
        yield [_cell(c, row.get(c)) for c in COLUMNS]


def json_row(row: dict[str, Any]) -> dict[str, Any]:
    """A report row for JSON: the columns, ``fix`` added, ids and dates as strings."""
    out = {c: row.get(c) for c in COLUMNS}
    out["fix"] = fix_for(row.get("reason_code"))
    return json.loads(json.dumps(out, default=str))
