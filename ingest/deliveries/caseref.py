"""Finding the Akte a manifest row names, by Aktenzeichen and/or BG-Nummer.

The rule is: never file a document into an Akte the row does not clearly name.

* Aktenzeichen and BG-Nummer both given: they must lead to the same Akte. If the
  Aktenzeichen's Akte carries a different BG-Nummer, or the BG-Nummer belongs to another
  Akte, the row is rejected (``case_file_conflict``).
* Only a BG-Nummer: exactly one Akte must carry it (else ``ambiguous_bg_nummer``); an
  unknown BG-Nummer alone cannot create an Akte (an Aktenzeichen is required for that).
* The Aktenzeichen is compared by its canonical key (spacing, hyphens, slashes, dots,
  case and, with the tenant's ``aktenzeichen_pattern``, leading zeros do not matter): ``AZ
  2023-004711`` finds ``AZ-2023-004711``. Two old Akten that share a key (collisions kept
  by the migration) make a row that spells neither exactly ``ambiguous_aktenzeichen``.
* Nothing found: with the tenant option ``import_creates_case_files`` the Akte is created
  in the org unit named by ``import_org_unit`` (its code; or the tenant's only org unit),
  otherwise the row is rejected (``unknown_case_file``).
"""

from __future__ import annotations

from dataclasses import dataclass

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


def _by_aktenzeichen(session: Session, tenant: Tenant, aktenzeichen: str) -> CaseFile | None:
    found = case_files.matching_aktenzeichen(session, tenant.id, aktenzeichen)
    if len(found) > 1 and found[0].aktenzeichen != aktenzeichen.strip():
        raise Rejection(
            "ambiguous_aktenzeichen",
            f"Aktenzeichen {aktenzeichen} matches the Akten "
            + ", ".join(c.aktenzeichen for c in found[:5])
            + "; write it exactly",
        )
    return found[0] if found else None


@dataclass
class Plan:
    """What a row's case reference leads to: an existing Akte, or a new one in a unit."""

    case_file: CaseFile | None = None
    new_org_unit: OrgUnit | None = None


def plan(
    session: Session, tenant: Tenant, *, aktenzeichen: str | None, bg_nummer: str | None
) -> Plan:
    """Where the row would go, without writing anything; a :class:`Rejection` if nowhere."""
    by_az = _by_aktenzeichen(session, tenant, aktenzeichen) if aktenzeichen else None
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
        return Plan(case_file=by_az)
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
        return Plan(case_file=by_bg[0])
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
            f"no Akte {aktenzeichen} exists and this tenant does not create Akten on import "
            "(tenant option import_creates_case_files)",
        )
    return Plan(new_org_unit=_org_unit(session, tenant))


def resolve(
    session: Session,
    tenant: Tenant,
    principal: Principal | None,
    *,
    aktenzeichen: str | None,
    bg_nummer: str | None,
    person_name: str | None = None,
    subject: str | None = None,
) -> CaseFile:
    """The Akte the row names (found or created), or a :class:`Rejection`."""
    found = plan(session, tenant, aktenzeichen=aktenzeichen, bg_nummer=bg_nummer)
    if found.case_file is not None:
        return found.case_file
    assert found.new_org_unit is not None and aktenzeichen
    return _create(
        session,
        tenant,
        principal,
        found.new_org_unit,
        aktenzeichen=aktenzeichen,
        bg_nummer=bg_nummer,
        person_name=person_name,
        subject=subject,
    )


def _org_unit(session: Session, tenant: Tenant) -> OrgUnit:
    code = (tenant.options or {}).get("import_org_unit")
    stmt = select(OrgUnit).where(OrgUnit.tenant_id == tenant.id)
    if code:
        unit = session.scalar(stmt.where(OrgUnit.code == code))
        if unit is None:
            raise Rejection("unknown_case_file", f"the import org unit {code} does not exist")
        return unit
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
    unit: OrgUnit,
    *,
    aktenzeichen: str,
    bg_nummer: str | None,
    person_name: str | None,
    subject: str | None,
) -> CaseFile:
    """A new Akte; a concurrent import that created it first wins and is used instead."""
    case_file = CaseFile(
        tenant_id=tenant.id,
        org_unit_id=unit.id,
        aktenzeichen=aktenzeichen.strip(),
        bg_nummer=bg_nummer,
        bg_nummer_norm=normalize_identifier(bg_nummer),
        person_name=(person_name or "")[:200] or None,
        betreff=(subject or "")[:500] or None,
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
