"""The import step shared by the API and the CLI: one received file becomes documents.

:func:`receive` takes a file that is already on local disk (an upload spooled to disk, a
file in a delivery folder, an entry extracted from a ZIP) and the delivery item(s) it
belongs to: one item, or every item of a separator-split file. It runs the checks, finds
the Akte, stores the bytes and adds the document (through :mod:`akte.documents.intake`,
which queues ``ingest.process_document``) in the caller's transaction, together with the
item's outcome and the ledger row that forbids importing the same external id and hash a
second time. A refused file never raises: its items get ``rejected`` with a reason.

The caller commits. If the process dies before that, nothing but an orphan blob remains
(content-addressed, so re-running the import stores nothing twice).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from akte.audit import service as audit
from akte.auth.principal import Principal
from akte.core.database import utcnow
from akte.core.errors import Conflict
from akte.core.storage import BlobStore
from akte.documents import intake
from akte.documents.intake import ScannedFile
from akte.documents.models import DocumentSource
from akte.tenants.models import Tenant
from ingest.deliveries import boxes, caseref, checks, corrections, repository, separators
from ingest.deliveries.checks import Rejection, reject
from ingest.deliveries.models import Delivery, DeliveryItem, ImportedDocument, Outcome


@dataclass
class Receiver:
    """What every item of one delivery needs to be imported."""

    session: Session
    storage: BlobStore
    delivery: Delivery
    tenant: Tenant
    principal: Principal | None
    max_bytes: int
    work_dir: Path

    @property
    def separator_codes(self) -> list[str]:
        codes = (self.tenant.options or {}).get("import_separator_codes")
        return list(codes) if codes else list(separators.DEFAULT_CODES)


def receive(rx: Receiver, items: list[DeliveryItem], path: Path) -> None:
    """Import ``path`` for ``items`` (one, or all parts of a split file)."""
    try:
        scanned = checks.inspect(path, max_bytes=rx.max_bytes)
    except Rejection as rejection:
        for item in items:
            reject(item, rejection)
        return
    for item in items:
        item.sha256_actual, item.size = scanned.sha256, scanned.size
    try:
        for item in items:
            checks.check_checksum(item.sha256_claimed, scanned.sha256)
    except Rejection as rejection:
        for item in items:
            reject(item, rejection)
        return
    if items[0].part is None:
        boxes.receive_single(rx, items[0], path, scanned, _import_one)
        return
    boxes.receive_box(rx, items, path, scanned, _import_one)


def _document_filename(item: DeliveryItem) -> str:
    name = (item.filename or "dokument").rsplit("/", 1)[-1]
    if item.part is None:
        return name
    return f"{name.rsplit('.', 1)[0]}-{item.part}.pdf"


def _import_one(
    rx: Receiver, item: DeliveryItem, path: Path, scanned: ScannedFile, *, part: int
) -> None:
    session = rx.session
    item.document_sha256 = scanned.sha256
    try:
        item.pages_actual = checks.count_pages(path, scanned.mime_type)
        if item.box_sha256 is None:  # cut documents: boxes.plan checked the pages
            checks.check_pages(item.pages_claimed, item.pages_actual)
        assert item.external_id is not None and item.sha256_actual is not None
        ledger_key = (rx.tenant.id, item.external_id, item.sha256_actual, part)
        earlier = session.get(ImportedDocument, ledger_key)
        if earlier is not None:
            item.document_id = earlier.document_id
            if rx.delivery.corrects_id is not None:  # a correction: this row is done
                corrections.accept_from_ledger(
                    session,
                    item,
                    rx.delivery,
                    earlier.document_id,
                    item.sha256_actual,
                    earlier.delivery_id,
                )
                return
            raise Rejection(
                "already_imported",
                f"external id {item.external_id} with this content was imported before "
                f"(delivery {earlier.delivery_id})",
            )
        twin = repository.accepted_with_content(session, rx.delivery.id, scanned.sha256)
        if twin is not None and twin.id != item.id:
            raise Rejection(
                "duplicate_content",
                f"the same content was imported for row {twin.row_no} ({twin.external_id}) "
                "of this delivery",
            )
        case_file = caseref.resolve(
            session,
            rx.tenant,
            rx.principal,
            aktenzeichen=item.aktenzeichen,
            bg_nummer=item.bg_nummer,
            person_name=item.person_name,
            subject=item.case_subject,
        )
    except Rejection as rejection:
        reject(item, rejection)
        return
    with path.open("rb") as fh:
        intake.store(rx.storage, fh, scanned)
    document = intake.add_document(
        session,
        tenant_id=rx.tenant.id,
        case_file_id=case_file.id,
        scanned=scanned,
        filename=_document_filename(item),
        title=item.title,
        source=DocumentSource.scan_import,
        doc_type=item.doc_type,
        document_date=item.document_date,
        created_by_id=rx.principal.user_id if rx.principal else None,
    )
    try:
        with session.begin_nested():
            session.add(
                ImportedDocument(
                    tenant_id=rx.tenant.id,
                    external_id=item.external_id,
                    sha256=item.sha256_actual,
                    part=part,
                    delivery_id=rx.delivery.id,
                    document_id=document.id,
                    imported_at=utcnow(),
                )
            )
    except IntegrityError:
        # A concurrent upload of the same file won the race. Fail this transaction as a
        # whole (the winner's item and document stand); a retry is answered 200.
        raise Conflict(
            "the same file is being imported by a concurrent request; send it again",
            code="concurrent_import",
        ) from None
    item.outcome = Outcome.accepted
    item.reason_code = item.reason = None
    item.case_file_id = case_file.id
    item.document_id = document.id
    item.binding_sha256 = boxes.binding(
        rx.delivery.transfervermerk_sha256, item.box_sha256, scanned.sha256
    )
    item.updated_at = utcnow()
    audit.record(
        session,
        rx.principal,
        "delivery.import_document",
        object_type="document",
        object_id=document.id,
        tenant_id=rx.tenant.id,
        detail={
            "delivery_id": str(rx.delivery.id),
            "external_id": item.external_id,
            "sha256": scanned.sha256,
            "binding_sha256": item.binding_sha256,
        },
    )
