"""Queries on Akten. Every query is scoped to one tenant by its caller."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from akte.case_files.identifiers import normalize_identifier
from akte.case_files.models import CaseFile


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


def visible_query(
    tenant_id: uuid.UUID,
    org_unit_ids: Collection[uuid.UUID],
    granted_case_file_ids: Collection[uuid.UUID] = (),
    *,
    status: str | None = None,
    org_unit_id: uuid.UUID | None = None,
    q: str | None = None,
) -> Select[tuple[CaseFile]]:
    """Akten of one tenant in the given org units or granted singly, newest first."""
    visible = CaseFile.org_unit_id.in_(list(org_unit_ids))
    if granted_case_file_ids:
        visible = or_(visible, CaseFile.id.in_(list(granted_case_file_ids)))
    stmt = select(CaseFile).where(CaseFile.tenant_id == tenant_id, visible)
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
