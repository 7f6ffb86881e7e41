"""HTTP API of the Zuständigkeitswechsel (:mod:`records.transfers`).

Tenant admins only: the sender's admin requests and may withdraw, the receiver's admin
accepts into an org unit or refuses. A transfer of another pair of tenants does not exist
for the caller (404); a caseworker gets 403.
"""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter, status

from akte.audit import service as audit
from akte.auth.dependencies import CurrentUser
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
from records import transfers
from records.schemas import TransferAccept, TransferCreate, TransferRead

router = APIRouter(tags=["Zuständigkeitswechsel"])
COMMON = responses(NotAuthenticated, Forbidden, NotFound)
WRITE = responses(Conflict, Unprocessable)


@router.post("/transfers", status_code=status.HTTP_201_CREATED, responses={**COMMON, **WRITE})
def request_transfer(body: TransferCreate, session: DbSession, user: CurrentUser) -> TransferRead:
    """Ask another tenant (``to_tenant``: its short name) to take over an Akte of the own
    tenant. Refused (409) while the Akte or a document is under a legal hold or a letter is
    still on its way to the printer; 422 ``unknown_tenant`` for a tenant that does not
    exist."""
    row = transfers.request(
        session, user, case_file_id=body.case_file_id, to_tenant=body.to_tenant, reason=body.reason
    )
    return TransferRead.model_validate(row)


@router.get("/transfers", responses=COMMON)
def list_transfers(
    session: DbSession,
    user: CurrentUser,
    pagination: Pagination,
    direction: Literal["incoming", "outgoing"] | None = None,
) -> Page[TransferRead]:
    """The tenant's transfers, sent and received, newest first."""
    rows, total = paginate(session, transfers.list_statement(user, direction), pagination)
    audit.record(session, user, "records.transfer.list", detail={"count": len(rows)})
    return Page.of([TransferRead.model_validate(r) for r in rows], total, pagination)


@router.get("/transfers/{transfer_id}", responses=COMMON)
def read_transfer(transfer_id: uuid.UUID, session: DbSession, user: CurrentUser) -> TransferRead:
    """One transfer (the sender's trace after the move: when, which Akte, to whom)."""
    row = transfers.get(session, user, transfer_id)
    audit.record(session, user, "records.transfer.read", object_type="transfer", object_id=row.id)
    return TransferRead.model_validate(row)


@router.post("/transfers/{transfer_id}/accept", responses={**COMMON, **WRITE})
def accept_transfer(
    transfer_id: uuid.UUID, body: TransferAccept, session: DbSession, user: CurrentUser
) -> TransferRead:
    """The receiving tenant takes the Akte into one of its org units; a job moves it
    (documents, versions, notes, Vorgänge, audit trail) and swaps it between the search
    indexes."""
    row = transfers.accept(session, user, transfer_id, org_unit_id=body.org_unit_id)
    return TransferRead.model_validate(row)


@router.post("/transfers/{transfer_id}/refuse", responses={**COMMON, **WRITE})
def refuse_transfer(transfer_id: uuid.UUID, session: DbSession, user: CurrentUser) -> TransferRead:
    """The receiver declines an open request, or the sender withdraws it."""
    return TransferRead.model_validate(transfers.refuse(session, user, transfer_id))
