"""Granting and revoking single-Akte access; which Akten a set of org units may read.

Only a tenant admin of the Akte's tenant manages grants. The Akte and the org unit must
both belong to that tenant; anything else does not exist for the caller (404).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from akte.audit import service as audit
from akte.auth.principal import Principal
from akte.case_files import repository as case_file_scope
from akte.case_files.models import CaseFile
from akte.core.database import utcnow
from akte.core.errors import NotFound
from akte.grants.models import CaseFileGrant
from akte.grants.schemas import GrantRead, GrantWrite
from akte.tenants.models import OrgUnit
from akte.users.models import Role


def granted_case_file_ids(
    session: Session, org_unit_ids: Collection[uuid.UUID]
) -> frozenset[uuid.UUID]:
    """Akten shared with any of these org units by an unexpired grant."""
    if not org_unit_ids:
        return frozenset()
    now = utcnow()
    rows = session.scalars(
        select(CaseFileGrant.case_file_id).where(
            CaseFileGrant.org_unit_id.in_(list(org_unit_ids)),
            or_(CaseFileGrant.valid_until.is_(None), CaseFileGrant.valid_until > now),
        )
    )
    return frozenset(rows)


def readable_statement(principal: Principal) -> Select[tuple[CaseFileGrant]]:
    """Grants the caller may list and change: those on Akten they administer."""
    akten = case_file_scope.administered_statement(principal).with_only_columns(CaseFile.id)
    return select(CaseFileGrant).where(CaseFileGrant.case_file_id.in_(akten))


def _administered(session: Session, principal: Principal, case_file_id: uuid.UUID) -> CaseFile:
    principal.require_role(Role.tenant_admin)
    case_file = session.scalar(
        case_file_scope.administered_statement(principal).where(CaseFile.id == case_file_id)
    )
    if case_file is None:
        raise NotFound("Akte not found")
    return case_file


def to_read(grant: CaseFileGrant) -> GrantRead:
    read = GrantRead.model_validate(grant)
    read.active = grant.valid_until is None or grant.valid_until > utcnow()
    return read


def list_grants(
    session: Session, principal: Principal, case_file_id: uuid.UUID
) -> list[CaseFileGrant]:
    case_file = _administered(session, principal, case_file_id)
    return list(
        session.scalars(
            readable_statement(principal)
            .where(CaseFileGrant.case_file_id == case_file.id)
            .order_by(CaseFileGrant.created_at)
        )
    )


def grant(
    session: Session,
    principal: Principal,
    case_file_id: uuid.UUID,
    org_unit_id: uuid.UUID,
    *,
    grant_in: GrantWrite,
) -> CaseFileGrant:
    """Create or change (e.g. extend) the grant; idempotent for the same body."""
    case_file = _administered(session, principal, case_file_id)
    unit = session.get(OrgUnit, org_unit_id)
    if unit is None or unit.tenant_id != case_file.tenant_id:
        raise NotFound("org unit not found")
    row = session.scalar(
        select(CaseFileGrant).where(
            CaseFileGrant.case_file_id == case_file.id, CaseFileGrant.org_unit_id == unit.id
        )
    )
    if row is None:
        row = CaseFileGrant(
            tenant_id=case_file.tenant_id, case_file_id=case_file.id, org_unit_id=unit.id
        )
        session.add(row)
    row.valid_until = grant_in.valid_until
    row.granted_by_id = principal.user_id
    session.flush()
    audit.record(
        session,
        principal,
        "grant.create",
        object_type="case_file",
        object_id=case_file.id,
        detail={
            "org_unit_id": str(unit.id),
            "valid_until": grant_in.valid_until.isoformat() if grant_in.valid_until else None,
        },
    )
    return row


def revoke(
    session: Session, principal: Principal, case_file_id: uuid.UUID, org_unit_id: uuid.UUID
) -> None:
    """Withdraw a grant; one on an Akte the caller does not administer does not exist."""
    principal.require_role(Role.tenant_admin)
    row = session.scalar(
        readable_statement(principal).where(
            CaseFileGrant.case_file_id == case_file_id, CaseFileGrant.org_unit_id == org_unit_id
        )
    )
    if row is None:
        raise NotFound("grant not found")
    session.delete(row)
    session.flush()
    audit.record(
        session,
        principal,
        "grant.revoke",
        object_type="case_file",
        object_id=row.case_file_id,
        detail={"org_unit_id": str(org_unit_id)},
    )
