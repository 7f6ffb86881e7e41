"""Zuständigkeitswechsel in the browser (``/app/verwaltung/wechsel``) for tenant admins.

The sending admin starts a transfer from the Akte's administration page; both sides see
the tenant's transfers, incoming and outgoing, with their state; the receiving admin
accepts into one of their org units or refuses, the sending admin may withdraw while the
request is open. Every page calls :mod:`records.transfers`, the service the API calls, so
role and tenant checks are its own: a caseworker gets 403, another pair of tenants'
transfers are never listed (:func:`records.transfers.readable_statement`).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from akte.audit import service as audit
from akte.auth.principal import Principal
from akte.core.dependencies import DbSession
from akte.core.errors import AkteError, Conflict, Forbidden, NotFound, Unprocessable
from akte.tenants import service as tenants
from akte.tenants.models import Tenant
from akte.users.models import Role
from akte.web import messages
from akte.web.deps import CsrfChecked, Staff
from akte.web.errors import PageRoute
from akte.web.pages import page
from records import transfers
from records.models import Transfer, TransferStatus

router = APIRouter(prefix="/app/verwaltung", include_in_schema=False, route_class=PageRoute)
STATES = {
    TransferStatus.requested: "angefragt – Entscheidung des neuen Jobcenters ausstehend",
    TransferStatus.accepted: "angenommen – wird übertragen",
    TransferStatus.done: "übertragen",
    TransferStatus.refused: "abgelehnt",
    TransferStatus.cancelled: "zurückgezogen",
    TransferStatus.failed: "fehlgeschlagen",
}
LIST = "/app/verwaltung/wechsel"


def _admin(principal: Principal) -> uuid.UUID:
    principal.require_role(Role.tenant_admin)
    assert principal.tenant_id is not None
    return principal.tenant_id


def _page(
    request: Request,
    session: DbSession,  # type: ignore[valid-type]
    principal: Principal,
    *,
    error: AkteError | None = None,
    form: dict[str, Any] | None = None,
) -> Response:
    tenant_id = _admin(principal)
    rows = list(session.scalars(transfers.list_statement(principal).limit(500)))
    partner_ids = {r.from_tenant_id for r in rows} | {r.to_tenant_id for r in rows}
    names = {
        t.id: t.name for t in session.scalars(select(Tenant).where(Tenant.id.in_(partner_ids)))
    }
    units = list(session.scalars(tenants.org_units_query(session, principal, tenant_id)))
    audit.record(session, principal, "records.transfer.list", detail={"count": len(rows)})
    return page(
        request,
        principal,
        "verwaltung_wechsel.html",
        {
            "nav": "verwaltung",
            "sub": "wechsel",
            "incoming": [r for r in rows if r.to_tenant_id == tenant_id],
            "outgoing": [r for r in rows if r.from_tenant_id == tenant_id],
            "names": names,
            "units": units,
            "unit_names": {u.id: f"{u.code} – {u.name}" for u in units},
            "states": STATES,
            "form": form or {},
            "error": messages.german(error) if error else None,
        },
        error.status_code if error else 200,
    )


@router.get("/wechsel")
def transfer_list(request: Request, session: DbSession, principal: Staff) -> Response:
    """The tenant's transfers: incoming (to decide) and outgoing (to follow or withdraw)."""
    return _page(request, session, principal)


def _act(
    request: Request,
    session: DbSession,  # type: ignore[valid-type]
    principal: Principal,
    action: Any,
    message: str,
    form: dict[str, Any] | None = None,
) -> Response:
    try:
        action()
    except (Conflict, Unprocessable, Forbidden, NotFound) as exc:
        session.rollback()
        return _page(request, session, principal, error=exc, form=form)
    session.commit()  # durable before the browser follows the answer
    return RedirectResponse(f"{LIST}?msg={message}", status_code=303)


@router.post("/akten/{case_file_id}/wechsel", dependencies=[CsrfChecked])
def start_transfer(
    case_file_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: Staff,
    to_tenant: Annotated[str, Form(max_length=100)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Ask another jobcenter of this installation to take over the Akte."""
    _admin(principal)
    form = {"to_tenant": to_tenant, "reason": reason}
    if not to_tenant.strip() or len(reason.strip()) < 3:
        return _page(
            request,
            session,
            principal,
            error=Unprocessable(
                "Bitte den Kurznamen des neuen Jobcenters und einen Grund angeben.",
                code="invalid_form",
            ),
            form=form,
        )
    return _act(
        request,
        session,
        principal,
        lambda: transfers.request(
            session,
            principal,
            case_file_id=case_file_id,
            to_tenant=to_tenant.strip(),
            reason=reason.strip(),
        ),
        "transfer_requested",
        form,
    )


def _own_side(
    session: DbSession,  # type: ignore[valid-type]
    principal: Principal,
    transfer_id: uuid.UUID,
    *,
    receiving: bool,
) -> Transfer:
    """The transfer, when the caller's tenant is the side that may do this (403 else)."""
    row = transfers.get(session, principal, transfer_id)  # 404 for another pair
    side = row.to_tenant_id if receiving else row.from_tenant_id
    if side != principal.tenant_id:
        who = "the receiving" if receiving else "the sending"
        raise Forbidden(f"only {who} tenant may do this", code="wrong_side")
    return row


@router.post("/wechsel/{transfer_id}/annehmen", dependencies=[CsrfChecked])
def accept_transfer(
    transfer_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: Staff,
    org_unit_id: Annotated[uuid.UUID, Form()],
) -> Response:
    """Take the Akte into one of the tenant's org units; a job moves it."""
    _admin(principal)
    return _act(
        request,
        session,
        principal,
        lambda: transfers.accept(session, principal, transfer_id, org_unit_id=org_unit_id),
        "transfer_accepted",
    )


@router.post("/wechsel/{transfer_id}/ablehnen", dependencies=[CsrfChecked])
def refuse_transfer(
    transfer_id: uuid.UUID, request: Request, session: DbSession, principal: Staff
) -> Response:
    """The receiving tenant declines the Akte; it stays with the sender."""
    _admin(principal)

    def refuse() -> None:
        _own_side(session, principal, transfer_id, receiving=True)
        transfers.refuse(session, principal, transfer_id)

    return _act(request, session, principal, refuse, "transfer_refused")


@router.post("/wechsel/{transfer_id}/zurueckziehen", dependencies=[CsrfChecked])
def withdraw_transfer(
    transfer_id: uuid.UUID, request: Request, session: DbSession, principal: Staff
) -> Response:
    """The sending tenant withdraws its open request."""
    _admin(principal)

    def withdraw() -> None:
        _own_side(session, principal, transfer_id, receiving=False)
        transfers.refuse(session, principal, transfer_id)

    return _act(request, session, principal, withdraw, "transfer_withdrawn")
