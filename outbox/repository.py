"""Every query of the outbox. Callers pass the tenant scope explicitly."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterator
from datetime import datetime

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from akte.case_files.models import CaseFile
from outbox.models import Batch, BatchItem, BatchStatus, Letter, LetterEvent, ProviderAssignment


def letters_of_case_file(case_file_id: uuid.UUID) -> Select[tuple[Letter]]:
    return (
        select(Letter)
        .where(Letter.case_file_id == case_file_id)
        .order_by(Letter.created_at.desc(), Letter.id)
    )


def history(session: Session, letter_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, list]:
    """Events per letter in life-cycle order (see :data:`outbox.models.RANK`)."""
    from outbox.models import RANK, LetterStatus

    found: dict[uuid.UUID, list[LetterEvent]] = {i: [] for i in letter_ids}
    if not letter_ids:
        return found
    rows = session.scalars(select(LetterEvent).where(LetterEvent.letter_id.in_(list(letter_ids))))
    for event in rows:
        found[event.letter_id].append(event)
    for events in found.values():
        events.sort(key=lambda e: (RANK[LetterStatus(e.status)], e.recorded_at))
    return found


def letter_by_document(session: Session, document_id: uuid.UUID) -> Letter | None:
    return session.scalar(select(Letter).where(Letter.document_id == document_id))


def served_tenants(session: Session, provider_id: uuid.UUID, own: uuid.UUID | None) -> set:
    tenants = set(
        session.scalars(
            select(ProviderAssignment.tenant_id).where(ProviderAssignment.provider_id == provider_id)
        )
    )
    if own is not None:
        tenants.add(own)
    return tenants


def batches_query(
    tenant_ids: Collection[uuid.UUID], status: str | None, now: datetime
) -> Select[tuple[Batch]]:
    stmt = select(Batch).where(
        Batch.tenant_id.in_(list(tenant_ids)), Batch.status != BatchStatus.sealing
    )
    offered = or_(Batch.offer_expires_at.is_(None), Batch.offer_expires_at <= now)
    if status == "ready":
        stmt = stmt.where(Batch.status == BatchStatus.ready, offered)
    elif status == "awaiting_ack":
        stmt = stmt.where(Batch.status == BatchStatus.ready, Batch.offer_expires_at > now)
    elif status == "handed_over":
        stmt = stmt.where(Batch.status == BatchStatus.handed_over)
    return stmt.order_by(Batch.sealed_at, Batch.id)


def queued_letter_ids(
    session: Session, tenant_id: uuid.UUID, product: str, limit: int, *, lock: bool
) -> list[uuid.UUID]:
    stmt = (
        select(Letter.id)
        .where(Letter.tenant_id == tenant_id, Letter.product == product, Letter.status == "queued")
        .order_by(Letter.created_at, Letter.id)
        .limit(limit)
    )
    if lock:
        stmt = stmt.with_for_update(skip_locked=True)
    return list(session.scalars(stmt))


def queued_count(session: Session, tenant_id: uuid.UUID, product: str) -> int:
    return int(session.scalar(
        select(func.count()).select_from(Letter).where(
            Letter.tenant_id == tenant_id, Letter.product == product, Letter.status == "queued")
    ) or 0)


def iter_manifest_rows(session: Session, batch_id: uuid.UUID, chunk: int = 500) -> Iterator:
    """(position, letter) of a batch in order, loaded in chunks: bounded memory."""
    last = -1
    while True:
        rows = session.execute(
            select(BatchItem.position, Letter)
            .join(Letter, Letter.id == BatchItem.letter_id)
            .where(BatchItem.batch_id == batch_id, BatchItem.position > last)
            .order_by(BatchItem.position)
            .limit(chunk)
        ).all()
        if not rows:
            return
        yield from ((position, letter) for position, letter in rows)
        last = rows[-1][0]
        session.expunge_all()


def aktenzeichen_of(session: Session, case_file_id: uuid.UUID) -> str | None:
    return session.scalar(select(CaseFile.aktenzeichen).where(CaseFile.id == case_file_id))
