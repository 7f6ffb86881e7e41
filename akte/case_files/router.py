"""HTTP API of Akten: ``/api/v1/case-files``."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from akte.audit import service as audit
from akte.auth.dependencies import CurrentUser
from akte.case_files import service
from akte.case_files.schemas import CaseFileCreate, CaseFileRead, CaseFileStatus, CaseFileUpdate
from akte.core.dependencies import DbSession
from akte.core.errors import (
    Conflict,
    Forbidden,
    NotAuthenticated,
    NotFound,
    Unprocessable,
    responses,
)
from akte.core.pagination import Page, Pagination, paginate

router = APIRouter(prefix="/api/v1/case-files", tags=["Akten"])
COMMON = responses(NotAuthenticated, Forbidden, NotFound)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={**COMMON, **responses(Conflict, Unprocessable)},
)
def create_case_file(body: CaseFileCreate, session: DbSession, user: CurrentUser) -> CaseFileRead:
    """Create an Akte in one of the caller's org units. The Aktenzeichen is unique per tenant."""
    return CaseFileRead.model_validate(service.create(session, user, case_file_in=body))


@router.get("", responses=COMMON)
def list_case_files(
    session: DbSession,
    user: CurrentUser,
    pagination: Pagination,
    status: CaseFileStatus | None = None,
    org_unit_id: uuid.UUID | None = None,
    q: Annotated[
        str | None,
        Query(max_length=200, description="Aktenzeichen, BG-Nummer, Kundennummer or name"),
    ] = None,
) -> Page[CaseFileRead]:
    """Akten the caller may read, newest first, optionally filtered."""
    stmt = service.list_query(user, status=status, org_unit_id=org_unit_id, q=q)
    rows, total = paginate(session, stmt, pagination)
    audit.record(session, user, "case_file.list", detail={"q": q, "total": total})
    return Page.of([CaseFileRead.model_validate(r) for r in rows], total, pagination)


@router.get("/{case_file_id}", responses=COMMON)
def get_case_file(case_file_id: uuid.UUID, session: DbSession, user: CurrentUser) -> CaseFileRead:
    """One Akte; 404 if it does not exist or the caller may not read it."""
    case_file = service.get_visible(session, user, case_file_id)
    audit.record(session, user, "case_file.open", object_type="case_file", object_id=case_file.id)
    return CaseFileRead.model_validate(case_file)


@router.patch("/{case_file_id}", responses={**COMMON, **responses(Unprocessable)})
def update_case_file(
    case_file_id: uuid.UUID, body: CaseFileUpdate, session: DbSession, user: CurrentUser
) -> CaseFileRead:
    """Change an Akte's metadata, move it to another org unit, or close/reopen it."""
    return CaseFileRead.model_validate(
        service.update(session, user, case_file_id, case_file_in=body)
    )
