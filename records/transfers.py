"""Zuständigkeitswechsel: an Akte moves to another tenant of the same installation.

The flow has two decisions, one per authority, and one move:

1. the sending tenant's admin requests it (:func:`request`): the Akte must belong to their
   tenant, carry no active legal hold and no letter still on its way to the printer;
2. the receiving tenant's admin accepts it into one of their org units (:func:`accept`) or
   refuses it (:func:`refuse`); the sender may withdraw it before (:func:`cancel`);
3. acceptance queues ``records.transfer`` in the same transaction; the job (:func:`move`)
   checks everything again and moves the Akte in one transaction.

Moving re-labels rows, it copies nothing: the Akte keeps its id and every document,
version, page text, Vorgang, Aktenvermerk, Wiedervorlage, redaction and export goes with it
(``tenant_id`` set to the receiver). Blobs stay where they are: their keys are
content-addressed (``sha256/ab/cd/…``, :func:`akte.core.storage.base.blob_key`) with no
tenant in them, so nothing in object storage names the old tenant. Grants of the old
tenant end; Wiedervorlagen go to the receiving org unit. The Akte's audit entries of the
sender are copied into a JSON blob named by the transfer (the trail travels, and the
receiver's ``records.transfer.received`` entry carries its SHA-256); the sender's own
chain is never rewritten. What the sender keeps is the :class:`Transfer` row: when, which
Aktenzeichen, to whom — no document content.

Search: ``search.move_case_file`` removes the Akte's documents and notes from every index
and indexes them again under the receiver (both engines).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import Select, false, or_, select, update
from sqlalchemy.orm import Session

from akte.audit import service as audit
from akte.audit.models import AuditEntry
from akte.auth.principal import Principal
from akte.case_files import repository as case_files
from akte.case_files.models import CaseFile
from akte.casework.models import CaseNote, FollowUp, Vorgang
from akte.core.database import utcnow
from akte.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from akte.core.storage import BlobStore
from akte.documents import events
from akte.documents.models import Document
from akte.grants.models import CaseFileGrant
from akte.jobs import repository as jobs
from akte.retention.models import LegalHold
from akte.tenants.models import OrgUnit, Tenant
from akte.uploads.models import UploadCode, UploadReceipt
from akte.users.models import Role
from records.models import Export, Redaction, Transfer, TransferStatus

MOVE_TASK = "records.transfer"
#: Letters in these states are still the sender's to print: the Akte waits for them.
PENDING_LETTERS = ("queued", "batched", "handed_over")


def _require_admin(principal: Principal) -> uuid.UUID:
    principal.require_role(Role.tenant_admin)
    if principal.tenant_id is None:
        raise Forbidden("a tenant admin without a tenant")
    return principal.tenant_id


def readable_statement(principal: Principal) -> Select[Transfer]:
    """The transfers of the caller's tenant, sent or received, for its tenant admins."""
    if principal.role is not Role.tenant_admin or principal.tenant_id is None:
        return select(Transfer).where(false())
    return select(Transfer).where(
        or_(
            Transfer.from_tenant_id == principal.tenant_id,
            Transfer.to_tenant_id == principal.tenant_id,
        )
    )


def get(session: Session, principal: Principal, transfer_id: uuid.UUID) -> Transfer:
    _require_admin(principal)
    row = session.scalar(readable_statement(principal).where(Transfer.id == transfer_id))
    if row is None:
        raise NotFound("transfer not found")
    return row


def list_statement(principal: Principal, direction: str | None = None) -> Select[Transfer]:
    _require_admin(principal)
    stmt = readable_statement(principal)
    if direction == "outgoing":
        stmt = stmt.where(Transfer.from_tenant_id == principal.tenant_id)
    elif direction == "incoming":
        stmt = stmt.where(Transfer.to_tenant_id == principal.tenant_id)
    return stmt.order_by(Transfer.created_at.desc(), Transfer.id)


def travelled_trail(session: Session, principal: Principal, transfer_id: uuid.UUID) -> Transfer:
    """A received transfer whose audit trail the caller may read: the receiving tenant's
    admins only (the sender has its own entries; 403 ``not_receiver``), once the Akte has
    moved (409 ``no_audit_trail`` before)."""
    tenant_id = _require_admin(principal)
    row = get(session, principal, transfer_id)
    if row.to_tenant_id != tenant_id:
        raise Forbidden(
            "only the receiving tenant reads the travelled audit trail", code="not_receiver"
        )
    if row.status != TransferStatus.done or row.audit_trail_sha256 is None:
        raise Conflict(
            f"the transfer is {row.status}: no audit trail has travelled yet",
            code="no_audit_trail",
        )
    return row


def _blockers(session: Session, case_file: CaseFile) -> str | None:
    """Why the Akte cannot move now (``None``: it can)."""
    doc_ids = select(Document.id).where(Document.case_file_id == case_file.id)
    hold = session.scalar(
        select(LegalHold.id)
        .where(
            LegalHold.released_at.is_(None),
            or_(LegalHold.case_file_id == case_file.id, LegalHold.document_id.in_(doc_ids)),
        )
        .limit(1)
    )
    if hold is not None:
        return "legal_hold"
    from outbox.models import Letter

    pending = session.scalar(
        select(Letter.id)
        .where(Letter.case_file_id == case_file.id, Letter.status.in_(PENDING_LETTERS))
        .limit(1)
    )
    if pending is not None:
        return "letters_pending"
    return None


BLOCKER_TEXT = {
    "legal_hold": "the Akte or one of its documents is under a legal hold",
    "letters_pending": "a letter of the Akte is still on its way to the print provider",
    "aktenzeichen_taken": "the receiving tenant already has an Akte with this Aktenzeichen",
}


def _check_movable(session: Session, case_file: CaseFile) -> None:
    blocker = _blockers(session, case_file)
    if blocker is not None:
        raise Conflict(f"the Akte cannot move: {BLOCKER_TEXT[blocker]}", code=blocker)


def _aktenzeichen_taken(session: Session, case_file: CaseFile, tenant_id: uuid.UUID) -> bool:
    key = case_files.aktenzeichen_key(session, tenant_id, case_file.aktenzeichen)
    return (
        session.scalar(
            select(CaseFile.id).where(
                CaseFile.tenant_id == tenant_id,
                or_(
                    CaseFile.aktenzeichen == case_file.aktenzeichen,
                    CaseFile.aktenzeichen_key == key,
                ),
                CaseFile.id != case_file.id,
            )
        )
        is not None
    )


def request(
    session: Session,
    principal: Principal,
    *,
    case_file_id: uuid.UUID,
    to_tenant: str,
    reason: str,
) -> Transfer:
    """Step 1: the sender's admin asks the receiving tenant (by slug) to take the Akte."""
    tenant_id = _require_admin(principal)
    case_file = session.scalar(
        case_files.administered_statement(principal).where(CaseFile.id == case_file_id)
    )
    if case_file is None:
        raise NotFound("case file not found")
    receiver = session.scalar(select(Tenant).where(Tenant.slug == to_tenant))
    if receiver is None:
        raise Unprocessable(f"there is no tenant {to_tenant!r}", code="unknown_tenant")
    if receiver.id == tenant_id:
        raise Unprocessable("the Akte already belongs to this tenant", code="same_tenant")
    _check_movable(session, case_file)
    open_one = session.scalar(
        select(Transfer.id).where(
            Transfer.case_file_id == case_file.id,
            Transfer.status.in_((TransferStatus.requested, TransferStatus.accepted)),
        )
    )
    if open_one is not None:
        raise Conflict("a transfer of this Akte is already open", code="transfer_open")
    row = Transfer(
        case_file_id=case_file.id,
        aktenzeichen=case_file.aktenzeichen,
        from_tenant_id=tenant_id,
        to_tenant_id=receiver.id,
        status=TransferStatus.requested,
        reason=reason,
        requested_by_id=principal.user_id,
    )
    session.add(row)
    session.flush()
    detail = {"transfer_id": str(row.id), "to_tenant": receiver.slug, "reason": reason}
    audit.record(
        session,
        principal,
        "records.transfer.request",
        object_type="case_file",
        object_id=case_file.id,
        detail=detail,
    )
    audit.record(
        session,
        principal,
        "records.transfer.offered",
        object_type="transfer",
        object_id=row.id,
        tenant_id=receiver.id,
        detail={"aktenzeichen": row.aktenzeichen, "from_tenant_id": str(tenant_id)},
    )
    return row


def _open_for(session: Session, principal: Principal, transfer_id: uuid.UUID) -> Transfer:
    row = get(session, principal, transfer_id)
    if row.status != TransferStatus.requested:
        raise Conflict(f"the transfer is {row.status}", code="transfer_not_open")
    return row


def accept(
    session: Session, principal: Principal, transfer_id: uuid.UUID, *, org_unit_id: uuid.UUID
) -> Transfer:
    """Step 2: the receiver's admin takes the Akte into one of their org units; the move
    job is queued in this transaction."""
    tenant_id = _require_admin(principal)
    row = _open_for(session, principal, transfer_id)
    if row.to_tenant_id != tenant_id:
        raise Forbidden("only the receiving tenant accepts a transfer", code="not_receiver")
    unit = session.get(OrgUnit, org_unit_id)
    if unit is None or unit.tenant_id != tenant_id:
        raise Unprocessable("the org unit is not one of this tenant's", code="unknown_org_unit")
    case_file = session.get(CaseFile, row.case_file_id)
    if case_file is None or case_file.tenant_id != row.from_tenant_id:
        raise Conflict("the Akte is no longer the sender's", code="case_file_gone")
    _check_movable(session, case_file)
    if _aktenzeichen_taken(session, case_file, tenant_id):
        raise Conflict(BLOCKER_TEXT["aktenzeichen_taken"], code="aktenzeichen_taken")
    row.status = TransferStatus.accepted
    row.to_org_unit_id = unit.id
    row.decided_by_id = principal.user_id
    row.decided_at = utcnow()
    jobs.enqueue(session, MOVE_TASK, {"transfer_id": str(row.id)})
    audit.record(
        session,
        principal,
        "records.transfer.accept",
        object_type="transfer",
        object_id=row.id,
        detail={"org_unit": unit.code, "aktenzeichen": row.aktenzeichen},
    )
    return row


def refuse(session: Session, principal: Principal, transfer_id: uuid.UUID) -> Transfer:
    """The receiver declines (refuse) or the sender withdraws (cancel) an open request."""
    tenant_id = _require_admin(principal)
    row = _open_for(session, principal, transfer_id)
    row.status = (
        TransferStatus.refused if row.to_tenant_id == tenant_id else TransferStatus.cancelled
    )
    row.decided_by_id = principal.user_id
    row.decided_at = utcnow()
    row.finished_at = row.decided_at
    for side in {row.from_tenant_id, row.to_tenant_id}:
        audit.record(
            session,
            principal,
            f"records.transfer.{row.status}",
            object_type="transfer",
            object_id=row.id,
            tenant_id=side,
            detail={"aktenzeichen": row.aktenzeichen},
        )
    return row


def _trail(session: Session, row: Transfer, doc_ids: list[uuid.UUID]) -> bytes:
    """The sender's audit entries about the Akte and its documents, oldest first."""
    ids = [str(row.case_file_id), *(str(d) for d in doc_ids)]
    entries = session.scalars(
        select(AuditEntry)
        .where(
            AuditEntry.tenant_id == row.from_tenant_id,
            AuditEntry.object_type.in_(("case_file", "document")),
            AuditEntry.object_id.in_(ids),
        )
        .order_by(AuditEntry.id)
    )
    trail: list[dict[str, Any]] = [
        {
            "id": e.id,
            "seq": e.seq,
            "hash": e.hash,
            "at": e.at.isoformat(),
            "actor_id": e.actor_id,
            "actor_role": e.actor_role,
            "action": e.action,
            "object_type": e.object_type,
            "object_id": e.object_id,
            "outcome": e.outcome,
            "detail": e.detail,
        }
        for e in entries
    ]
    return json.dumps(
        {
            "transfer_id": str(row.id),
            "case_file_id": str(row.case_file_id),
            "from_tenant_id": str(row.from_tenant_id),
            "entries": trail,
        },
        ensure_ascii=False,
        sort_keys=True,
    ).encode()


def _fail(session: Session, row: Transfer, code: str) -> None:
    row.status = TransferStatus.failed
    row.error = BLOCKER_TEXT.get(code, code)
    row.finished_at = utcnow()
    for side in (row.from_tenant_id, row.to_tenant_id):
        audit.record(
            session,
            None,
            "records.transfer.failed",
            object_type="transfer",
            object_id=row.id,
            tenant_id=side,
            outcome="failed",
            detail={"reason": code},
        )


def move(session: Session, storage: BlobStore, transfer_id: uuid.UUID) -> None:
    """Step 3 (the job): move the Akte in the caller's transaction. Idempotent: only an
    ``accepted`` transfer moves; a reason found now makes it ``failed``, nothing moves."""
    row = session.get(Transfer, transfer_id, with_for_update=True)
    if row is None or row.status != TransferStatus.accepted:
        return
    case_file = session.get(CaseFile, row.case_file_id, with_for_update=True)
    if case_file is None or case_file.tenant_id != row.from_tenant_id:
        _fail(session, row, "the Akte is no longer the sender's")
        return
    blocker = _blockers(session, case_file)
    if blocker is None and _aktenzeichen_taken(session, case_file, row.to_tenant_id):
        blocker = "aktenzeichen_taken"
    if blocker is None and row.to_org_unit_id is None:
        blocker = "the receiving org unit was deleted"
    if blocker is not None:
        _fail(session, row, blocker)
        return
    assert row.to_org_unit_id is not None
    doc_ids = list(
        session.scalars(select(Document.id).where(Document.case_file_id == case_file.id))
    )
    trail = storage.put_bytes(_trail(session, row, doc_ids))
    old, new, unit = row.from_tenant_id, row.to_tenant_id, row.to_org_unit_id
    of_akte = case_file.id
    for model in (Document, Vorgang, CaseNote, Redaction, Export, UploadCode, UploadReceipt):
        session.execute(
            update(model)
            .where(model.case_file_id == of_akte, model.tenant_id == old)
            .values(tenant_id=new)
            .execution_options(synchronize_session=False)
        )
    session.execute(
        update(FollowUp)
        .where(FollowUp.case_file_id == of_akte)
        .values(tenant_id=new, assignee_org_unit_id=unit, assignee_user_id=None)
        .execution_options(synchronize_session=False)
    )
    from outbox.models import Letter

    session.execute(
        update(Letter)
        .where(Letter.case_file_id == of_akte)
        .values(tenant_id=new)
        .execution_options(synchronize_session=False)
    )
    for grant in session.scalars(
        select(CaseFileGrant).where(CaseFileGrant.case_file_id == of_akte)
    ):
        session.delete(grant)
    case_file.tenant_id = new
    case_file.org_unit_id = unit
    # the receiver may read Aktenzeichen by another pattern (leading zeros, separators)
    case_file.aktenzeichen_key = case_files.aktenzeichen_key(session, new, case_file.aktenzeichen)
    row.status = TransferStatus.done
    row.finished_at = utcnow()
    row.document_count = len(doc_ids)
    row.audit_trail_sha256 = trail.sha256
    session.flush()
    events.case_file_moved(session, of_akte)
    audit.record(
        session,
        None,
        "records.transfer.sent",
        object_type="case_file",
        object_id=of_akte,
        tenant_id=old,
        detail={"transfer_id": str(row.id), "to_tenant_id": str(new), "documents": len(doc_ids)},
    )
    audit.record(
        session,
        None,
        "records.transfer.received",
        object_type="case_file",
        object_id=of_akte,
        tenant_id=new,
        detail={
            "transfer_id": str(row.id),
            "from_tenant_id": str(old),
            "documents": len(doc_ids),
            "audit_trail_sha256": trail.sha256,
        },
    )
