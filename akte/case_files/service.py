"""Business rules for Akten: uniqueness per tenant, need-to-know access, moving, closing.

Reading goes through :func:`get_visible` (404 for what the caller may not read); changing,
moving and closing through :func:`get_owned` (403 ``lent_access`` for a borrower). The
rules are those of :mod:`akte.auth.permissions`.
"""

from __future__ import annotations

import uuid

from sqlalchemy import Select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from akte.audit import service as audit
from akte.auth import permissions
from akte.auth.permissions import CASE_ROLES, Action
from akte.auth.principal import Principal
from akte.case_files import repository
from akte.case_files.identifiers import normalize_identifier
from akte.case_files.models import CaseFile
from akte.case_files.schemas import CaseFileCreate, CaseFileUpdate
from akte.core.database import utcnow
from akte.core.errors import Conflict, Forbidden, NotFound
from akte.documents import events
from akte.tenants.models import OrgUnit
from akte.users.models import Membership


def _check_org_unit(session: Session, principal: Principal, org_unit_id: uuid.UUID) -> None:
    unit = session.get(OrgUnit, org_unit_id)
    if (
        unit is None
        or unit.tenant_id != principal.tenant_id
        or (org_unit_id not in principal.org_unit_ids)
    ):
        raise NotFound("org unit not found", code="unknown_org_unit")


def _check_owned_unit(session: Session, principal: Principal, org_unit_id: uuid.UUID) -> None:
    """A move's target: the caller must hold it permanently, as they hold the source."""
    _check_org_unit(session, principal, org_unit_id)
    owned = session.scalar(
        permissions.owned_org_units(principal).where(Membership.org_unit_id == org_unit_id)
    )
    if owned is None:
        raise Forbidden(
            "an Akte can only be moved into an org unit you belong to permanently",
            code="lent_access",
        )


def get_visible(session: Session, principal: Principal, case_file_id: uuid.UUID) -> CaseFile:
    """The Akte, if the caller may read it; otherwise it does not exist for them."""
    principal.require_role(*CASE_ROLES)
    case_file = session.scalar(
        repository.readable_statement(principal).where(CaseFile.id == case_file_id)
    )
    if case_file is None:
        raise NotFound("Akte not found")
    return case_file


def get_owned(
    session: Session, principal: Principal, case_file_id: uuid.UUID, action: Action
) -> CaseFile:
    """The Akte, if the caller may do ``action`` in it: borrowed access suffices for the
    lent actions, the others need a permanent membership of the Akte's current org unit.
    404 if the caller cannot even read it, 403 ``lent_access`` if they only borrow it."""
    case_file = get_visible(session, principal, case_file_id)
    if permissions.is_lent(action):
        return case_file
    owned = session.scalar(
        repository.writable_statement(principal).where(CaseFile.id == case_file.id)
    )
    if owned is None:
        raise permissions.lent_access_refused(action)
    return owned


def owns(session: Session, principal: Principal, case_file_id: uuid.UUID) -> bool:
    """Whether the caller owns the Akte (pages offer owner-only actions only then)."""
    stmt = repository.writable_statement(principal).where(CaseFile.id == case_file_id)
    return session.scalar(stmt.with_only_columns(CaseFile.id)) is not None


def _check_unique(
    session: Session, tenant_id: uuid.UUID, aktenzeichen: str, exclude: uuid.UUID | None
) -> None:
    """409 when an Akte has this Aktenzeichen however it is typed (its canonical key)."""
    found = repository.matching_aktenzeichen(session, tenant_id, aktenzeichen, exclude=exclude)
    if found:
        raise Conflict(
            f"Aktenzeichen {aktenzeichen} already exists as {found[0].aktenzeichen}",
            code="duplicate_aktenzeichen",
        )


def create(session: Session, principal: Principal, *, case_file_in: CaseFileCreate) -> CaseFile:
    principal.require_role(*CASE_ROLES)
    assert principal.tenant_id is not None
    _check_org_unit(session, principal, case_file_in.org_unit_id)
    _check_unique(session, principal.tenant_id, case_file_in.aktenzeichen, None)
    data = case_file_in.model_dump(exclude={"address_lines"})
    case_file = CaseFile(
        tenant_id=principal.tenant_id,
        bg_nummer_norm=normalize_identifier(case_file_in.bg_nummer),
        address_lines="\n".join(case_file_in.address_lines or []) or None,
        closed_at=utcnow() if case_file_in.status == "closed" else None,
        **data,
    )
    try:
        with session.begin_nested():  # a concurrent create of the same key loses here
            session.add(case_file)
    except IntegrityError:
        raise Conflict(
            f"Aktenzeichen {case_file_in.aktenzeichen} already exists",
            code="duplicate_aktenzeichen",
        ) from None
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
    changes = case_file_in.model_dump(exclude_unset=True)
    case_file = get_owned(session, principal, case_file_id, _action_of(changes))
    if changes.get("org_unit_id") == case_file.org_unit_id:
        del changes["org_unit_id"]
    if changes.get("status") == case_file.status:
        del changes["status"]
    moved_from = case_file.org_unit_id if "org_unit_id" in changes else None
    if moved_from is not None:
        _check_owned_unit(session, principal, changes["org_unit_id"])
    if "aktenzeichen" in changes:
        _check_unique(session, case_file.tenant_id, changes["aktenzeichen"], case_file.id)
    if "address_lines" in changes:
        changes["address_lines"] = "\n".join(changes["address_lines"] or []) or None
    if "bg_nummer" in changes:
        case_file.bg_nummer_norm = normalize_identifier(changes["bg_nummer"])
    if "status" in changes:
        case_file.closed_at = utcnow() if changes["status"] == "closed" else None
    for name, value in changes.items():
        setattr(case_file, name, value)
    session.flush()
    events.case_file_changed(session, case_file.id)
    detail: dict[str, object] = {"fields": sorted(changes)}
    if moved_from is not None:
        detail.update(from_org_unit_id=str(moved_from), to_org_unit_id=str(case_file.org_unit_id))
    audit.record(
        session,
        principal,
        _audit_action(changes),
        object_type="case_file",
        object_id=case_file.id,
        detail=detail,
    )
    return case_file


def _action_of(changes: dict[str, object]) -> Action:
    if "org_unit_id" in changes:
        return Action.move
    if "status" in changes:
        return Action.close
    return Action.change


def _audit_action(changes: dict[str, object]) -> str:
    if "org_unit_id" in changes:
        return "case_file.move"
    if "status" in changes:
        return "case_file.close" if changes["status"] == "closed" else "case_file.reopen"
    return "case_file.update"


def list_query(
    principal: Principal, *, status: str | None, org_unit_id: uuid.UUID | None, q: str | None
) -> Select[CaseFile]:
    principal.require_role(*CASE_ROLES)
    return repository.filtered(
        repository.readable_statement(principal), status=status, org_unit_id=org_unit_id, q=q
    )
