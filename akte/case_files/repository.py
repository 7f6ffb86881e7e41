"""Queries on Akten. What a principal may read or change is built by
:func:`readable_statement` and :func:`writable_statement` only; the lookups by Aktenzeichen
or BG-Nummer serve internal callers (deliveries) that resolve within a known tenant."""

from __future__ import annotations

import uuid

from sqlalchemy import Select, false, or_, select
from sqlalchemy.orm import Session

from akte.auth import permissions
from akte.auth.principal import Principal
from akte.case_files.identifiers import canonical_key, normalize_identifier, tenant_pattern
from akte.case_files.models import CaseFile
from akte.case_files.names import fold_name
from akte.tenants.models import Tenant
from akte.users.models import Role


def get(session: Session, case_file_id: uuid.UUID) -> CaseFile | None:
    return session.get(CaseFile, case_file_id)


def aktenzeichen_key(session: Session, tenant_id: uuid.UUID, aktenzeichen: str) -> str | None:
    """The canonical key of ``aktenzeichen`` under the tenant's pattern."""
    tenant = session.get(Tenant, tenant_id)
    return canonical_key(aktenzeichen, tenant_pattern(tenant.options if tenant else None))


def matching_aktenzeichen(
    session: Session, tenant_id: uuid.UUID, aktenzeichen: str, *, exclude: uuid.UUID | None = None
) -> list[CaseFile]:
    """Akten whose Aktenzeichen is the same however typed, the exactly typed one first.

    More than one only for Akten that collided when the key was introduced: the younger
    ones keep no key and are found by their exact spelling.
    """
    key = aktenzeichen_key(session, tenant_id, aktenzeichen)
    stmt = select(CaseFile).where(
        CaseFile.tenant_id == tenant_id,
        or_(CaseFile.aktenzeichen_key == key, CaseFile.aktenzeichen == aktenzeichen.strip()),
    )
    if exclude is not None:
        stmt = stmt.where(CaseFile.id != exclude)
    found = list(session.scalars(stmt))
    found.sort(key=lambda c: c.aktenzeichen != aktenzeichen.strip())
    return found


def by_aktenzeichen(session: Session, tenant_id: uuid.UUID, aktenzeichen: str) -> CaseFile | None:
    """The Akte this Aktenzeichen names however it is typed (the exact spelling wins)."""
    found = matching_aktenzeichen(session, tenant_id, aktenzeichen)
    return found[0] if found else None


def by_bg_nummer(session: Session, tenant_id: uuid.UUID, bg_nummer: str) -> list[CaseFile]:
    return list(
        session.scalars(
            select(CaseFile).where(
                CaseFile.tenant_id == tenant_id,
                CaseFile.bg_nummer_norm == normalize_identifier(bg_nummer),
            )
        )
    )


def readable_statement(principal: Principal) -> Select[CaseFile]:
    """Every Akte the caller may read (see :mod:`akte.auth.permissions`). The one place
    the Akte's read scope is written: lists, lookups by id, the web pages, the database
    search and the scopes of documents, letters and upload codes all start from it."""
    return select(CaseFile).where(permissions.readable_case_file_clause(principal))


def writable_statement(principal: Principal) -> Select[CaseFile]:
    """Every Akte the caller owns: may move, close, change, delete or version documents in,
    and issue upload codes for. Borrowed access (grant, deputy) is not enough."""
    return select(CaseFile).where(permissions.owned_case_file_clause(principal))


def administered_statement(principal: Principal) -> Select[CaseFile]:
    """Every Akte the caller administers (grants): all of their tenant's, for tenant admins.
    Administering is not reading: it opens no documents."""
    if principal.role is not Role.tenant_admin or principal.tenant_id is None:
        return select(CaseFile).where(false())
    return select(CaseFile).where(CaseFile.tenant_id == principal.tenant_id)


def filtered(
    stmt: Select[CaseFile],
    *,
    status: str | None = None,
    org_unit_id: uuid.UUID | None = None,
    q: str | None = None,
) -> Select[CaseFile]:
    """A scope statement narrowed by what the user asked for, newest first."""
    if status:
        stmt = stmt.where(CaseFile.status == status)
    if org_unit_id:
        stmt = stmt.where(CaseFile.org_unit_id == org_unit_id)
    if q:
        norm = normalize_identifier(q) or ""
        like = f"%{q.strip()}%"
        stmt = stmt.where(
            or_(
                CaseFile.aktenzeichen.ilike(like),
                CaseFile.aktenzeichen_key == norm,
                CaseFile.aktenzeichen_key.startswith(norm or "\0"),
                CaseFile.bg_nummer_norm == norm,
                CaseFile.kundennummer_norm == norm,
                CaseFile.person_name.ilike(like),
                # "Yilmaz" finds Yılmaz, "Mueller" Müller (akte.case_files.names)
                CaseFile.person_name_key.contains(fold_name(q) or "\0", autoescape=True),
                CaseFile.betreff.ilike(like),
            )
        )
    return stmt.order_by(CaseFile.created_at.desc(), CaseFile.id)
