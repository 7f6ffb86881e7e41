"""Every query of the outbox. What a principal may see is built here once: letters by
:func:`readable_letter_statement` (through the Akte), the print provider's batches and
letters by :func:`provider_batch_statement` and :func:`provider_letter_statement` (the
tenants it serves). Batching jobs run without a principal and pass their tenant."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterator
from datetime import datetime

from sqlalchemy import Select, and_, false, func, literal, or_, select, union
from sqlalchemy.orm import Session

from akte.auth.principal import Principal
from akte.case_files import repository as case_file_scope
from akte.case_files.models import CaseFile
from akte.users.models import Role
from outbox.models import Batch, BatchItem, BatchStatus, Letter, LetterEvent, ProviderAssignment


def readable_letter_statement(principal: Principal) -> Select[tuple[Letter]]:
    """Letters the caller may read and cancel: those of Akten they may read (writing and
    cancelling letters is lent work, see :mod:`akte.auth.permissions`)."""
    akten = case_file_scope.readable_statement(principal).with_only_columns(CaseFile.id)
    return select(Letter).where(Letter.case_file_id.in_(akten))


def _served_tenants(principal: Principal):  # type: ignore[no-untyped-def]
    """Subquery: the tenants a print provider serves (assigned, plus its own)."""
    assigned = select(ProviderAssignment.tenant_id).where(
        ProviderAssignment.provider_id == principal.user_id
    )
    if principal.tenant_id is None:
        return assigned
    return union(assigned, select(literal(principal.tenant_id, CaseFile.tenant_id.type)))


def provider_batch_statement(principal: Principal) -> Select[tuple[Batch]]:
    """Sealed batches of the tenants the print provider serves; nothing for anyone else."""
    if principal.role is not Role.print_provider:
        return select(Batch).where(false())
    return select(Batch).where(
        Batch.tenant_id.in_(_served_tenants(principal)),
        Batch.status != BatchStatus.sealing,
        Batch.push_provider.is_(None),  # uploaded to a push provider: not offered for pull
    )


def provider_letter_statement(principal: Principal) -> Select[tuple[Letter]]:
    """Letters handed to the print provider in a batch, of the tenants it serves."""
    if principal.role is not Role.print_provider:
        return select(Letter).where(false())
    pushed = select(Batch.id).where(Batch.push_provider.is_not(None))
    return select(Letter).where(
        Letter.tenant_id.in_(_served_tenants(principal)),
        Letter.batch_id.is_not(None),
        Letter.batch_id.not_in(pushed),
    )


def letters_of_case_file(principal: Principal, case_file_id: uuid.UUID) -> Select[tuple[Letter]]:
    return (
        readable_letter_statement(principal)
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


def batches_query(principal: Principal, status: str | None, now: datetime) -> Select[tuple[Batch]]:
    stmt = provider_batch_statement(principal)
    # a batch with a reported letter is held by the provider: never offered again as new
    offered = and_(
        or_(Batch.offer_expires_at.is_(None), Batch.offer_expires_at <= now),
        Batch.first_report_at.is_(None),
    )
    if status == "ready":
        stmt = stmt.where(Batch.status == BatchStatus.ready, offered)
    elif status == "awaiting_ack":
        stmt = stmt.where(Batch.status == BatchStatus.ready, ~offered)
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
    return int(
        session.scalar(
            select(func.count())
            .select_from(Letter)
            .where(
                Letter.tenant_id == tenant_id, Letter.product == product, Letter.status == "queued"
            )
        )
        or 0
    )


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
