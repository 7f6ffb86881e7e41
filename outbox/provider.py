"""What the print provider may do: list, read, download and acknowledge batches of the
tenants it serves, and report each letter's status.

A provider (role ``print_provider``) serves its own tenant plus tenants assigned to it
(``outbox_provider_tenants``). A batch or letter of any other tenant does not exist for it
(404); case data (Akten, documents, search) is refused by those modules (403).

Every call is idempotent: downloads can be repeated and resumed, a repeated ``ack`` returns
the same state, a repeated status report is a no-op (see :mod:`outbox.lifecycle`).
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import BinaryIO

from sqlalchemy import Select, exists, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from akte.audit import service as audit
from akte.auth.principal import Principal
from akte.core.database import utcnow
from akte.core.errors import Conflict, NotFound, ServiceUnavailable, Unprocessable
from akte.core.storage import BlobStore
from akte.documents import intake
from akte.documents.models import DocumentSource
from akte.users.models import Role
from outbox import batching, feedback, lifecycle, manifest, repository
from outbox import settings as outbox_settings
from outbox.calendar import legal_delivery_date
from outbox.models import (
    Batch,
    BatchDownload,
    BatchItem,
    BatchStatus,
    Letter,
    LetterEvent,
    LetterStatus,
    Product,
)
from outbox.schemas import BatchDetail, BatchRead, ManifestEntry, StatusReport


def batch_status(batch: Batch) -> str:
    if batch.status == BatchStatus.handed_over:
        return "handed_over"
    if batch.first_report_at is not None:
        return "awaiting_ack"  # letters were reported on: the provider holds it
    if batch.offer_expires_at is not None and batch.offer_expires_at > utcnow():
        return "awaiting_ack"
    return "ready"


def to_read(batch: Batch) -> BatchRead:
    return BatchRead(
        id=batch.id,
        tenant_id=batch.tenant_id,
        product=batch.product,
        status=batch_status(batch),
        letter_count=batch.letter_count,
        sheet_count=batch.sheet_count,
        zip_sha256=batch.zip_sha256,
        zip_size=batch.zip_size,
        sealed_at=batch.sealed_at,
        offer_expires_at=batch.offer_expires_at,
        download_count=batch.download_count,
        acknowledged_at=batch.acknowledged_at,
    )


def list_query(session: Session, principal: Principal, status: str | None) -> Select:
    principal.require_role(Role.print_provider)
    return repository.batches_query(principal, status, utcnow())


def get_batch(session: Session, principal: Principal, batch_id: uuid.UUID) -> Batch:
    principal.require_role(Role.print_provider)
    batch = session.scalar(
        repository.provider_batch_statement(principal).where(Batch.id == batch_id)
    )
    if batch is None:
        raise NotFound("batch not found")
    return batch


def detail(session: Session, principal: Principal, batch_id: uuid.UUID) -> BatchDetail:
    batch = get_batch(session, principal, batch_id)
    rows = session.execute(
        select(BatchItem.position, Letter)
        .join(Letter, Letter.id == BatchItem.letter_id)
        .where(BatchItem.batch_id == batch.id)
        .order_by(BatchItem.position)
    ).all()
    audit.record(
        session,
        principal,
        "outbox.batch.read",
        object_type="batch",
        object_id=batch.id,
        tenant_id=batch.tenant_id,
    )
    sender = batching.sender_of(session, batch.tenant_id)
    return BatchDetail(
        **to_read(batch).model_dump(),
        letters=[
            ManifestEntry.model_validate(
                manifest.entry(position, f"letters/{position:05d}_{letter.id}.pdf", letter, sender)
            )
            for position, letter in rows
        ],
    )


def start_download(
    session: Session,
    storage: BlobStore,
    principal: Principal,
    batch_id: uuid.UUID,
    requested_range: str | None = None,
) -> Batch:
    """A fetch of a ready batch starts (or restarts) its acknowledgement timeout and is
    recorded (``outbox_batch_downloads``): an ``ack`` for a batch never fetched is refused."""
    batch = get_batch(session, principal, batch_id)
    if batch.zip_sha256 is None or storage.stat(batch.zip_sha256) is None:
        raise ServiceUnavailable("the batch file is missing; an administrator must run akte fsck")
    if batch.status == BatchStatus.ready:
        rules = outbox_settings.get(session, batch.tenant_id)
        batch.offer_expires_at = utcnow() + timedelta(seconds=rules.ack_timeout_seconds)
    batch.download_count += 1
    session.add(
        BatchDownload(
            batch_id=batch.id,
            provider_id=principal.user_id,
            requested_range=(requested_range or None) and requested_range[:100],
        )
    )
    audit.record(
        session,
        principal,
        "outbox.batch.download",
        object_type="batch",
        object_id=batch.id,
        tenant_id=batch.tenant_id,
    )
    session.flush()
    return batch


def acknowledge(
    session: Session, principal: Principal, batch_id: uuid.UUID, zip_sha256: str | None
) -> Batch:
    """Receipt of a batch: only after it was downloaded, and only with the SHA-256 of the
    ZIP the provider holds (so a client cannot acknowledge what it never received)."""
    batch = get_batch(session, principal, batch_id)
    if not zip_sha256:
        raise Unprocessable(
            "state the SHA-256 of the downloaded ZIP (zip_sha256)", code="checksum_required"
        )
    if zip_sha256.lower() != batch.zip_sha256:
        raise Conflict(
            "the checksum does not match the sealed batch: download it again",
            code="checksum_mismatch",
        )
    downloaded = session.scalar(
        select(BatchDownload.id).where(BatchDownload.batch_id == batch.id).limit(1)
    )
    if downloaded is None:
        raise Conflict(
            "the batch was never downloaded: download it, then acknowledge", code="not_downloaded"
        )
    if batch.status == BatchStatus.handed_over:
        return batch
    hand_over(session, batch, principal)
    return batch


def hand_over(
    session: Session, batch: Batch, principal: Principal | None, detail: dict | None = None
) -> bool:
    """The batch and its letters become ``handed_over`` (a pull provider's ``ack``, or a
    push provider's accepted upload: ``principal`` is ``None``). ``False`` when a
    concurrent hand-over won; same outcome."""
    now = utcnow()
    actor_id = principal.user_id if principal else None
    done = session.execute(
        update(Batch)
        .where(Batch.id == batch.id, Batch.status == BatchStatus.ready)
        .values(
            status=BatchStatus.handed_over.value,
            acknowledged_at=now,
            acknowledged_by_id=actor_id,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    session.refresh(batch)
    if done.rowcount != 1:
        return False
    # every letter of the batch gets its handed_over step, also one the provider already
    # reported on before acknowledging (its status stays ahead; only the history fills in)
    recorded = exists().where(
        LetterEvent.letter_id == Letter.id, LetterEvent.status == LetterStatus.handed_over.value
    )
    letter_ids = list(
        session.scalars(select(Letter.id).where(Letter.batch_id == batch.id, ~recorded))
    )
    event_detail = {"batch_id": str(batch.id), **(detail or {})}
    for start in range(0, len(letter_ids), 500):
        chunk = letter_ids[start : start + 500]
        session.execute(
            update(Letter)
            .where(Letter.id.in_(chunk), Letter.status == LetterStatus.batched)
            .values(status=LetterStatus.handed_over.value, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        session.execute(
            insert(LetterEvent),
            [
                {
                    "letter_id": letter_id,
                    "status": LetterStatus.handed_over.value,
                    "occurred_on": now.date(),
                    "recorded_at": now,
                    "actor_id": actor_id,
                    "detail": event_detail,
                }
                for letter_id in chunk
            ],
        )
    audit.record(
        session,
        principal,
        "outbox.batch.ack",
        object_type="batch",
        object_id=batch.id,
        tenant_id=batch.tenant_id,
        detail={"letters": len(letter_ids), **(detail or {})},
    )
    session.flush()
    return True


def letter_for_provider(session: Session, principal: Principal, letter_id: uuid.UUID) -> Letter:
    principal.require_role(Role.print_provider)
    letter = session.scalar(
        repository.provider_letter_statement(principal).where(Letter.id == letter_id)
    )
    if letter is None:
        raise NotFound("letter not found")
    return letter


def report_status(
    session: Session,
    storage: BlobStore,
    principal: Principal,
    letter_id: uuid.UUID,
    *,
    report: StatusReport,
    proof: BinaryIO | None,
    proof_filename: str | None,
    max_bytes: int,
) -> tuple[Letter, bool]:
    """Record a report; returns the letter and whether anything changed.

    Checks come first (see :mod:`outbox.feedback`), then the life cycle; a repeated report
    may still add what the first one lacked (a tracking number, the Rückschein scan).
    """
    letter = letter_for_provider(session, principal, letter_id)
    return apply_report(
        session,
        storage,
        principal,
        letter,
        report=report,
        proof=proof,
        proof_filename=proof_filename,
        max_bytes=max_bytes,
    )


def apply_report(
    session: Session,
    storage: BlobStore,
    principal: Principal | None,
    letter: Letter,
    *,
    report: StatusReport,
    proof: BinaryIO | None = None,
    proof_filename: str | None = None,
    max_bytes: int = 0,
) -> tuple[Letter, bool]:
    """The checks and the life cycle for one report on ``letter``, from a pull provider
    (``principal``) or polled from a push provider (``principal`` ``None``): one status
    model for both."""
    status, on = LetterStatus(report.status), report.on
    feedback.check_shape(letter, report, proof is not None)
    batch = session.get(Batch, letter.batch_id)
    assert batch is not None
    rules = outbox_settings.get(session, letter.tenant_id)
    feedback.check_dates(letter, report, batch.sealed_at, rules.timezone, utcnow())
    product = Product(letter.product)
    duplicate = lifecycle.existing_event(session, letter.id, status.value)
    if (
        product == Product.pzu
        and status == LetterStatus.delivered
        and proof is None
        and letter.proof_document_id is None
    ):
        raise Unprocessable(
            "a PZU delivery needs the Zustellungsurkunde scan (file)", code="proof_required"
        )
    adds_tracking = feedback.check_tracking(letter, report.tracking_number)
    detail: dict = {
        key: value
        for key, value in (
            ("reason", report.reason),
            ("reason_code", report.reason_code),
            ("tracking_number", report.tracking_number),
        )
        if value
    }
    try:
        with session.begin_nested():
            changed = lifecycle.apply(
                session,
                letter,
                status,
                occurred_on=on,
                actor_id=principal.user_id if principal else None,
                detail=detail,
            )
    except IntegrityError:
        session.refresh(letter)
        return letter, False  # the same report arrived twice at the same moment
    if batch.status == BatchStatus.ready and batch.first_report_at is None:
        batch.first_report_at = utcnow()  # the provider holds it: never offered again
    adds_proof = proof is not None and letter.proof_document_id is None
    if not (changed or adds_tracking or adds_proof):
        session.flush()
        return letter, False
    if duplicate is None:
        if status == LetterStatus.posted:
            letter.posted_on = on
        elif status == LetterStatus.delivered:
            letter.delivered_on = on
        elif status == LetterStatus.returned:
            letter.return_reason = report.reason
        elif status == LetterStatus.rejected:
            letter.rejection_code, letter.rejection_reason = report.reason_code, report.reason
    if adds_tracking:
        letter.tracking_number = report.tracking_number
    if adds_proof:
        assert proof is not None
        letter.proof_document_id = _file_proof(
            session,
            storage,
            letter,
            principal,
            proof,
            proof_filename,
            max_bytes,
            feedback.PROOF_DOC_TYPE[product],
        )
    letter.legal_delivery_date, letter.legal_date_source = legal_date(letter, rules.extra_holidays)
    audit.record(
        session,
        principal,
        "outbox.letter.status",
        object_type="letter",
        object_id=letter.id,
        tenant_id=letter.tenant_id,
        detail={
            "status": status.value,
            "on": on.isoformat() if on else None,
            "tracking_number": report.tracking_number,
            "proof": adds_proof,
        },
    )
    session.flush()
    return letter, True


def legal_date(letter: Letter, extra_holidays: list[date]) -> tuple[date | None, str | None]:
    """The date the letter counts as received, and its source (see :mod:`outbox.feedback`)."""
    fiction = legal_delivery_date(letter.posted_on, extra_holidays) if letter.posted_on else None
    return feedback.legal_date(letter, fiction)


def _file_proof(
    session: Session,
    storage: BlobStore,
    letter: Letter,
    principal: Principal | None,
    proof: BinaryIO,
    filename: str | None,
    max_bytes: int,
    doc_type: str,
) -> uuid.UUID:
    scanned = intake.scan_file(proof, max_bytes=max_bytes)
    intake.store(storage, proof, scanned)
    document = intake.add_document(
        session,
        tenant_id=letter.tenant_id,
        case_file_id=letter.case_file_id,
        scanned=scanned,
        filename=filename or "zustellnachweis.pdf",
        title=f"{doc_type}: {letter.subject}"[:300],
        doc_type=doc_type,
        source=DocumentSource.letter,
        created_by_id=principal.user_id if principal else None,
    )
    return document.id
