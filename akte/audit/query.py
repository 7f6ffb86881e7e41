"""Who may read the audit log, and the filtered, tenant-scoped query behind list and export.

Only a tenant admin reads it, and only their own tenant's entries: the log itself names
Akten and people, so it is case-adjacent data (caseworkers, service accounts and system
admins get 403). Reading the log is audited too, so looking is never invisible.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, false, select
from sqlalchemy.orm import Session, sessionmaker

from akte.audit.models import AuditEntry
from akte.auth.principal import Principal
from akte.core.csvsafe import csv_safe
from akte.users.models import Role

CSV_COLUMNS = [
    "id",
    "seq",
    "at",
    "actor_id",
    "actor_role",
    "action",
    "object_type",
    "object_id",
    "outcome",
    "ip",
    "detail",
    "hash",
]


@dataclass(frozen=True)
class AuditFilter:
    object_type: str | None = None
    object_id: str | None = None
    actor_id: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    #: An Akte and every document in it (resolved by :func:`with_case_file`).
    case_file_id: str | None = None
    object_ids: tuple[str, ...] = ()

    def as_detail(self) -> dict[str, str]:
        return {k: str(v) for k, v in self.__dict__.items() if v is not None and k != "object_ids"}


def with_case_file(session: Session, flt: AuditFilter) -> AuditFilter:
    """The Akte's own id plus its documents' ids, so "the log of an Akte" includes every
    document read or written in it (a deleted document's entries keep their id)."""
    if not flt.case_file_id:
        return flt
    from dataclasses import replace

    from akte.documents.models import Document

    case_file_id = uuid.UUID(flt.case_file_id)
    docs = session.scalars(select(Document.id).where(Document.case_file_id == case_file_id))
    return replace(flt, object_ids=(flt.case_file_id, *(str(d) for d in docs)))


def require_auditor(principal: Principal) -> None:
    principal.require_role(Role.tenant_admin)


def readable_statement(principal: Principal) -> Select[tuple[AuditEntry]]:
    """Entries the caller may read: their own tenant's, for tenant admins only. The one
    place the audit log's scope is written (list and CSV export)."""
    if principal.role is not Role.tenant_admin or principal.tenant_id is None:
        return select(AuditEntry).where(false())
    return select(AuditEntry).where(AuditEntry.tenant_id == principal.tenant_id)


def statement(principal: Principal, flt: AuditFilter) -> Select[tuple[AuditEntry]]:
    """Entries of the caller's tenant matching every given filter, newest first."""
    stmt = readable_statement(principal)
    if flt.object_type:
        stmt = stmt.where(AuditEntry.object_type == flt.object_type)
    if flt.object_id:
        stmt = stmt.where(AuditEntry.object_id == flt.object_id)
    if flt.case_file_id:
        stmt = stmt.where(AuditEntry.object_id.in_(flt.object_ids or (flt.case_file_id,)))
    if flt.actor_id:
        stmt = stmt.where(AuditEntry.actor_id == flt.actor_id)
    if flt.action:
        stmt = stmt.where(AuditEntry.action == flt.action)
    if flt.since:
        stmt = stmt.where(AuditEntry.at >= flt.since)
    if flt.until:
        stmt = stmt.where(AuditEntry.at < flt.until)
    return stmt.order_by(AuditEntry.id.desc())


def csv_rows(
    factory: sessionmaker[Session], principal: Principal, flt: AuditFilter, batch: int = 1000
) -> Iterator[str]:
    """The export, streamed in keyset batches from its own short sessions: a big tenant's
    log never sits in memory, and no transaction stays open while the client reads."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(CSV_COLUMNS)
    yield buf.getvalue()
    last_id: int | None = None
    while True:
        stmt = statement(principal, flt)
        if last_id is not None:
            stmt = stmt.where(AuditEntry.id < last_id)
        with factory() as session:
            entries = list(session.scalars(stmt.limit(batch)))
        if not entries:
            return
        buf.seek(0)
        buf.truncate()
        for e in entries:
            writer.writerow(
                csv_safe(cell)
                for cell in [
                    e.id,
                    e.seq,
                    e.at.isoformat(),
                    e.actor_id,
                    e.actor_role,
                    e.action,
                    e.object_type,
                    e.object_id,
                    e.outcome,
                    e.ip,
                    _json(e.detail),
                    e.hash,
                ]
            )
        yield buf.getvalue()
        last_id = entries[-1].id


def _json(value: object) -> str:
    import json

    return json.dumps(value, sort_keys=True, default=str)
