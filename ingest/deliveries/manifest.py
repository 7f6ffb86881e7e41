"""Reading a delivery's manifest (CSV or JSON) one row at a time.

Contractors' tools write CSV in many dialects, so the reader is forgiving about the form and
strict about the content:

* encoding: UTF-8 (with or without BOM); a file that is not valid UTF-8 is read as
  Windows-1252 (Excel's "CSV" on German Windows), so umlauts survive either way;
* delimiter: ``;``, ``,`` or tab, whichever the header line uses most;
* quoted fields may contain delimiters and newlines (RFC 4180);
* header names in German or English, case, spaces, ``-`` and ``_`` ignored (:data:`COLUMNS`);
  columns it does not know are kept per row in ``extra`` (``{header: value}``), not dropped.

Rows are yielded as :class:`ManifestRow`; a row whose values cannot be read (a bad date, a
page count that is not a number, a malformed hash) still comes out, with ``error`` set, so
it gets its own rejection in the report instead of stopping the delivery. Only a manifest
that has no usable header at all is refused (:class:`ManifestError`).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

#: Field name → accepted header spellings (normalised: lower case, no space/-/_).
COLUMNS: dict[str, tuple[str, ...]] = {
    "external_id": (
        "externalid",
        "externeid",
        "id",
        "dokumentid",
        "documentid",
        "docid",
        "barcode",
        "belegnummer",
    ),
    "aktenzeichen": ("aktenzeichen", "az", "filereference", "casefile", "casefilereference"),
    "bg_nummer": ("bgnummer", "bgnr", "bg", "bgnumber", "bedarfsgemeinschaft"),
    "doc_type": ("dokumentart", "dokumenttyp", "doctype", "documenttype", "art", "type"),
    "title": ("titel", "title", "bezeichnung", "betreff"),
    "document_date": ("dokumentdatum", "belegdatum", "documentdate", "datum", "date"),
    "scan_date": ("scandatum", "erfassungsdatum", "scandate", "scannedat", "capturedate"),
    "page_count": ("seitenzahl", "seitenanzahl", "seiten", "pagecount", "pages"),
    "sha256": ("sha256", "prüfsumme", "pruefsumme", "hash", "checksum"),
    "filename": ("dateiname", "datei", "filename", "file", "path", "pfad"),
    "split": ("trennblatt", "trennung", "split", "separator"),
    "part": ("teil", "part", "teilnummer", "partnumber"),
    "box": ("karton", "kartonnummer", "kartonnr", "box", "boxnumber", "boxnr", "boxid"),
    "first_page": (
        "ersteseite",
        "startseite",
        "vonseite",
        "seitevon",
        "firstpage",
        "startpage",
        "pagefrom",
    ),
    "last_page": (
        "letzteseite",
        "endseite",
        "bisseite",
        "seitebis",
        "lastpage",
        "endpage",
        "pageto",
    ),
    # a new Akte is created with these (only when the tenant creates Akten on import)
    "person_name": (
        "name",
        "personname",
        "person",
        "kundenname",
        "leistungsberechtigter",
        "antragsteller",
    ),
    "case_subject": ("aktenbetreff", "casesubject", "aktebetreff", "aktentitel"),
}
MAX_EXTRA = 50  # unknown columns kept per row; more are a manifest error of their own
_ALIASES = {alias: name for name, aliases in COLUMNS.items() for alias in aliases}
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
DELIMITERS = (";", ",", "\t")
MAX_FIELD = 10_000


class ManifestError(Exception):
    """The manifest as a whole cannot be read (no header, unknown format)."""


@dataclass
class ManifestRow:
    row_no: int
    external_id: str | None = None
    aktenzeichen: str | None = None
    bg_nummer: str | None = None
    doc_type: str | None = None
    title: str | None = None
    document_date: date | None = None
    scan_date: date | None = None
    page_count: int | None = None
    sha256: str | None = None
    filename: str | None = None
    split: str | None = None
    part: int | None = None
    box: str | None = None
    first_page: int | None = None
    last_page: int | None = None
    #: Columns akte does not know, ``{header as written: value}``, kept as metadata.
    extra: dict[str, str] | None = None
    person_name: str | None = None
    case_subject: str | None = None
    error: str | None = None
    error_code: str | None = None


def normalize_header(name: str) -> str:
    return re.sub(r"[\s\-_.]+", "", name.strip().strip("\ufeff").lower())


def parse_date(value: str) -> date:
    """ISO ``2024-03-01``, German ``01.03.2024`` or an ISO date-time."""
    value = value.strip()
    for fmt in ("%Y-%m-%d", "%d.%m.%Y", "%d.%m.%y"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    try:
        return datetime.fromisoformat(value).date()
    except ValueError:
        raise ValueError(f"not a date: {value!r} (use 2024-03-01 or 01.03.2024)") from None


def build_row(row_no: int, values: dict[str, Any]) -> ManifestRow:
    """A row from ``{field: raw value}``; conversion problems land in ``error``."""
    row = ManifestRow(row_no=row_no)
    problems: list[str] = []
    for name, raw in values.items():
        if raw is None:
            continue
        text = str(raw).strip()
        if not text:
            continue
        try:
            if name in ("document_date", "scan_date"):
                setattr(row, name, parse_date(text))
            elif name in ("page_count", "part", "first_page", "last_page"):
                number = int(text)
                if number < 1:
                    raise ValueError(f"{name} must be at least 1, got {number}")
                setattr(row, name, number)
            elif name == "sha256":
                digest = text.lower().removeprefix("sha256:")
                if not _SHA256.match(digest):
                    raise ValueError(f"not a SHA-256 hex digest: {text[:80]!r}")
                row.sha256 = digest
            else:
                setattr(row, name, text[:300])
        except ValueError as exc:
            problems.append(str(exc))
    if row.external_id is None:
        problems.append("the row has no external id")
    elif len(row.external_id) > 200:
        problems.append("the external id is longer than 200 characters")
    if row.filename is None:
        problems.append("the row names no file")
    if (row.first_page is None) != (row.last_page is None):
        problems.append("a page range needs both the first and the last page")
    elif (
        row.first_page is not None and row.last_page is not None and row.last_page < row.first_page
    ):
        problems.append(f"the page range {row.first_page}-{row.last_page} runs backwards")
    if problems:
        row.error, row.error_code = "; ".join(problems), "invalid_row"
    return row


def detect_encoding(path: Path) -> str:
    """``utf-8-sig`` if the whole file decodes as UTF-8, else ``cp1252`` (streamed check)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as fh:
        try:
            while chunk := fh.read(1024 * 1024):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1252"
    return "utf-8-sig"


def _header_line(path: Path, encoding: str) -> str:
    with path.open(encoding=encoding, errors="replace", newline="") as fh:
        return fh.readline()


def sniff_delimiter(header: str) -> str:
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    if counts[best] == 0:
        raise ManifestError("the manifest's header line has no ';', ',' or tab delimiter")
    return best


def _map_header(names: list[str]) -> list[str | None]:
    mapped = [_ALIASES.get(normalize_header(n)) for n in names]
    if "external_id" not in mapped or "filename" not in mapped:
        raise ManifestError(
            "the manifest's header must name at least the external id (external_id/ID) and "
            f"the file (dateiname/file_name); found {names!r}"
        )
    return mapped


def iter_csv(path: Path) -> Iterator[ManifestRow]:
    encoding = detect_encoding(path)
    delimiter = sniff_delimiter(_header_line(path, encoding))
    csv.field_size_limit(MAX_FIELD * 10)
    with path.open(encoding=encoding, newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter, quotechar='"', strict=False)
        try:
            header = next(reader)
        except StopIteration:
            raise ManifestError("the manifest is empty") from None
        fields = _map_header(header)
        row_no = 0
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            row_no += 1
            values = {f: c for f, c in zip(fields, cells, strict=False) if f is not None}
            row = build_row(row_no, values)
            row.extra = _extra(
                (h, c) for h, f, c in zip(header, fields, cells, strict=False) if f is None
            )
            if len(cells) > len(header) and not row.error:
                row.error = (
                    f"the row has {len(cells)} fields but the header {len(header)}; "
                    "a delimiter inside a value must be quoted"
                )
                row.error_code = "invalid_row"
            yield row


def iter_json(path: Path) -> Iterator[ManifestRow]:
    """``{"documents": [ {...}, ... ]}`` or a bare list; keys as in the CSV header."""
    with path.open("rb") as fh:
        try:
            data = json.load(io.TextIOWrapper(fh, encoding="utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ManifestError(f"the JSON manifest cannot be read: {exc}") from None
    if isinstance(data, dict):
        data = data.get("documents", data.get("dokumente"))
    if not isinstance(data, list):
        raise ManifestError('a JSON manifest is a list or {"documents": [...]}')
    for row_no, entry in enumerate(data, start=1):
        if not isinstance(entry, dict):
            yield ManifestRow(row_no, error="the entry is not an object", error_code="invalid_row")
            continue
        values = {}
        unknown = []
        for key, value in entry.items():
            name = _ALIASES.get(normalize_header(str(key)))
            if name is not None:
                values[name] = value
            elif value is not None and not isinstance(value, dict | list):
                unknown.append((str(key), str(value)))
        row = build_row(row_no, values)
        row.extra = _extra(iter(unknown))
        yield row


def _extra(pairs: Iterator[tuple[str, str]]) -> dict[str, str] | None:
    """Unknown columns with a value, header and value trimmed (≤ 100 / 1,000 characters)."""
    kept: dict[str, str] = {}
    for header, value in pairs:
        name = header.strip().strip("\ufeff")[:100]
        text = value.strip()[:1000]
        if name and text and len(kept) < MAX_EXTRA:
            kept[name] = text
    return kept or None


def manifest_format(path: Path) -> str:
    with path.open("rb") as fh:
        head = fh.read(64).lstrip(b"\xef\xbb\xbf").lstrip()
    return "json" if head[:1] in (b"[", b"{") else "csv"


def iter_rows(path: Path) -> Iterator[ManifestRow]:
    """Rows of a CSV or JSON manifest (recognised by content)."""
    if manifest_format(path) == "json":
        return iter_json(path)
    return iter_csv(path)
