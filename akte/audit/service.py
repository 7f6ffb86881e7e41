"""Recording and chaining audit entries.

:func:`record` appends within the caller's transaction, so an entry exists exactly when the
action it describes was committed. :func:`seal` chains committed entries; :func:`verify`
recomputes the chain and reports the first entry that was changed, removed or reordered.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from akte.audit.models import AuditEntry
from akte.auth.principal import Principal

GENESIS = "0" * 64


def record(
    session: Session,
    principal: Principal | None,
    action: str,
    *,
    object_type: str | None = None,
    object_id: uuid.UUID | str | None = None,
    tenant_id: uuid.UUID | None = None,
    outcome: str = "ok",
    detail: dict[str, Any] | None = None,
    ip: str | None = None,
) -> None:
    session.add(
        AuditEntry(
            tenant_id=tenant_id or (principal.tenant_id if principal else None),
            actor_id=str(principal.user_id) if principal else None,
            actor_role=principal.role.value if principal else None,
            action=action,
            object_type=object_type,
            object_id=str(object_id) if object_id is not None else None,
            outcome=outcome,
            ip=ip or (principal.ip if principal else None),
            detail=detail or {},
        )
    )


def recent_details(
    session: Session,
    principal: Principal,
    action: str,
    *,
    object_type: str,
    object_id: uuid.UUID,
    since: datetime,
    limit: int = 20,
) -> list[dict[str, Any]]:
    """The details of the principal's own newest entries of ``action`` on one object since
    ``since`` (at most ``limit``): for a caller that records one entry per session of use
    rather than one per request (the viewer's Range requests)."""
    rows = session.scalars(
        select(AuditEntry.detail)
        .where(
            AuditEntry.tenant_id == principal.tenant_id,
            AuditEntry.object_type == object_type,
            AuditEntry.object_id == str(object_id),
            AuditEntry.actor_id == str(principal.user_id),
            AuditEntry.action == action,
            AuditEntry.at >= since,
        )
        .order_by(AuditEntry.id.desc())
        .limit(limit)
    )
    return [dict(detail or {}) for detail in rows]


def _canonical(entry: AuditEntry) -> bytes:
    return json.dumps(
        {
            "id": entry.id,
            "seq": entry.seq,
            "at": entry.at.isoformat(),
            "tenant_id": str(entry.tenant_id) if entry.tenant_id else None,
            "actor_id": entry.actor_id,
            "actor_role": entry.actor_role,
            "action": entry.action,
            "object_type": entry.object_type,
            "object_id": entry.object_id,
            "outcome": entry.outcome,
            "ip": entry.ip,
            "detail": entry.detail,
        },
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    ).encode()


def entry_hash(prev_hash: str, entry: AuditEntry) -> str:
    return hashlib.sha256(prev_hash.encode() + _canonical(entry)).hexdigest()


def seal(session: Session, batch: int = 5000) -> int:
    """Chain every committed, unsealed entry; returns how many were sealed."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(4242001)"))
    last = session.scalar(
        select(AuditEntry)
        .where(AuditEntry.seq.is_not(None))
        .order_by(AuditEntry.seq.desc())
        .limit(1)
    )
    prev_hash, seq = (last.hash or GENESIS, last.seq or 0) if last else (GENESIS, 0)
    sealed = 0
    while True:
        entries = list(
            session.scalars(
                select(AuditEntry)
                .where(AuditEntry.seq.is_(None))
                .order_by(AuditEntry.id)
                .limit(batch)
            )
        )
        if not entries:
            return sealed
        for entry in entries:
            seq += 1
            entry.seq = seq
            entry.prev_hash = prev_hash
            entry.hash = entry_hash(prev_hash, entry)
            prev_hash = entry.hash
        sealed += len(entries)
        session.flush()


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    problem: str | None = None


def verify(
    session: Session, batch: int = 5000, *, anchors: Mapping[int, set[str]] | None = None
) -> VerifyResult:
    """Walk the chain in ``seq`` order; any edit, gap or reordering breaks it.

    With ``anchors`` (authentic heads by ``seq``, see :mod:`akte.audit.anchors`) the chain
    must also pass through every anchored hash and reach the last anchored ``seq``: that
    catches a chain recomputed after an edit and one whose last entries were deleted.
    """
    anchors = anchors or {}
    prev_hash, expected_seq, checked = GENESIS, 1, 0
    last_seq = 0
    while True:
        entries = list(
            session.scalars(
                select(AuditEntry)
                .where(AuditEntry.seq > last_seq)
                .order_by(AuditEntry.seq)
                .limit(batch)
            )
        )
        if not entries:
            break
        for entry in entries:
            if entry.seq != expected_seq:
                return VerifyResult(False, checked, f"entry seq {expected_seq} is missing")
            if entry.prev_hash != prev_hash or entry.hash != entry_hash(prev_hash, entry):
                return VerifyResult(
                    False, checked, f"entry seq {entry.seq} (id {entry.id}) was altered"
                )
            anchored = anchors.get(entry.seq)
            if anchored is not None and anchored != {entry.hash}:
                return VerifyResult(
                    False,
                    checked,
                    f"entries up to seq {entry.seq} were rewritten: the chain's hash there "
                    "differs from its anchor",
                )
            prev_hash = entry.hash
            expected_seq += 1
            checked += 1
            last_seq = entry.seq
    if anchors and max(anchors) > last_seq:
        return VerifyResult(
            False,
            checked,
            f"the chain ends at seq {last_seq} but was anchored at seq {max(anchors)}: "
            "its last entries were deleted",
        )
    unsealed = session.scalar(select(func.count()).where(AuditEntry.seq.is_(None)))
    return VerifyResult(True, checked, f"{unsealed} entries not yet sealed" if unsealed else None)
