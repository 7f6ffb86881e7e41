"""HTTP API of retention: rules and legal holds (tenant admins), what is due, and the early
deletion of a single document with a reason."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status
from sqlalchemy.orm import Session

from akte.auth.dependencies import CurrentUser
from akte.auth.principal import Principal
from akte.core.dependencies import DbSession
from akte.core.errors import (
    Conflict,
    Forbidden,
    NotAuthenticated,
    NotFound,
    Unprocessable,
    responses,
)
from akte.documents import service as documents
from akte.documents.models import Document
from akte.retention import service
from akte.retention.deletion import delete_document_rows
from akte.retention.schemas import (
    DeleteRequest,
    DueRead,
    HoldCreate,
    HoldRead,
    RuleRead,
    RuleWrite,
)
from akte.users.models import Role

router = APIRouter(prefix="/api/v1", tags=["Aufbewahrung"])
COMMON = responses(NotAuthenticated, Forbidden, NotFound)


@router.get("/retention/rules", responses=COMMON)
def list_rules(session: DbSession, user: CurrentUser) -> list[RuleRead]:
    """The tenant's retention rules (one per Dokumentart, plus the default)."""
    return [RuleRead.model_validate(r) for r in service.list_rules(session, user)]


@router.put("/retention/rules", responses={**COMMON, **responses(Unprocessable)})
def put_rule(body: RuleWrite, session: DbSession, user: CurrentUser) -> RuleRead:
    """Set how many years documents of a Dokumentart (or, without ``doc_type``, all others)
    are kept after the Akte is closed (``after=closed``) or after receipt."""
    return RuleRead.model_validate(service.put_rule(session, user, rule_in=body))


@router.delete(
    "/retention/rules/{rule_id}", status_code=204, responses=COMMON, response_class=Response
)
def delete_rule(rule_id: uuid.UUID, session: DbSession, user: CurrentUser) -> Response:
    """Remove a rule: documents it covered are then kept until another rule applies."""
    service.delete_rule(session, user, rule_id)
    return Response(status_code=204)


@router.get("/retention/holds", responses=COMMON)
def list_holds(
    session: DbSession, user: CurrentUser, include_released: bool = False
) -> list[HoldRead]:
    """Legal holds of the tenant (active ones unless ``include_released``)."""
    holds = service.list_holds(session, user, active_only=not include_released)
    return [HoldRead.model_validate(h) for h in holds]


@router.post(
    "/retention/holds",
    status_code=status.HTTP_201_CREATED,
    responses={**COMMON, **responses(Unprocessable)},
)
def create_hold(body: HoldCreate, session: DbSession, user: CurrentUser) -> HoldRead:
    """Put an Akte or a document on legal hold: nothing in it is deleted until released."""
    return HoldRead.model_validate(service.create_hold(session, user, hold_in=body))


@router.post("/retention/holds/{hold_id}/release", responses=COMMON)
def release_hold(hold_id: uuid.UUID, session: DbSession, user: CurrentUser) -> HoldRead:
    """Release a hold (it stays listed as released, for the record)."""
    return HoldRead.model_validate(service.release_hold(session, user, hold_id))


@router.get("/retention/due", responses=COMMON)
def list_due(session: DbSession, user: CurrentUser) -> list[DueRead]:
    """Documents of the tenant whose retention period has passed (``akte retention run``
    deletes them)."""
    user.require_role(Role.tenant_admin)
    due = service.due_documents(session, principal=user)
    return [DueRead.model_validate(d, from_attributes=True) for d in due]


def _deletable(session: Session, user: Principal, document_id: uuid.UUID) -> Document:
    user.require_role(Role.caseworker, Role.tenant_admin)
    return documents.get_deletable(session, user, document_id)


@router.delete(
    "/documents/{document_id}",
    status_code=204,
    responses={**COMMON, **responses(Conflict, Unprocessable)},
    response_class=Response,
)
def delete_document(
    document_id: uuid.UUID, body: DeleteRequest, session: DbSession, user: CurrentUser
) -> Response:
    """Delete a document before its retention period ends (e.g. an ID-card copy that must
    not be kept), with every version, derived file and index entry. A caseworker of the
    Akte's org unit (permanent member; a grant or deputy period is not enough: 403
    ``lent_access``) or a tenant admin may do this; the ``reason`` is audited. A legal
    hold refuses it (409)."""
    document = _deletable(session, user, document_id)
    service.require_not_held(session, document)
    delete_document_rows(session, user, document, reason=body.reason)
    return Response(status_code=204)
