"""A box file (Karton) becomes its documents, or nothing at all.

A box is one multi-page PDF or TIFF that several manifest rows name. Which pages belong to
which row comes either from separator sheets between the documents (rows carry a part
number) or from page ranges in the manifest (rows carry first/last page; then the ranges
are authoritative and the separator sheets, if any, must fall between them).

The rule that keeps documents out of the wrong Akte: **the box is cut only when the pages
found and the manifest agree exactly**. Otherwise every row of the box still waiting is
rejected ``box_split_mismatch`` and no page of it is stored as a document:

* separators: the number of parts found differs from the number of parts the manifest
  lists (an unreadable or missing separator sheet merges two documents; a stray one
  splits a document), or the parts are not numbered 1…N;
* page ranges: a range overlaps another, runs beyond the last page, or leaves a gap that
  is not a separator sheet; or a separator sheet lies inside a range; or some rows of the
  box give ranges and others do not;
* either way: a row's page count (``Seitenzahl``) differs from its part's.

Each row records the box's layout (pages, separator sheets, parts found, blank pages) so the
report shows the operator what akte saw. When the box is cut, the box file itself is kept
in blob storage as the scan product the documents came from (``box_sha256``), and each
document's binding hash covers it: ``sha256(transfervermerk || box || document)``.

Blank pages are flagged, or removed from the documents when the Transfervermerk says
``"leerseiten": "entfernen"`` (``"blank_pages": "remove"``); a document that would lose
every page keeps them. Single files are checked for blank pages the same way.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from akte.documents import intake
from akte.documents.intake import ScannedFile
from ingest.deliveries import checks, repository, separators
from ingest.deliveries.checks import Rejection, reject
from ingest.deliveries.manifest import normalize_header
from ingest.deliveries.models import Delivery, DeliveryItem
from ingest.deliveries.separators import Page, ranges_text
from ingest.deliveries.transfervermerk import binding_hash

if TYPE_CHECKING:
    from ingest.deliveries.importer import Receiver

ImportOne = Callable[..., None]
BLANK_KEYS = ("leerseiten", "blankpages", "blankpage", "leerseite")
REMOVE_VALUES = ("entfernen", "entfernt", "remove", "removed", "drop")


class BoxMismatch(Exception):
    """The pages of the box and the manifest's rows do not agree."""


def binding(transfervermerk_sha256: str, box_sha256: str | None, document_sha256: str) -> str:
    """The document's binding hash; for a document cut from a box the box is bound too."""
    if box_sha256 is None:
        return binding_hash(transfervermerk_sha256, document_sha256)
    text = transfervermerk_sha256 + box_sha256 + document_sha256
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def blank_mode(delivery: Delivery) -> str:
    """``remove`` when the Transfervermerk asks for blank pages to be removed, else ``flag``."""
    original = (delivery.transfervermerk or {}).get("original") or {}
    for key, value in original.items():
        if normalize_header(str(key)) in BLANK_KEYS:
            return "remove" if str(value).strip().lower() in REMOVE_VALUES else "flag"
    return "flag"


def describe(name: str, pages: list[Page], parts: list[list[int]] | None) -> str:
    """One line for people: the box's pages, separator sheets, blank pages, parts found."""
    text = f"{name}: {len(pages)} page(s)"
    seps = [p for p in pages if p.separator]
    text += "; separator sheets: " + (
        ", ".join(f"{p.number} ({p.mark})" for p in seps) if seps else "none"
    )
    blanks = [p.number for p in pages if p.blank]
    if blanks:
        text += f"; blank: {ranges_text(blanks)}"
    if parts is not None:
        text += f"; {len(parts)} part(s) found: " + " | ".join(
            f"{n}: pages {ranges_text(run)}" for n, run in enumerate(parts, start=1)
        )
    return text


def _by_separators(rows: list[DeliveryItem], pages: list[Page]) -> dict[int, list[int]]:
    found = separators.runs(pages)
    numbers = sorted({r.part for r in rows if r.part is not None})
    if numbers != list(range(1, len(numbers) + 1)):
        raise BoxMismatch(f"the manifest's part numbers {numbers} are not 1 to {len(numbers)}")
    if len(found) != len(numbers):
        raise BoxMismatch(
            f"{len(found)} part(s) found between separator sheets, the manifest lists "
            f"{len(numbers)}"
        )
    return {n: run for n, run in enumerate(found, start=1)}


def _by_ranges(rows: list[DeliveryItem], pages: list[Page]) -> dict[int, list[int]]:
    if any(r.first_page is None or r.last_page is None for r in rows):
        raise BoxMismatch("some rows of the box give page ranges and others do not")
    total = len(pages)
    spans = sorted({(r.first_page, r.last_page) for r in rows if r.first_page and r.last_page})
    covered: set[int] = set()
    for first, last in spans:
        if last > total:
            raise BoxMismatch(f"the range {first}-{last} runs beyond the last page ({total})")
        inside = set(range(first, last + 1))
        if inside & covered:
            raise BoxMismatch(f"the range {first}-{last} overlaps another row's pages")
        seps = [p.number for p in pages if p.number in inside and p.separator]
        if seps:
            raise BoxMismatch(
                f"the range {first}-{last} contains separator sheet(s) {ranges_text(seps)}"
            )
        covered |= inside
    gaps = [p.number for p in pages if p.number not in covered and not p.separator]
    if gaps:
        raise BoxMismatch(f"page(s) {ranges_text(gaps)} belong to no row")
    return {first: list(range(first, last + 1)) for first, last in spans}


def plan(rows: list[DeliveryItem], pages: list[Page]) -> dict[int, list[int]]:
    """``{part: page numbers}`` for the rows of one box, or :class:`BoxMismatch`."""
    ranged = any(r.first_page is not None for r in rows)
    layout = _by_ranges(rows, pages) if ranged else _by_separators(rows, pages)
    for row in rows:
        run = layout.get(row.part or 0)
        if run is None:
            raise BoxMismatch(f"row {row.row_no} has no part in the box")
        if row.pages_claimed is not None and row.pages_claimed != len(run):
            raise BoxMismatch(
                f"row {row.row_no} ({row.external_id}) gives {row.pages_claimed} page(s), its "
                f"part has {len(run)} (pages {ranges_text(run)})"
            )
    return layout


def _reject_box(todo: list[DeliveryItem], message: str) -> None:
    for item in todo:
        reject(item, Rejection("box_split_mismatch", message))


def _blank_plan(run: list[int], pages: list[Page], mode: str) -> tuple[list[int], list[int]]:
    """``(pages to keep, blank pages)`` of one document."""
    blanks = [n for n in run if pages[n - 1].blank]
    kept = [n for n in run if n not in blanks] if mode == "remove" else run
    return (kept or run), blanks


def receive_box(
    rx: Receiver, items: list[DeliveryItem], path: Path, scanned: ScannedFile, import_one: ImportOne
) -> None:
    """Cut the box at ``path`` into the documents of ``items`` (see the module docstring)."""
    name = items[0].filename or "box"
    rows = repository.items_of_file(rx.session, rx.delivery.id, name)
    try:
        pages = separators.scan(path, scanned.mime_type, rx.separator_codes)
    except Rejection as rejection:
        for item in items:
            reject(item, rejection)
        return
    try:
        layout = plan(rows, pages)
    except BoxMismatch as exc:
        text = describe(name, pages, separators.runs(pages))
        for row in rows:
            row.box_layout = text
        _reject_box(items, f"{exc}; nothing of this box was imported ({text})")
        return
    text = describe(name, pages, [layout[k] for k in sorted(layout)])
    mode = blank_mode(rx.delivery)
    with path.open("rb") as fh:
        intake.store(rx.storage, fh, scanned)  # the scan product the documents came from
    with tempfile.TemporaryDirectory(dir=rx.work_dir) as tmp:
        for item in items:
            assert item.part is not None
            kept, blanks = _blank_plan(layout[item.part], pages, mode)
            item.box_layout, item.box_sha256 = text, scanned.sha256
            item.page_range = ranges_text(layout[item.part])
            _record_blanks(item, blanks, kept, mode)
            try:
                part_path = separators.write_part(
                    path, scanned.mime_type, kept, Path(tmp) / f"part-{item.part}.pdf"
                )
                part_scan = checks.inspect(part_path, max_bytes=rx.max_bytes)
            except Rejection as rejection:
                reject(item, rejection)
                continue
            import_one(rx, item, part_path, part_scan, part=item.part)


def _record_blanks(item: DeliveryItem, blanks: list[int], kept: list[int], mode: str) -> None:
    item.blank_pages = ranges_text(blanks) or None
    if blanks:
        item.blank_action = "removed" if any(n not in kept for n in blanks) else "flagged"


def receive_single(
    rx: Receiver, item: DeliveryItem, path: Path, scanned: ScannedFile, import_one: ImportOne
) -> None:
    """One file, one document: blank pages flagged, or removed (the file kept as scanned)."""
    if scanned.mime_type not in separators.SPLITTABLE:
        import_one(rx, item, path, scanned, part=0)
        return
    try:
        pages = separators.scan(path, scanned.mime_type, ())
    except Rejection:
        import_one(rx, item, path, scanned, part=0)  # the checks there name the damage
        return
    everything = [p.number for p in pages]
    try:
        checks.check_pages(item.pages_claimed, len(everything))
    except Rejection as rejection:
        reject(item, rejection)
        return
    mode = blank_mode(rx.delivery)
    kept, blanks = _blank_plan(everything, pages, mode)
    _record_blanks(item, blanks, kept, mode)
    if kept == everything:
        import_one(rx, item, path, scanned, part=0)
        return
    with path.open("rb") as fh:
        intake.store(rx.storage, fh, scanned)
    item.box_sha256 = scanned.sha256
    item.page_range = ranges_text(kept)
    with tempfile.TemporaryDirectory(dir=rx.work_dir) as tmp:
        try:
            cut = separators.write_part(path, scanned.mime_type, kept, Path(tmp) / "kept.pdf")
            cut_scan = checks.inspect(cut, max_bytes=rx.max_bytes)
        except Rejection as rejection:
            reject(item, rejection)
            return
        import_one(rx, item, cut, cut_scan, part=0)
