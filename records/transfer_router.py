"""HTTP API of the Zuständigkeitswechsel (:mod:`records.transfers`).

Tenant admins only: the sender's admin requests and may withdraw, the receiver's admin
accepts into an org unit or refuses. A transfer of another pair of tenants does not exist
for the caller (404); a caseworker gets 403.
"""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter, Request, status
from fastapi.responses import Response

from akte.audit import service as audit
from akte.auth.dependencies import CurrentUser
from akte.core.dependencies import DbSession, Storage
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
from records.downloads import blob_response
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


@router.get(
    "/transfers/{transfer_id}/audit-trail",
    response_class=Response,
    responses={**COMMON, **responses(Conflict)},
)
def travelled_audit_trail(
    transfer_id: uuid.UUID,
    request: Request,
    session: DbSession,
    storage: Storage,
    user: CurrentUser,
) -> Response:
    """The sending tenant's audit entries about the Akte and its documents, as they
    travelled with it (JSON; its SHA-256 is named in the receiver's
    ``records.transfer.received`` entry and checked while streaming). The receiving
    tenant's admins only; every download is audited."""
    row = transfers.travelled_trail(session, user, transfer_id)
    assert row.audit_trail_sha256 is not None
    audit.record(
        session,
        user,
        "records.transfer.audit_trail",
        object_type="case_file",
        object_id=row.case_file_id,
        detail={"transfer_id": str(row.id), "sha256": row.audit_trail_sha256},
    )
    return blob_response(
        request,
        session,
        storage,
        sha256=row.audit_trail_sha256,
        filename=f"protokoll-{row.aktenzeichen}-{row.id}.json",
        media_type="application/json",
    )
