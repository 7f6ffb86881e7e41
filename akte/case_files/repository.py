"""Queries on Akten. What a principal may read or change is built by
:func:`readable_statement` and :func:`writable_statement` only; the lookups by Aktenzeichen
or BG-Nummer serve internal callers (deliveries) that resolve within a known tenant."""

from __future__ import annotations

import uuid

from sqlalchemy import Select, false, or_, select
from sqlalchemy.orm import Session

from akte.auth import permissions
from akte.auth.principal import Principal
from akte.case_files.identifiers import normalize_identifier
from akte.case_files.models import CaseFile
from akte.users.models import Role


def get(session: Session, case_file_id: uuid.UUID) -> CaseFile | None:
    return session.get(CaseFile, case_file_id)


def by_aktenzeichen(session: Session, tenant_id: uuid.UUID, aktenzeichen: str) -> CaseFile | None:
    return session.scalar(
        select(CaseFile).where(
            CaseFile.tenant_id == tenant_id, CaseFile.aktenzeichen == aktenzeichen.strip()
        )
    )


def by_bg_nummer(session: Session, tenant_id: uuid.UUID, bg_nummer: str) -> list[CaseFile]:
    return list(
        session.scalars(
            select(CaseFile).where(
                CaseFile.tenant_id == tenant_id,
                CaseFile.bg_nummer_norm == normalize_identifier(bg_nummer),
            )
        )
    )


def readable_statement(principal: Principal) -> Select[tuple[CaseFile]]:
    """Every Akte the caller may read (see :mod:`akte.auth.permissions`). The one place
    the Akte's read scope is written: lists, lookups by id, the web pages, the database
    search and the scopes of documents, letters and upload codes all start from it."""
    return select(CaseFile).where(permissions.readable_case_file_clause(principal))


def writable_statement(principal: Principal) -> Select[tuple[CaseFile]]:
    """Every Akte the caller owns: may move, close, change, delete or version documents in,
    and issue upload codes for. Borrowed access (grant, deputy) is not enough."""
    return select(CaseFile).where(permissions.owned_case_file_clause(principal))


def administered_statement(principal: Principal) -> Select[tuple[CaseFile]]:
    """Every Akte the caller administers (grants): all of their tenant's, for tenant admins.
    Administering is not reading: it opens no documents."""
    if principal.role is not Role.tenant_admin or principal.tenant_id is None:
        return select(CaseFile).where(false())
    return select(CaseFile).where(CaseFile.tenant_id == principal.tenant_id)


def filtered(
    stmt: Select[tuple[CaseFile]],
    *,
    status: str | None = None,
    org_unit_id: uuid.UUID | None = None,
    q: str | None = None,
) -> Select[tuple[CaseFile]]:
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
                CaseFile.bg_nummer_norm == norm,
                CaseFile.kundennummer == q.strip(),
                CaseFile.person_name.ilike(like),
                CaseFile.betreff.ilike(like),
            )
        )
    return stmt.order_by(CaseFile.created_at.desc(), CaseFile.id)
