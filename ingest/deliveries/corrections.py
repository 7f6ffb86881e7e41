"""Correction deliveries: a later delivery that fixes the rows an earlier one could not.

A delivery declares the one it corrects (API field ``corrects``, ``akte import
--corrects``, or ``corrects`` in the Transfervermerk); it needs its own delivery id. Its
rows are matched to the corrected delivery's rows by external id:

* a row the corrected delivery accepted, sent again with the same content (or without a
  checksum), is accepted at once as ``already_imported``: a success pointing at the
  document that exists, whether or not the file is sent again;
* a row imported by any other delivery before (the ledger) is ``already_imported`` too,
  once its file arrives;
* every other row (above all the ones rejected the first time) is imported normally.

The corrected delivery's report then shows, per row, the correction that last handled it
(``corrected_by``) and the row's final outcome (``final_outcome``, ``final_reason_code``).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from akte.core.database import utcnow
from akte.core.errors import Unprocessable
from akte.documents.models import Document
from akte.tenants.models import Tenant
from ingest.deliveries import repository
from ingest.deliveries.models import Delivery, DeliveryItem, Outcome

ALREADY = "already_imported"


def original(session: Session, tenant: Tenant, external_id: str) -> Delivery:
    """The delivery of the same tenant being corrected; 422 if there is none."""
    found = repository.by_external_id(session, tenant.id, external_id)
    if found is None:
        raise Unprocessable(
            f"there is no delivery {external_id} to correct", code="unknown_delivery"
        )
    return found


def accept_as_imported(
    item: DeliveryItem,
    *,
    document_id: uuid.UUID | None,
    case_file_id: uuid.UUID | None,
    sha256: str | None,
    document_sha256: str | None,
    binding_sha256: str | None,
    source: str,
) -> None:
    """Mark ``item`` a success that names the document imported before (and the binding
    it was imported with: the document is bound to the protocol it was scanned under)."""
    item.outcome = Outcome.accepted
    item.reason_code = ALREADY
    item.reason = f"imported before by {source}"
    item.document_id, item.case_file_id = document_id, case_file_id
    item.sha256_actual = item.sha256_actual or sha256
    item.document_sha256 = document_sha256
    item.binding_sha256 = binding_sha256
    item.updated_at = utcnow()


def link(session: Session, delivery: Delivery, corrected: Delivery) -> None:
    """Match the new delivery's rows to the corrected one's; take over accepted rows."""
    mine, theirs = aliased(DeliveryItem), aliased(DeliveryItem)
    last = 0
    while True:
        pairs = session.execute(
            select(mine, theirs)
            .join(theirs, (theirs.delivery_id == corrected.id) & (theirs.key == mine.key))
            .where(mine.delivery_id == delivery.id, mine.id > last)
            .order_by(mine.id)
            .limit(repository.BATCH)
        ).all()
        if not pairs:
            break
        for item, before in pairs:
            last = item.id
            item.corrects_item_id = before.id
            same = item.sha256_claimed in (None, before.sha256_actual)
            if item.outcome == Outcome.pending and before.outcome == Outcome.accepted and same:
                accept_as_imported(
                    item,
                    document_id=before.document_id,
                    case_file_id=before.case_file_id,
                    sha256=before.sha256_actual,
                    document_sha256=before.document_sha256,
                    binding_sha256=before.binding_sha256,
                    source=f"delivery {corrected.external_id} (row {before.row_no})",
                )
        session.flush()


def accept_from_ledger(
    session: Session,
    item: DeliveryItem,
    delivery: Delivery,
    document_id: uuid.UUID | None,
    sha256: str,
    source_delivery: uuid.UUID,
) -> None:
    """In a correction: a row the ledger knows is a success, not a rejection."""
    document = session.get(Document, document_id) if document_id else None
    earlier = session.get(Delivery, source_delivery)
    first = repository.item_of_document(session, document_id) if document_id else None
    accept_as_imported(
        item,
        document_id=document_id,
        case_file_id=document.case_file_id if document else None,
        sha256=sha256,
        document_sha256=item.document_sha256,
        binding_sha256=first.binding_sha256 if first else None,
        source=f"delivery {earlier.external_id if earlier else source_delivery}",
    )


def final_states(session: Session, item_ids: list[int]) -> dict[int, dict[str, Any]]:
    """For rows of a corrected delivery: the last correction row of each, with its
    delivery's external id, outcome and reason code (processing folded in)."""
    if not item_ids:
        return {}
    rows = session.execute(
        select(
            DeliveryItem.corrects_item_id,
            DeliveryItem.id,
            DeliveryItem.outcome,
            DeliveryItem.reason_code,
            Delivery.external_id,
            Document.status,
        )
        .join(Delivery, Delivery.id == DeliveryItem.delivery_id)
        .outerjoin(Document, Document.id == DeliveryItem.document_id)
        .where(DeliveryItem.corrects_item_id.in_(item_ids))
        .order_by(DeliveryItem.id)
    ).all()
    found: dict[int, dict[str, Any]] = {}
    for original_id, _id, outcome, reason_code, external_id, doc_status in rows:
        found[original_id] = {  # the newest correction wins (ordered by id)
            "corrected_by": external_id,
            "final_outcome": fold(outcome, doc_status),
            "final_reason_code": reason_code,
        }
    return found


def fold(outcome: str, document_status: str | None) -> str:
    """``accepted`` as the report shows it once the document is processed or failed."""
    if outcome == Outcome.accepted and document_status == "ready":
        return Outcome.processed.value
    if outcome == Outcome.accepted and document_status == "failed":
        return Outcome.failed.value
    return outcome


def corrected_by(session: Session, delivery_id: uuid.UUID) -> list[str]:
    """External ids of the deliveries that correct this one, oldest first."""
    return list(
        session.scalars(
            select(Delivery.external_id)
            .where(Delivery.corrects_id == delivery_id)
            .order_by(Delivery.created_at)
        )
    )
