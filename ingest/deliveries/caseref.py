"""Finding the Akte a manifest row names, by Aktenzeichen and/or BG-Nummer.

The rule is: never file a document into an Akte the row does not clearly name.

* Aktenzeichen and BG-Nummer both given: they must lead to the same Akte. If the
  Aktenzeichen's Akte carries a different BG-Nummer, or the BG-Nummer belongs to another
  Akte, the row is rejected (``case_file_conflict``).
* Only a BG-Nummer: exactly one Akte must carry it (else ``ambiguous_bg_nummer``); an
  unknown BG-Nummer alone cannot create an Akte (an Aktenzeichen is required for that).
* Nothing found: with the tenant option ``import_creates_case_files`` the Akte is created
  in the org unit named by ``import_org_unit`` (its code; or the tenant's only org unit),
  otherwise the row is rejected (``unknown_case_file``).
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from akte.audit import service as audit
from akte.auth.principal import Principal
from akte.case_files import repository as case_files
from akte.case_files.identifiers import normalize_identifier
from akte.case_files.models import CaseFile
from akte.documents import events
from akte.tenants.models import OrgUnit, Tenant
from ingest.deliveries.checks import Rejection


def _conflict(message: str) -> Rejection:
    return Rejection("case_file_conflict", message)


def resolve(
    session: Session,
    tenant: Tenant,
    principal: Principal | None,
    *,
    aktenzeichen: str | None,
    bg_nummer: str | None,
) -> CaseFile:
    """The Akte the row names (found or created), or a :class:`Rejection`."""
    by_az = case_files.by_aktenzeichen(session, tenant.id, aktenzeichen) if aktenzeichen else None
    by_bg = case_files.by_bg_nummer(session, tenant.id, bg_nummer) if bg_nummer else []
    bg_norm = normalize_identifier(bg_nummer)
    if by_az is not None:
        if bg_nummer:
            if by_bg and by_az not in by_bg:
                raise _conflict(
                    f"Aktenzeichen {aktenzeichen} and BG-Nummer {bg_nummer} name different Akten"
                )
            if by_az.bg_nummer_norm and by_az.bg_nummer_norm != bg_norm:
                raise _conflict(
                    f"Akte {aktenzeichen} has BG-Nummer {by_az.bg_nummer}, the row {bg_nummer}"
                )
        return by_az
    if by_bg:
        if aktenzeichen:
            raise _conflict(
                f"BG-Nummer {bg_nummer} belongs to Akte {by_bg[0].aktenzeichen}, "
                f"not to the unknown Aktenzeichen {aktenzeichen}"
            )
        if len(by_bg) > 1:
            raise Rejection(
                "ambiguous_bg_nummer", f"BG-Nummer {bg_nummer} belongs to {len(by_bg)} Akten"
            )
        return by_bg[0]
    if not aktenzeichen:
        if bg_nummer:
            raise Rejection(
                "unknown_case_file",
                f"no Akte has BG-Nummer {bg_nummer}; a new Akte needs an Aktenzeichen",
            )
        raise Rejection("missing_case_reference", "the row names no Aktenzeichen or BG-Nummer")
    if not (tenant.options or {}).get("import_creates_case_files"):
        raise Rejection(
            "unknown_case_file",
            f"no Akte {aktenzeichen} exists and this tenant does not create Akten on import",
        )
    return _create(session, tenant, principal, aktenzeichen=aktenzeichen, bg_nummer=bg_nummer)


def _org_unit(session: Session, tenant: Tenant) -> uuid.UUID:
    code = (tenant.options or {}).get("import_org_unit")
    stmt = select(OrgUnit.id).where(OrgUnit.tenant_id == tenant.id)
    if code:
        unit_id = session.scalar(stmt.where(OrgUnit.code == code))
        if unit_id is None:
            raise Rejection("unknown_case_file", f"the import org unit {code} does not exist")
        return unit_id
    units = list(session.scalars(stmt.limit(2)))
    if len(units) != 1:
        raise Rejection(
            "unknown_case_file",
            "cannot create the Akte: set the tenant option import_org_unit to an org unit code",
        )
    return units[0]


def _create(
    session: Session,
    tenant: Tenant,
    principal: Principal | None,
    *,
    aktenzeichen: str,
    bg_nummer: str | None,
) -> CaseFile:
    """A new Akte; a concurrent import that created it first wins and is used instead."""
    case_file = CaseFile(
        tenant_id=tenant.id,
        org_unit_id=_org_unit(session, tenant),
        aktenzeichen=aktenzeichen.strip(),
        bg_nummer=bg_nummer,
        bg_nummer_norm=normalize_identifier(bg_nummer),
    )
    try:
        with session.begin_nested():
            session.add(case_file)
    except IntegrityError:
        existing = case_files.by_aktenzeichen(session, tenant.id, aktenzeichen)
        if existing is None:
            raise
        return existing
    events.case_file_changed(session, case_file.id)
    audit.record(
        session,
        principal,
        "case_file.create",
        object_type="case_file",
        object_id=case_file.id,
        tenant_id=tenant.id,
        detail={"aktenzeichen": case_file.aktenzeichen, "via": "delivery import"},
    )
    return case_file
