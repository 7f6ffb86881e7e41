"""Business rules of deliveries: who may drive them, creating, uploading, committing,
progress and the report.

Access: the importer service account creates and feeds deliveries of its own tenant; it
and the tenant's admins read their progress and reports. Nobody else sees them (404), and
an importer still cannot read or search documents (the document services admit
caseworkers and admins only). The operator's CLI acts without a principal.

Idempotency: creating a delivery with an external id that exists returns it when the
manifest is the same and is a conflict otherwise; a file re-sent for an accepted item is
answered with the item when the hash is the same and is a conflict when it differs.
"""

from __future__ import annotations

import hashlib
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import Select, insert, select, update
from sqlalchemy.orm import Session

from akte.audit import service as audit
from akte.auth.principal import Principal
from akte.core.database import utcnow
from akte.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from akte.core.storage import BlobStore
from akte.core.storage.base import hash_file
from akte.documents.models import Document
from akte.tenants.models import Tenant
from akte.users.models import Role
from ingest.deliveries import corrections, repository, transfervermerk
from ingest.deliveries.checks import FILE_CODES
from ingest.deliveries.importer import Receiver, receive
from ingest.deliveries.manifest import ManifestError, ManifestRow, iter_rows, manifest_format
from ingest.deliveries.models import Delivery, DeliveryItem, DeliveryStatus, Outcome
from ingest.deliveries.schemas import Progress
from ingest.deliveries.sources import EntryError, safe_name

READ_ROLES = repository.READ_ROLES
INSERT_BATCH = 1000
CHUNK = 1024 * 1024


def get_visible(session: Session, principal: Principal, delivery_id: uuid.UUID) -> Delivery:
    principal.require_role(*READ_ROLES)
    delivery = session.scalar(
        repository.readable_statement(principal).where(Delivery.id == delivery_id)
    )
    if delivery is None:
        raise NotFound("delivery not found")
    return delivery


def get_writable(session: Session, principal: Principal, delivery_id: uuid.UUID) -> Delivery:
    """The delivery, if the caller may feed it (the tenant's importer); 403 for a tenant
    admin who may only read it, 404 for anyone who may not see it."""
    principal.require_role(*READ_ROLES)
    delivery = session.scalar(
        repository.writable_statement(principal).where(Delivery.id == delivery_id)
    )
    if delivery is None:
        get_visible(session, principal, delivery_id)  # 404 unless the caller may read it
        raise Forbidden("only the importer feeds and commits a delivery")
    return delivery


def create(
    session: Session,
    storage: BlobStore,
    *,
    tenant: Tenant,
    external_id: str,
    manifest_path: Path,
    transfervermerk_bytes: bytes,
    transfervermerk_filename: str,
    principal: Principal | None,
    operator: str | None = None,
    corrects: str | None = None,
    signature_bytes: bytes | None = None,
) -> tuple[Delivery, bool]:
    """The delivery with every manifest row as an item; ``False`` if it existed already.

    ``corrects`` (else the Transfervermerk's ``corrects``) names the delivery this one
    corrects: see :mod:`ingest.deliveries.corrections`. ``signature_bytes`` is the
    Transfervermerk's detached signature, verified against the tenant's registered keys
    (required for protection level hoch and sehr hoch)."""
    if principal is not None:
        principal.require_role(Role.importer)
    external_id = external_id.strip()
    if not external_id or len(external_id) > 200:
        raise Unprocessable("the delivery id must have 1 to 200 characters")
    manifest_sha = hash_file(manifest_path).sha256
    existing = repository.by_external_id(session, tenant.id, external_id)
    if existing is not None:
        if existing.manifest_sha256 != manifest_sha:
            raise Conflict(
                f"delivery {external_id} exists with a different manifest",
                code="delivery_conflict",
            )
        return existing, False
    try:
        parsed = transfervermerk.parse(transfervermerk_bytes)
        key_id = transfervermerk.verify_signature(
            transfervermerk_bytes,
            parsed,
            signature_bytes,
            (tenant.options or {}).get(transfervermerk.KEYS_OPTION),
        )
    except transfervermerk.TransfervermerkError as exc:
        raise Unprocessable(str(exc), code=exc.code) from None
    if key_id is not None:
        assert signature_bytes is not None
        parsed["signature_verified"] = {
            "key_id": key_id,
            "sha256": storage.put_bytes(signature_bytes).sha256,
        }
    corrects = (corrects or str(parsed["fields"].get("corrects") or "")).strip() or None
    original = corrections.original(session, tenant, corrects) if corrects else None
    tv_info = storage.put_bytes(transfervermerk_bytes)
    delivery = Delivery(
        tenant_id=tenant.id,
        external_id=external_id,
        created_by_id=principal.user_id if principal else None,
        operator=operator,
        channel="api" if principal else "cli",
        status=DeliveryStatus.open,
        manifest_sha256=manifest_sha,
        manifest_format=manifest_format(manifest_path),
        transfervermerk_sha256=tv_info.sha256,
        transfervermerk_filename=transfervermerk_filename[:300],
        transfervermerk=parsed,
        corrects_id=original.id if original else None,
    )
    session.add(delivery)
    session.flush()
    try:
        delivery.item_count = _load_items(session, delivery.id, iter_rows(manifest_path))
    except ManifestError as exc:
        raise Unprocessable(str(exc), code="invalid_manifest") from None
    if original is not None:
        corrections.link(session, delivery, original)
    audit.record(
        session,
        principal,
        "delivery.create",
        object_type="delivery",
        object_id=delivery.id,
        tenant_id=tenant.id,
        detail={
            "external_id": external_id,
            "items": delivery.item_count,
            "manifest_sha256": manifest_sha,
            "transfervermerk_sha256": tv_info.sha256,
            "corrects": corrects,
        },
    )
    return delivery, True


def _item_values(delivery_id: uuid.UUID | None, row: ManifestRow) -> dict[str, Any]:
    return {
        "delivery_id": delivery_id,
        "key": row.external_id or f"#row{row.row_no}",
        "row_no": row.row_no,
        "external_id": row.external_id,
        "filename": row.filename,
        "part": row.part if (row.split or row.part) else row.first_page,
        "aktenzeichen": (row.aktenzeichen or "")[:64] or None,
        "bg_nummer": (row.bg_nummer or "")[:64] or None,
        "doc_type": (row.doc_type or "")[:100] or None,
        "title": row.title,
        "document_date": row.document_date,
        "scan_date": row.scan_date,
        "sha256_claimed": row.sha256,
        "pages_claimed": row.page_count,
        "outcome": Outcome.pending.value,
        "reason_code": None,
        "reason": None,
        "updated_at": utcnow(),
        "box": (row.box or "")[:100] or None,
        "first_page": row.first_page,
        "last_page": row.last_page,
        "extra": row.extra,
        "person_name": (row.person_name or "")[:200] or None,
        "case_subject": (row.case_subject or "")[:500] or None,
    }


def classify(
    delivery_id: uuid.UUID | None, rows: Iterator[ManifestRow]
) -> Iterator[tuple[ManifestRow, dict[str, Any], tuple[str, str] | None]]:
    """Each row with its item values and the problem that rejects it before any file is
    seen (unreadable value, unsafe path, duplicate id or file), or ``None``."""
    seen_ids: dict[str, int] = {}
    seen_files: dict[str, tuple[int, bool]] = {}
    for row in rows:
        values = _item_values(delivery_id, row)
        problem: tuple[str, str] | None = None
        if row.error:
            problem = (row.error_code or "invalid_row", row.error)
        else:
            assert row.external_id and row.filename
            try:
                values["filename"] = safe_name(row.filename)
            except EntryError as exc:
                problem = (exc.code, exc.message)
        if row.external_id and row.external_id in seen_ids:
            values["key"] = f"#row{row.row_no}"
            problem = (
                "duplicate_external_id",
                f"external id {row.external_id} is used by row {seen_ids[row.external_id]}",
            )
        elif problem is None and row.split and row.part is None and row.first_page is None:
            problem = (
                "invalid_row",
                "a row of a separator-split file needs a part number or a page range",
            )
        if problem is None:
            split = values["part"] is not None
            earlier = seen_files.get(values["filename"])
            if earlier is not None and (not split or not earlier[1]):
                problem = (
                    "duplicate_file",
                    f"the file {row.filename} is named by row {earlier[0]} already",
                )
            else:
                seen_files.setdefault(values["filename"], (row.row_no, split))
        if row.external_id and row.external_id not in seen_ids:
            seen_ids[row.external_id] = row.row_no
        yield row, values, problem


def _load_items(session: Session, delivery_id: uuid.UUID, rows: Iterator[ManifestRow]) -> int:
    """Insert the rows in batches; rows that cannot be imported are rejected right away."""
    batch: list[dict[str, Any]] = []
    count = 0
    for _row, values, problem in classify(delivery_id, rows):
        if problem is not None:
            values.update(outcome=Outcome.rejected.value, reason_code=problem[0], reason=problem[1])
        batch.append(values)
        count += 1
        if len(batch) >= INSERT_BATCH:
            session.execute(insert(DeliveryItem), batch)
            batch = []
    if batch:
        session.execute(insert(DeliveryItem), batch)
    if count == 0:
        raise ManifestError("the manifest lists no documents")
    return count


def spool(fileobj: BinaryIO, work_dir: Path) -> tuple[Path, str]:
    """Copy an upload to a file on disk in chunks, hashing it; never whole in memory."""
    work_dir.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    fd, name = tempfile.mkstemp(dir=work_dir, suffix=".upload")
    with open(fd, "wb") as out:
        fileobj.seek(0)
        while chunk := fileobj.read(CHUNK):
            digest.update(chunk)
            out.write(chunk)
    return Path(name), digest.hexdigest()


def upload(
    session: Session,
    storage: BlobStore,
    principal: Principal,
    delivery_id: uuid.UUID,
    external_id: str,
    *,
    fileobj: BinaryIO,
    max_bytes: int,
    work_dir: Path,
) -> tuple[DeliveryItem, bool]:
    """Receive the file of one manifest row; ``False`` when it had been received already.

    Raises ``Conflict`` for a different file under an accepted external id or a committed
    delivery, ``NotFound`` for an external id the manifest does not list, and
    ``Unprocessable`` when the row itself was rejected (e.g. a duplicate external id).
    File-level rejections (checksum, pages, type) are returned as the item's outcome: a
    corrected file may be sent again.
    """
    delivery = get_writable(session, principal, delivery_id)
    item = uploadable_item(session, delivery, external_id)
    path, sha = spool(fileobj, work_dir)
    try:
        return receive_file(
            session,
            storage,
            principal,
            delivery,
            item,
            path,
            sha,
            max_bytes=max_bytes,
            work_dir=work_dir,
        )
    finally:
        path.unlink(missing_ok=True)


def uploadable_item(session: Session, delivery: Delivery, external_id: str) -> DeliveryItem:
    """The row ``external_id`` names, locked for this transaction; 404 if not listed."""
    item = repository.item_by_key(session, delivery.id, external_id, for_update=True)
    if item is None:
        raise NotFound(f"the manifest lists no external id {external_id}", code="not_in_manifest")
    return item


def receive_file(
    session: Session,
    storage: BlobStore,
    principal: Principal,
    delivery: Delivery,
    item: DeliveryItem,
    path: Path,
    sha: str,
    *,
    max_bytes: int,
    work_dir: Path,
) -> tuple[DeliveryItem, bool]:
    """Import the complete file at ``path`` (hash ``sha``) for ``item``: see :func:`upload`."""
    group = (
        [item]
        if item.part is None
        else repository.items_of_file(session, delivery.id, item.filename or "")
    )
    received = [i for i in group if i.outcome == Outcome.accepted and i.sha256_actual]
    if item.outcome == Outcome.accepted or received:
        known = (item if item.outcome == Outcome.accepted else received[0]).sha256_actual
        if known == sha:
            return item, False
        raise Conflict(
            f"external id {item.key} was received with SHA-256 {known}; this file has {sha}",
            code="hash_conflict",
        )
    if delivery.status != DeliveryStatus.open:
        raise Conflict("the delivery is committed; no more files", code="delivery_committed")
    if item.outcome == Outcome.rejected and item.reason_code not in FILE_CODES:
        raise Unprocessable(item.reason or "row rejected", code=item.reason_code or "rejected")
    todo = [i for i in group if i.outcome == Outcome.pending or i.reason_code in FILE_CODES]
    tenant = session.get(Tenant, delivery.tenant_id)
    assert tenant is not None
    rx = Receiver(session, storage, delivery, tenant, principal, max_bytes, work_dir)
    receive(rx, todo, path)
    return item, True


def commit(session: Session, principal: Principal | None, delivery: Delivery) -> Delivery:
    """No more files: rows still waiting for theirs are rejected as ``missing_file``."""
    if principal is not None:
        principal.require_role(Role.importer)
    if delivery.status != DeliveryStatus.open:
        return delivery
    session.execute(
        update(DeliveryItem)
        .where(DeliveryItem.delivery_id == delivery.id, DeliveryItem.outcome == Outcome.pending)
        .values(
            outcome=Outcome.rejected.value,
            reason_code="missing_file",
            reason="the manifest names this file but the delivery did not contain it",
            updated_at=utcnow(),
        )
    )
    delivery.status = DeliveryStatus.committed
    delivery.committed_at = utcnow()
    session.flush()
    audit.record(
        session,
        principal,
        "delivery.commit",
        object_type="delivery",
        object_id=delivery.id,
        tenant_id=delivery.tenant_id,
    )
    progress(session, delivery)
    return delivery


def progress(session: Session, delivery: Delivery) -> Progress:
    """Counts from the items and their documents' processing status; marks ``done``."""
    counts = Progress()
    for outcome, doc_status, n in repository.outcome_counts(session, delivery.id):
        counts.total += n
        if outcome == Outcome.pending:
            counts.pending += n
        elif outcome == Outcome.rejected:
            counts.rejected += n
        else:
            counts.received += n
            if doc_status == "ready":
                counts.processed += n
            elif doc_status == "failed":
                counts.failed += n
            else:
                counts.processing += n
    if delivery.status != DeliveryStatus.open:
        settled = counts.pending == 0 and counts.processing == 0
        wanted = DeliveryStatus.done if settled else DeliveryStatus.processing
        if delivery.status != wanted:
            delivery.status = wanted
            delivery.finished_at = utcnow() if settled else None
            session.flush()
    return counts


def report_outcome(row: Any) -> tuple[str, str | None, str | None]:
    """An item's outcome as the report shows it (processing results folded in)."""
    if row.outcome == Outcome.accepted:
        if row.document_status == "ready":
            if row.reason_code == corrections.ALREADY:
                return Outcome.processed.value, row.reason_code, row.reason
            return Outcome.processed.value, None, None
        if row.document_status == "failed":
            return Outcome.failed.value, "processing_failed", row.document_status_reason
    return row.outcome, row.reason_code, row.reason


def iter_report(session: Session, delivery_id: uuid.UUID) -> Iterator[dict[str, Any]]:
    """Every item as a report row, read in keyset batches. For a delivery that was
    corrected, each row also shows its final state (``corrected_by``, ``final_*``)."""
    corrected = bool(corrections.corrected_by(session, delivery_id))
    last = 0
    while True:
        rows = repository.report_batch(session, delivery_id, last)
        if not rows:
            return
        finals = corrections.final_states(session, [row.id for row in rows]) if corrected else {}
        for row in rows:
            last = row.id
            data = dict(row._mapping)
            data["outcome"], data["reason_code"], data["reason"] = report_outcome(row)
            own = {"final_outcome": data["outcome"], "final_reason_code": data["reason_code"]}
            data.update({"corrected_by": None, "final_outcome": None, "final_reason_code": None})
            data.update(finals.get(row.id) or (own if corrected else {}))
            yield data


def add_final_states(
    session: Session, delivery_id: uuid.UUID, items: list[DeliveryItem], reads: list[Any]
) -> None:
    """Fill ``corrected_by``/``final_*`` of report rows (``reads``, same order as
    ``items``, outcomes already folded) when the delivery was corrected."""
    if not corrections.corrected_by(session, delivery_id):
        return
    finals = corrections.final_states(session, [item.id for item in items])
    for item, read in zip(items, reads, strict=True):
        final = finals.get(item.id)
        if final is None:
            read.final_outcome, read.final_reason_code = read.outcome, read.reason_code
        else:
            read.corrected_by = final["corrected_by"]
            read.final_outcome = final["final_outcome"]
            read.final_reason_code = final["final_reason_code"]


def report_page(delivery_id: uuid.UUID) -> Select[tuple[DeliveryItem]]:
    """Items of a delivery in manifest order, for a paginated JSON report."""
    return (
        select(DeliveryItem)
        .where(DeliveryItem.delivery_id == delivery_id)
        .order_by(DeliveryItem.id)
    )


def fold_outcomes(session: Session, rows: list[Any]) -> None:
    """Replace ``accepted`` by the document's processing result (processed/failed)."""
    ids = [r.document_id for r in rows if r.outcome == Outcome.accepted and r.document_id]
    if not ids:
        return
    states = {
        doc_id: (st, reason)
        for doc_id, st, reason in session.execute(
            select(Document.id, Document.status, Document.status_reason).where(Document.id.in_(ids))
        )
    }
    for row in rows:
        if row.outcome == Outcome.accepted and row.document_id in states:
            st, reason = states[row.document_id]
            if st == "ready":
                row.outcome = Outcome.processed.value
            elif st == "failed":
                row.outcome, row.reason_code, row.reason = (
                    Outcome.failed.value,
                    "processing_failed",
                    reason,
                )
