"""The operator's import of a delivery folder or ZIP on the server (``akte import``).

The run is resumable by construction:

1. The delivery is found by its external id (``--delivery-id``, else the Transfervermerk's
   delivery id, else ``manifest-<sha256 of the manifest>``) or created with all manifest
   rows as items in one transaction.
2. Files the manifest does not name, and unsafe ZIP entries, are recorded as rejected.
3. Pending items are taken in id order in small batches; each file is checked, stored and
   turned into its document(s) in its own transaction. A run killed at any point leaves
   every item either done (committed) or pending (untouched), so the next run continues
   where this one stopped, and the ledger forbids a second import of the same document.
4. The delivery is committed and the report is written (CSV, or JSON for ``*.json``).

Memory stays flat: the manifest is read row by row, items are fetched in batches of
:data:`repository.BATCH`, one file at a time is on local disk.
"""

from __future__ import annotations

import csv
import getpass
import json
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from akte.core.context import AppContext
from akte.core.database import session_scope
from akte.core.errors import AkteError
from akte.tenants import service as tenants
from akte.tenants.models import Tenant
from ingest.deliveries import report, repository, service
from ingest.deliveries.checks import Rejection, reject
from ingest.deliveries.importer import Receiver, receive
from ingest.deliveries.models import Delivery, DeliveryItem, Outcome
from ingest.deliveries.schemas import Progress
from ingest.deliveries.sources import (
    MANIFEST_NAMES,
    TRANSFERVERMERK_NAMES,
    EntryError,
    Limits,
    Source,
    SourceError,
    find_control_file,
    open_source,
)

Tick = Callable[[int, int], None]


class ImportFailed(Exception):
    """The delivery cannot be imported at all (no manifest, a ZIP bomb, a conflict)."""


@dataclass
class Result:
    delivery_id: uuid.UUID
    external_id: str
    progress: Progress
    report_path: Path


def run(
    ctx: AppContext,
    path: Path,
    tenant_slug: str,
    *,
    delivery_external_id: str | None = None,
    report_path: Path | None = None,
    limits: Limits | None = None,
    tick: Tick | None = None,
) -> Result:
    limits = limits or Limits(max_file_bytes=ctx.settings.max_upload_bytes)
    try:
        source = open_source(path, limits)
    except SourceError as exc:
        raise ImportFailed(str(exc)) from None
    work_root = ctx.settings.data_dir / "tmp"
    work_root.mkdir(parents=True, exist_ok=True)
    try:
        with tempfile.TemporaryDirectory(dir=work_root) as tmp:
            work_dir = Path(tmp)
            delivery_id = _open_delivery(ctx, source, tenant_slug, delivery_external_id, work_dir)
            _record_strays(ctx, source, delivery_id)
            _import_pending(ctx, source, delivery_id, work_dir, tick)
    except SourceError as exc:
        raise ImportFailed(str(exc)) from None
    finally:
        source.close()
    with session_scope(ctx.session_factory) as session:
        delivery = session.get(Delivery, delivery_id)
        assert delivery is not None
        service.commit(session, None, delivery)
        counts = service.progress(session, delivery)
        external_id = delivery.external_id
    target = report_path or Path.cwd() / f"lieferung-{_safe(external_id)}-bericht.csv"
    write_report(ctx, delivery_id, target)
    return Result(delivery_id, external_id, counts, target)


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text)[:80]


def _open_delivery(
    ctx: AppContext, source: Source, tenant_slug: str, external_id: str | None, work_dir: Path
) -> uuid.UUID:
    manifest_name = find_control_file(source, MANIFEST_NAMES)
    tv_name = find_control_file(source, TRANSFERVERMERK_NAMES)
    if manifest_name is None:
        raise ImportFailed("the delivery has no manifest (" + ", ".join(MANIFEST_NAMES) + ")")
    if tv_name is None:
        raise ImportFailed(
            "the delivery has no Transfervermerk (" + ", ".join(TRANSFERVERMERK_NAMES) + ")"
        )
    source.prefix = manifest_name.rpartition("/")[0] + "/" if "/" in manifest_name else ""
    manifest_path = work_dir / "manifest"
    try:
        with source.open_local(manifest_name.removeprefix(source.prefix), work_dir) as local:
            manifest_path.write_bytes(b"")
            with local.open("rb") as src, manifest_path.open("wb") as dst:
                while chunk := src.read(1024 * 1024):
                    dst.write(chunk)
        with source.open_local(tv_name.removeprefix(source.prefix), work_dir) as local:
            tv_bytes = local.read_bytes()
        signature = _signature(source, work_dir)
    except EntryError as exc:
        raise ImportFailed(exc.message) from None
    from ingest.deliveries import transfervermerk

    if external_id is None:
        try:
            external_id = str(transfervermerk.parse(tv_bytes)["fields"].get("delivery_id") or "")
        except transfervermerk.TransfervermerkError as exc:
            raise ImportFailed(str(exc)) from None
        if not external_id:
            from akte.core.storage.base import hash_file

            external_id = f"manifest-{hash_file(manifest_path).sha256}"
    with session_scope(ctx.session_factory) as session:
        try:
            tenant = tenants.by_slug(session, tenant_slug)
            delivery, _ = service.create(
                session,
                ctx.storage,
                tenant=tenant,
                external_id=external_id,
                manifest_path=manifest_path,
                transfervermerk_bytes=tv_bytes,
                transfervermerk_filename=tv_name.rsplit("/", 1)[-1],
                principal=None,
                operator=_operator(),
                signature_bytes=signature,
            )
        except AkteError as exc:
            raise ImportFailed(exc.detail) from None
        return delivery.id


def _signature(source: Source, work_dir: Path) -> bytes | None:
    """The Transfervermerk's detached signature file, if the delivery has one."""
    from ingest.deliveries.transfervermerk import SIGNATURE_NAMES

    name = find_control_file(source, SIGNATURE_NAMES)
    if name is None:
        return None
    with source.open_local(name.removeprefix(source.prefix), work_dir) as local:
        return local.read_bytes()[:4096]


def _operator() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _record_strays(ctx: AppContext, source: Source, delivery_id: uuid.UUID) -> None:
    """Reject files the manifest does not name and ZIP entries with unsafe paths."""
    with session_scope(ctx.session_factory) as session:
        named = set(repository.iter_filenames(session, delivery_id))
        known = repository.keys_with_prefix(session, delivery_id, "#file:")
        from ingest.deliveries.transfervermerk import SIGNATURE_NAMES

        control = {n.lower() for n in MANIFEST_NAMES + TRANSFERVERMERK_NAMES + SIGNATURE_NAMES}
        strays: list[tuple[str, str, str]] = [
            (name, "unsafe_path", message) for name, message in source.unsafe_names()
        ]
        for name in source.names():
            if name not in named and name.lower() not in control:
                strays.append((name, "not_in_manifest", "the manifest does not name this file"))
        strays.extend(
            ("/" + name, "not_in_manifest", "the file lies outside the manifest's folder")
            for name in source.outside_names()
        )
        for name, code, message in strays:
            key = f"#file:{name}"[:320]
            if key in known:
                continue
            known.add(key)
            session.add(
                DeliveryItem(
                    delivery_id=delivery_id,
                    key=key,
                    filename=name[:500],
                    outcome=Outcome.rejected,
                    reason_code=code,
                    reason=message,
                )
            )


def _import_pending(
    ctx: AppContext, source: Source, delivery_id: uuid.UUID, work_dir: Path, tick: Tick | None
) -> None:
    with session_scope(ctx.session_factory) as session:
        counts = service.progress(session, session.get(Delivery, delivery_id))
        total, done = counts.total, counts.total - counts.pending
    last = 0
    while True:
        with session_scope(ctx.session_factory) as session:
            batch = repository.pending_ids(session, delivery_id, last)
        if not batch:
            return
        for item_id, filename, part in batch:
            last = item_id
            done += _import_item(ctx, source, delivery_id, item_id, filename, part, work_dir)
            if tick:
                tick(done, total)


def _import_item(
    ctx: AppContext,
    source: Source,
    delivery_id: uuid.UUID,
    item_id: int,
    filename: str | None,
    part: int | None,
    work_dir: Path,
) -> int:
    """Import one file (one item, or every pending part of a split file) in one transaction."""
    with session_scope(ctx.session_factory) as session:
        item = session.get(DeliveryItem, item_id)
        if item is None or item.outcome != Outcome.pending:
            return 0
        items = (
            [item]
            if part is None
            else [
                i
                for i in repository.items_of_file(session, delivery_id, filename or "")
                if i.outcome == Outcome.pending
            ]
        )
        delivery = session.get(Delivery, delivery_id)
        tenant = session.get(Tenant, delivery.tenant_id) if delivery else None
        assert delivery is not None and tenant is not None
        try:
            with source.open_local(filename or "", work_dir) as local:
                rx = Receiver(
                    session,
                    ctx.storage,
                    delivery,
                    tenant,
                    None,
                    ctx.settings.max_upload_bytes,
                    work_dir,
                )
                receive(rx, items, local)
        except EntryError as exc:
            for i in items:
                reject(i, Rejection(exc.code, exc.message))
        return len(items)


def write_report(ctx: AppContext, delivery_id: uuid.UUID, target: Path) -> None:
    """The report as JSON when ``target`` ends in ``.json``, else as CSV (``;``, UTF-8 with
    BOM so spreadsheet programs show umlauts). Rows are streamed, never held at once."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with session_scope(ctx.session_factory) as session:
        rows = service.iter_report(session, delivery_id)
        if target.suffix.lower() == ".json":
            with target.open("w", encoding="utf-8") as fh:
                fh.write('{"delivery_id": ' + json.dumps(str(delivery_id)) + ', "items": [')
                for n, row in enumerate(rows):
                    fh.write(
                        ("," if n else "")
                        + "\n"
                        + json.dumps(report.json_row(row), ensure_ascii=False)
                    )
                fh.write("\n]}\n")
            return
        with target.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh, delimiter=";")
            for cells in report.csv_rows(rows):
                writer.writerow(cells)
