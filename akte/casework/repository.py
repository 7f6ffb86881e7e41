"""Queries of the casework tables. What a principal may read or change is decided by the
Akte the row belongs to, through the Akte's own scope (``case_files.repository``): these
functions only narrow that scope to their table, so a Vorgang, a note or a follow-up is
visible exactly when its Akte is.

* Vorgänge: read with the Akte (:func:`readable_vorgang_statement`); closing and
  reopening need the Akte owned (:func:`writable_vorgang_statement`), as closing the Akte
  does: a borrower must not close what outlives the loan.
* Notes: read with the Akte (:func:`readable_note_statement`); they are never changed.
* Follow-ups: read *and* changed with the Akte (:func:`readable_follow_up_statement`):
  completing or postponing a Wiedervorlage is annotating, which a grant or a deputy
  period lends (``akte.auth.permissions``). The list "Meine Wiedervorlagen" is this scope
  narrowed by assignee, so a follow-up assigned to someone who lost access to its Akte
  drops off their list instead of leaking it.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import date

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select
from sqlalchemy.orm import Session

from akte.auth.principal import Principal
from akte.case_files import repository as case_files
from akte.case_files.models import CaseFile
from akte.casework.models import (
    CaseNote,
    FollowUp,
    FollowUpEvent,
    FollowUpStatus,
    Vorgang,
    VorgangDocument,
)
from akte.core.database import utcnow
from akte.users.models import Membership


def _readable_akten(principal: Principal) -> Select:
    return case_files.readable_statement(principal).with_only_columns(CaseFile.id)


def readable_vorgang_statement(principal: Principal) -> Select[tuple[Vorgang]]:
    """Vorgänge of the Akten the caller may read."""
    return select(Vorgang).where(Vorgang.case_file_id.in_(_readable_akten(principal)))


def writable_vorgang_statement(principal: Principal) -> Select[tuple[Vorgang]]:
    """Vorgänge the caller may close or reopen: those of Akten they own."""
    owned = case_files.writable_statement(principal).with_only_columns(CaseFile.id)
    return select(Vorgang).where(Vorgang.case_file_id.in_(owned))


def readable_note_statement(principal: Principal) -> Select[tuple[CaseNote]]:
    """Aktenvermerke of the Akten the caller may read."""
    return select(CaseNote).where(CaseNote.case_file_id.in_(_readable_akten(principal)))


def readable_follow_up_statement(principal: Principal) -> Select[tuple[FollowUp]]:
    """Wiedervorlagen of the Akten the caller may read (and so complete or postpone)."""
    return select(FollowUp).where(FollowUp.case_file_id.in_(_readable_akten(principal)))


# -- narrowing the scopes -------------------------------------------------------------------


def vorgaenge_of(stmt: Select[tuple[Vorgang]], case_file_id: uuid.UUID) -> Select:
    """Open Vorgänge first, then by opening date (newest first)."""
    return stmt.where(Vorgang.case_file_id == case_file_id).order_by(
        Vorgang.status != "open", Vorgang.opened_at.desc(), Vorgang.id
    )


def document_counts(session: Session, vorgang_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, int]:
    if not vorgang_ids:
        return {}
    rows = session.execute(
        select(VorgangDocument.vorgang_id, func.count())
        .where(VorgangDocument.vorgang_id.in_(list(vorgang_ids)))
        .group_by(VorgangDocument.vorgang_id)
    )
    return {vorgang_id: count for vorgang_id, count in rows}


def vorgang_of_documents(
    session: Session, document_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID]:
    """Document id → its Vorgang's id, for the documents that belong to one."""
    if not document_ids:
        return {}
    rows = session.execute(
        select(VorgangDocument.document_id, VorgangDocument.vorgang_id).where(
            VorgangDocument.document_id.in_(list(document_ids))
        )
    )
    return {document_id: vorgang_id for document_id, vorgang_id in rows}


def notes_of(
    stmt: Select[tuple[CaseNote]], case_file_id: uuid.UUID, vorgang_id: uuid.UUID | None = None
) -> Select:
    """A case file's notes in writing order (oldest first: a Vermerk reads like a log)."""
    stmt = stmt.where(CaseNote.case_file_id == case_file_id)
    if vorgang_id is not None:
        stmt = stmt.where(CaseNote.vorgang_id == vorgang_id)
    return stmt.order_by(CaseNote.created_at, CaseNote.id)


def corrections_of(session: Session, note_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, list]:
    """Note id → ids of the notes that correct it."""
    found: dict[uuid.UUID, list] = {}
    if not note_ids:
        return found
    rows = session.execute(
        select(CaseNote.corrects_id, CaseNote.id)
        .where(CaseNote.corrects_id.in_(list(note_ids)))
        .order_by(CaseNote.created_at)
    )
    for corrects_id, note_id in rows:
        found.setdefault(corrects_id, []).append(note_id)
    return found


def follow_ups_of(
    stmt: Select[tuple[FollowUp]], case_file_id: uuid.UUID, status: str | None = None
) -> Select:
    stmt = stmt.where(FollowUp.case_file_id == case_file_id)
    if status:
        stmt = stmt.where(FollowUp.status == status)
    return stmt.order_by(FollowUp.status != "open", FollowUp.due_on, FollowUp.id)


def events_of(
    session: Session, follow_up_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, list[FollowUpEvent]]:
    found: dict[uuid.UUID, list[FollowUpEvent]] = {}
    if not follow_up_ids:
        return found
    rows = session.scalars(
        select(FollowUpEvent)
        .where(FollowUpEvent.follow_up_id.in_(list(follow_up_ids)))
        .order_by(FollowUpEvent.at, FollowUpEvent.id)
    )
    for event in rows:
        found.setdefault(event.follow_up_id, []).append(event)
    return found


def deputy_org_unit_ids(session: Session, user_id: uuid.UUID) -> list[uuid.UUID]:
    """Org units the user stands in for now (time-limited membership: Vertretung)."""
    return list(
        session.scalars(
            select(Membership.org_unit_id).where(
                Membership.user_id == user_id,
                Membership.valid_until.is_not(None),
                Membership.valid_until > utcnow(),
            )
        )
    )


def mine_clause(principal: Principal, deputy_units: Collection[uuid.UUID]) -> ColumnElement[bool]:
    """Follow-ups on the caller's desk: assigned to them, to one of their org units, or,
    for a deputy, to a person of a unit they stand in for (their principal's)."""
    clauses = [FollowUp.assignee_user_id == principal.user_id]
    if principal.org_unit_ids:
        clauses.append(FollowUp.assignee_org_unit_id.in_(sorted(principal.org_unit_ids)))
    if deputy_units:
        akten = select(CaseFile.id).where(CaseFile.org_unit_id.in_(sorted(deputy_units)))
        clauses.append(
            and_(FollowUp.assignee_user_id.is_not(None), FollowUp.case_file_id.in_(akten))
        )
    return or_(*clauses) if clauses else false()


def mine(
    stmt: Select[tuple[FollowUp]],
    principal: Principal,
    deputy_units: Collection[uuid.UUID],
    until: date | None,
) -> Select:
    """Open follow-ups on the caller's desk, most urgent first, with their Aktenzeichen."""
    stmt = stmt.where(FollowUp.status == FollowUpStatus.open, mine_clause(principal, deputy_units))
    if until is not None:
        stmt = stmt.where(FollowUp.due_on <= until)
    return stmt.order_by(FollowUp.due_on, FollowUp.created_at, FollowUp.id)
