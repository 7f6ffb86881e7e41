"""Business rules for Akten: uniqueness per tenant, need-to-know access, closing."""

from __future__ import annotations

import uuid

from sqlalchemy import Select
from sqlalchemy.orm import Session

from akte.audit import service as audit
from akte.auth.principal import Principal
from akte.case_files import repository
from akte.case_files.identifiers import normalize_identifier
from akte.case_files.models import CaseFile
from akte.case_files.schemas import CaseFileCreate, CaseFileUpdate
from akte.core.database import utcnow
from akte.core.errors import Conflict, NotFound
from akte.documents import events
from akte.tenants.models import OrgUnit
from akte.users.models import Role

CASE_ROLES = (Role.caseworker, Role.tenant_admin)


def _check_org_unit(session: Session, principal: Principal, org_unit_id: uuid.UUID) -> None:
    unit = session.get(OrgUnit, org_unit_id)
    if unit is None or unit.tenant_id != principal.tenant_id or (
        org_unit_id not in principal.org_unit_ids
    ):
        raise NotFound("org unit not found", code="unknown_org_unit")


def get_visible(session: Session, principal: Principal, case_file_id: uuid.UUID) -> CaseFile:
    """The Akte, if the caller may read it; otherwise it does not exist for them."""
    principal.require_role(*CASE_ROLES)
    case_file = repository.get(session, case_file_id)
    if case_file is None:
        raise NotFound("Akte not found")
    principal.require_case_access(case_file.tenant_id, case_file.org_unit_id, case_file.id)
    return case_file


def create(session: Session, principal: Principal, *, case_file_in: CaseFileCreate) -> CaseFile:
    principal.require_role(*CASE_ROLES)
    assert principal.tenant_id is not None
    _check_org_unit(session, principal, case_file_in.org_unit_id)
    if repository.by_aktenzeichen(session, principal.tenant_id, case_file_in.aktenzeichen):
        raise Conflict(
            f"Aktenzeichen {case_file_in.aktenzeichen} already exists",
            code="duplicate_aktenzeichen",
        )
    data = case_file_in.model_dump(exclude={"address_lines"})
    case_file = CaseFile(
        tenant_id=principal.tenant_id,
        bg_nummer_norm=normalize_identifier(case_file_in.bg_nummer),
        address_lines="\n".join(case_file_in.address_lines or []) or None,
        closed_at=utcnow() if case_file_in.status == "closed" else None,
        **data,
    )
    session.add(case_file)
    session.flush()
    audit.record(
        session,
        principal,
        "case_file.create",
        object_type="case_file",
        object_id=case_file.id,
        detail={"aktenzeichen": case_file.aktenzeichen},
    )
    return case_file


def update(
    session: Session, principal: Principal, case_file_id: uuid.UUID, *, case_file_in: CaseFileUpdate
) -> CaseFile:
    case_file = get_visible(session, principal, case_file_id)
    changes = case_file_in.model_dump(exclude_unset=True)
    if "org_unit_id" in changes:
        _check_org_unit(session, principal, changes["org_unit_id"])
    if "address_lines" in changes:
        changes["address_lines"] = "\n".join(changes["address_lines"] or []) or None
    if "bg_nummer" in changes:
        case_file.bg_nummer_norm = normalize_identifier(changes["bg_nummer"])
    if "status" in changes and changes["status"] != case_file.status:
        case_file.closed_at = utcnow() if changes["status"] == "closed" else None
    for name, value in changes.items():
        setattr(case_file, name, value)
    session.flush()
    events.case_file_changed(session, case_file.id)
    audit.record(
        session,
        principal,
        "case_file.update",
        object_type="case_file",
        object_id=case_file.id,
        detail={"fields": sorted(changes)},
    )
    return case_file


def list_query(
    principal: Principal, *, status: str | None, org_unit_id: uuid.UUID | None, q: str | None
) -> Select[tuple[CaseFile]]:
    principal.require_role(*CASE_ROLES)
    assert principal.tenant_id is not None
    return repository.visible_query(
        principal.tenant_id,
        principal.org_unit_ids,
        principal.granted_case_file_ids,
        status=status,
        org_unit_id=org_unit_id,
        q=q,
    )
