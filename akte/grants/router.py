"""HTTP API of single-Akte grants: ``/api/v1/case-files/{id}/grants`` (tenant admins)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from akte.auth.dependencies import CurrentUser
from akte.core.dependencies import DbSession
from akte.core.errors import Forbidden, NotAuthenticated, NotFound, responses
from akte.grants import service
from akte.grants.schemas import GrantRead, GrantWrite

router = APIRouter(prefix="/api/v1/case-files/{case_file_id}/grants", tags=["Freigaben"])
COMMON = responses(NotAuthenticated, Forbidden, NotFound)


@router.get("", responses=COMMON)
def list_grants(case_file_id: uuid.UUID, session: DbSession, user: CurrentUser) -> list[GrantRead]:
    """Org units this Akte is shared with, expired grants included (``active`` false)."""
    return [service.to_read(g) for g in service.list_grants(session, user, case_file_id)]


@router.put("/{org_unit_id}", responses=COMMON)
def put_grant(
    case_file_id: uuid.UUID,
    org_unit_id: uuid.UUID,
    body: GrantWrite,
    session: DbSession,
    user: CurrentUser,
) -> GrantRead:
    """Share the Akte with an org unit of the same tenant, optionally until ``valid_until``
    (it then expires by itself). Deputies (Vertretung) of a person are given a time-limited
    membership instead: ``PUT /api/v1/users/{id}/memberships/{org_unit_id}``."""
    return service.to_read(service.grant(session, user, case_file_id, org_unit_id, grant_in=body))


@router.delete(
    "/{org_unit_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=COMMON,
    response_class=Response,
)
def delete_grant(
    case_file_id: uuid.UUID, org_unit_id: uuid.UUID, session: DbSession, user: CurrentUser
) -> Response:
    """Withdraw the grant at once."""
    service.revoke(session, user, case_file_id, org_unit_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
