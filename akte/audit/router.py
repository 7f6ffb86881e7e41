"""HTTP API of the audit log: query and CSV export for tenant admins."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from akte.audit import query
from akte.audit import service as audit
from akte.audit.schemas import AuditEntryRead
from akte.auth.dependencies import CurrentUser
from akte.core.dependencies import Context, DbSession
from akte.core.errors import Forbidden, NotAuthenticated, responses
from akte.core.isotime import IsoDateTime
from akte.core.pagination import Page, Pagination, paginate

router = APIRouter(prefix="/api/v1/audit", tags=["Protokoll"])
COMMON = responses(NotAuthenticated, Forbidden)


def _filter(
    object_type: Annotated[str | None, Query(max_length=32)] = None,
    object_id: Annotated[str | None, Query(max_length=64)] = None,
    actor_id: Annotated[uuid.UUID | None, Query()] = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
    since: Annotated[IsoDateTime | None, Query(alias="from")] = None,
    until: Annotated[IsoDateTime | None, Query(alias="to")] = None,
    case_file_id: Annotated[uuid.UUID | None, Query()] = None,
) -> query.AuditFilter:
    return query.AuditFilter(
        object_type=object_type,
        object_id=object_id,
        actor_id=str(actor_id) if actor_id else None,
        action=action,
        since=_aware(since),
        until=_aware(until),
        case_file_id=str(case_file_id) if case_file_id else None,
    )


def _aware(value: datetime | None) -> datetime | None:
    """Times without an offset are UTC (the log's own timezone)."""
    return value.replace(tzinfo=UTC) if value and value.tzinfo is None else value


Filter = Annotated[query.AuditFilter, Depends(_filter)]


@router.get("", responses=COMMON)
def list_audit_entries(
    flt: Filter, session: DbSession, user: CurrentUser, pagination: Pagination
) -> Page[AuditEntryRead]:
    """Audit entries of the caller's tenant, newest first, filtered by Akte/document
    (``object_type``/``object_id``), a whole Akte with its documents (``case_file_id``),
    person (``actor_id``), ``action`` and period (``from`` inclusive, ``to`` exclusive).
    Tenant admins only."""
    query.require_auditor(user)
    flt = query.with_case_file(session, flt)
    rows, total = paginate(session, query.statement(user, flt), pagination)
    audit.record(session, user, "audit.query", object_type="audit", detail=flt.as_detail())
    return Page.of([AuditEntryRead.model_validate(r) for r in rows], total, pagination)


@router.get(
    "/export.csv",
    responses={**COMMON, 200: {"content": {"text/csv": {}}, "description": "CSV"}},
    response_class=StreamingResponse,
)
def export_audit_entries(
    flt: Filter, ctx: Context, session: DbSession, user: CurrentUser
) -> StreamingResponse:
    """The same entries as CSV, streamed (every match, not one page). Tenant admins only."""
    query.require_auditor(user)
    audit.record(session, user, "audit.export", object_type="audit", detail=flt.as_detail())
    flt = query.with_case_file(session, flt)
    session.commit()  # the export is on the record, and no write lock is held while streaming
    return StreamingResponse(
        query.csv_rows(ctx.session_factory, user, flt),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit.csv"'},
    )
