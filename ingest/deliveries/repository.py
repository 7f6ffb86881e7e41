"""Queries on deliveries and their items. Large lists are read in keyset batches."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Select, false, func, select
from sqlalchemy.orm import Session

from akte.auth.principal import Principal
from akte.documents.models import Document
from akte.users.models import Role
from ingest.deliveries.models import Delivery, DeliveryItem, Outcome

BATCH = 500


def get(session: Session, delivery_id: uuid.UUID) -> Delivery | None:
    return session.get(Delivery, delivery_id)


def by_external_id(session: Session, tenant_id: uuid.UUID, external_id: str) -> Delivery | None:
    return session.scalar(
        select(Delivery).where(Delivery.tenant_id == tenant_id, Delivery.external_id == external_id)
    )


#: Who reads deliveries: the tenant's importer service account and its tenant admins.
READ_ROLES = (Role.importer, Role.tenant_admin)


def readable_statement(principal: Principal) -> Select[tuple[Delivery]]:
    """Deliveries the caller may read: their own tenant's, for importers and tenant admins.
    The one place the delivery scope is written (API, web pages, CLI reports)."""
    if principal.role not in READ_ROLES or principal.tenant_id is None:
        return select(Delivery).where(false())
    return select(Delivery).where(Delivery.tenant_id == principal.tenant_id)


def writable_statement(principal: Principal) -> Select[tuple[Delivery]]:
    """Deliveries the caller may feed and commit: their tenant's, for the importer only."""
    if principal.role is not Role.importer or principal.tenant_id is None:
        return select(Delivery).where(false())
    return select(Delivery).where(Delivery.tenant_id == principal.tenant_id)


def newest_first(stmt: Select[tuple[Delivery]]) -> Select[tuple[Delivery]]:
    return stmt.order_by(Delivery.created_at.desc(), Delivery.id)


def item_by_key(
    session: Session, delivery_id: uuid.UUID, key: str, *, for_update: bool = False
) -> DeliveryItem | None:
    stmt = select(DeliveryItem).where(
        DeliveryItem.delivery_id == delivery_id, DeliveryItem.key == key
    )
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalar(stmt)


def items_of_file(session: Session, delivery_id: uuid.UUID, filename: str) -> list[DeliveryItem]:
    """Every row naming ``filename`` as a separator-split file, by part."""
    return list(
        session.scalars(
            select(DeliveryItem)
            .where(
                DeliveryItem.delivery_id == delivery_id,
                DeliveryItem.filename == filename,
                DeliveryItem.part.is_not(None),
            )
            .order_by(DeliveryItem.part)
            .with_for_update()
        )
    )


def pending_ids(session: Session, delivery_id: uuid.UUID, after: int, limit: int = BATCH):
    """``(id, filename, part)`` of pending items after ``after``, in id order."""
    return list(
        session.execute(
            select(DeliveryItem.id, DeliveryItem.filename, DeliveryItem.part)
            .where(
                DeliveryItem.delivery_id == delivery_id,
                DeliveryItem.outcome == Outcome.pending,
                DeliveryItem.id > after,
            )
            .order_by(DeliveryItem.id)
            .limit(limit)
        )
    )


def keys_with_prefix(session: Session, delivery_id: uuid.UUID, prefix: str) -> set[str]:
    return set(
        session.scalars(
            select(DeliveryItem.key).where(
                DeliveryItem.delivery_id == delivery_id, DeliveryItem.key.startswith(prefix)
            )
        )
    )


def iter_filenames(session: Session, delivery_id: uuid.UUID) -> Iterator[str]:
    """Every file the manifest names (keyset batches; a set of names is small)."""
    last = 0
    while True:
        rows = list(
            session.execute(
                select(DeliveryItem.id, DeliveryItem.filename)
                .where(DeliveryItem.delivery_id == delivery_id, DeliveryItem.id > last)
                .order_by(DeliveryItem.id)
                .limit(5000)
            )
        )
        if not rows:
            return
        for item_id, filename in rows:
            last = item_id
            if filename:
                yield filename


def outcome_counts(session: Session, delivery_id: uuid.UUID) -> list[tuple[str, str | None, int]]:
    """``(item outcome, document status, count)`` for the delivery's items."""
    return [
        (outcome, status, int(n))
        for outcome, status, n in session.execute(
            select(DeliveryItem.outcome, Document.status, func.count())
            .outerjoin(Document, Document.id == DeliveryItem.document_id)
            .where(DeliveryItem.delivery_id == delivery_id)
            .group_by(DeliveryItem.outcome, Document.status)
        )
    ]


def report_batch(
    session: Session, delivery_id: uuid.UUID, after: int, limit: int = BATCH
) -> list[Any]:
    """Items with their document's status, as plain rows (no ORM objects kept)."""
    return list(
        session.execute(
            select(
                *DeliveryItem.__table__.c,
                Document.status.label("document_status"),
                Document.status_reason.label("document_status_reason"),
            )
            .outerjoin(Document, Document.id == DeliveryItem.document_id)
            .where(DeliveryItem.delivery_id == delivery_id, DeliveryItem.id > after)
            .order_by(DeliveryItem.id)
            .limit(limit)
        )
    )


def item_of_document(session: Session, document_id: uuid.UUID) -> DeliveryItem | None:
    return session.scalar(
        select(DeliveryItem)
        .where(DeliveryItem.document_id == document_id, DeliveryItem.outcome != Outcome.rejected)
        .limit(1)
    )


def accepted_with_content(
    session: Session, delivery_id: uuid.UUID, document_sha256: str
) -> DeliveryItem | None:
    """The delivery's first accepted item whose document has exactly this content."""
    return session.scalar(
        select(DeliveryItem)
        .where(
            DeliveryItem.delivery_id == delivery_id,
            DeliveryItem.document_sha256 == document_sha256,
            DeliveryItem.outcome == Outcome.accepted,
        )
        .order_by(DeliveryItem.id)
        .limit(1)
    )
