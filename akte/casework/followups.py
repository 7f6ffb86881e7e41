"""Wiedervorlagen: follow-ups with a due date, a reason and an assignee.

A follow-up hangs on an Akte, optionally narrowed to one of its Vorgänge or documents (a
letter is a document). It is assigned to a person who may read the Akte or to an org unit
whose members may (the Akte's own unit or one it is granted to); without an assignee it is
the creator's. Creating, completing and postponing are annotating: a grant or a deputy
period lends them (``akte.auth.permissions``). Postponing and completing keep the earlier
state as events with their note; nothing is overwritten silently.

"Meine Wiedervorlagen" lists the open follow-ups assigned to the caller, to one of their
org units, or, while they stand in (deputy membership), to a person of that unit: always
within the Akten the caller may read now.

Errors: ``NotFound`` (Akte, Vorgang, document, follow-up not readable), ``Conflict``
(``follow_up_done``), ``Unprocessable`` (``due_in_past``, ``same_due_date``,
``assignee_cannot_read``, ``document_not_in_akte``, ``vorgang_not_in_akte``).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from akte.audit import service as audit
from akte.auth.permissions import CASE_ROLES, Action
from akte.auth.principal import Principal
from akte.case_files import repository as case_file_repo
from akte.case_files import service as case_files
from akte.case_files.models import CaseFile
from akte.casework import repository
from akte.casework.models import FollowUp, FollowUpEvent, FollowUpStatus
from akte.casework.schemas import (
    FollowUpCreate,
    FollowUpDone,
    FollowUpEventRead,
    FollowUpPostpone,
    FollowUpRead,
    MyFollowUp,
)
from akte.casework.service import _vorgang_in, display_name
from akte.core.database import utcnow
from akte.core.errors import Conflict, NotFound, Unprocessable
from akte.documents import service as documents
from akte.tenants.models import OrgUnit
from akte.users.models import User

LOCAL_TZ = ZoneInfo("Europe/Berlin")


def today() -> date:
    """Due dates are calendar days in the jobcenter's time zone."""
    return datetime.now(LOCAL_TZ).date()


def bucket(due_on: date, on: date) -> str:
    """overdue | today | week (the next 7 days) | later: the sections of the start page."""
    if due_on < on:
        return "overdue"
    if due_on == on:
        return "today"
    return "week" if due_on <= on + timedelta(days=7) else "later"


def get(session: Session, principal: Principal, follow_up_id: uuid.UUID) -> FollowUp:
    principal.require_role(*CASE_ROLES)
    row = session.scalar(
        repository.readable_follow_up_statement(principal).where(FollowUp.id == follow_up_id)
    )
    if row is None:
        raise NotFound("Wiedervorlage nicht gefunden", code="follow_up_not_found")
    return row


def reads(session: Session, rows: list[FollowUp]) -> list[FollowUpRead]:
    events = repository.events_of(session, [r.id for r in rows])
    out = []
    for row in rows:
        read = FollowUpRead.model_validate(row)
        read.events = [FollowUpEventRead.model_validate(e) for e in events.get(row.id, [])]
        out.append(read)
    return out


def list_for_case_file(
    session: Session, principal: Principal, case_file_id: uuid.UUID, status: str | None = None
) -> Select[tuple[FollowUp]]:
    case_file = case_files.get_visible(session, principal, case_file_id)
    audit.record(
        session, principal, "follow_up.list", object_type="case_file", object_id=case_file.id
    )
    return repository.follow_ups_of(
        repository.readable_follow_up_statement(principal), case_file.id, status
    )


def mine_query(
    session: Session, principal: Principal, until: date | None = None
) -> Select[tuple[FollowUp]]:
    principal.require_role(*CASE_ROLES)
    deputy_units = repository.deputy_org_unit_ids(session, principal.user_id)
    audit.record(
        session,
        principal,
        "follow_up.list_mine",
        detail={"until": until.isoformat() if until else None},
    )
    return repository.mine(
        repository.readable_follow_up_statement(principal), principal, deputy_units, until
    )


def my_reads(session: Session, principal: Principal, rows: list[FollowUp]) -> list[MyFollowUp]:
    """The page's rows with Aktenzeichen, urgency and why each is the caller's."""
    akten = (
        dict(
            session.execute(
                select(CaseFile.id, CaseFile.aktenzeichen).where(
                    CaseFile.id.in_({r.case_file_id for r in rows})
                )
            ).all()
        )
        if rows
        else {}
    )
    on = today()
    out = []
    for read, row in zip(reads(session, rows), rows, strict=True):
        if row.assignee_user_id == principal.user_id:
            why = "mine"
        elif row.assignee_org_unit_id is not None:
            why = "unit"
        else:
            why = "deputy"
        out.append(
            MyFollowUp(
                **read.model_dump(),
                aktenzeichen=akten.get(row.case_file_id, ""),
                bucket=bucket(row.due_on, on),
                why=why,
            )
        )
    return out


def _check_assignee(session: Session, case_file: CaseFile, follow_up_in: FollowUpCreate) -> None:
    """The assignee must be able to open the Akte, or the follow-up would reach nobody."""
    from akte.auth.service import principal_for
    from akte.grants.service import granted_case_file_ids  # feature: imported at call time

    refused = Unprocessable(
        "Die zugewiesene Person oder Organisationseinheit kann diese Akte nicht öffnen",
        code="assignee_cannot_read",
    )
    if follow_up_in.assignee_user_id is not None:
        user = session.get(User, follow_up_in.assignee_user_id)
        if user is None or user.tenant_id != case_file.tenant_id or not user.is_active:
            raise refused
        readable = case_file_repo.readable_statement(principal_for(session, user))
        if session.scalar(readable.where(CaseFile.id == case_file.id)) is None:
            raise refused
    if follow_up_in.assignee_org_unit_id is not None:
        unit = session.get(OrgUnit, follow_up_in.assignee_org_unit_id)
        if unit is None or unit.tenant_id != case_file.tenant_id:
            raise refused
        if unit.id != case_file.org_unit_id and case_file.id not in granted_case_file_ids(
            session, [unit.id]
        ):
            raise refused


def create(
    session: Session,
    principal: Principal,
    case_file_id: uuid.UUID,
    *,
    follow_up_in: FollowUpCreate,
) -> FollowUp:
    case_file = case_files.get_owned(session, principal, case_file_id, Action.annotate)
    if follow_up_in.due_on < today():
        raise Unprocessable("Das Fälligkeitsdatum liegt in der Vergangenheit", code="due_in_past")
    if follow_up_in.vorgang_id is not None:
        _vorgang_in(session, principal, follow_up_in.vorgang_id, case_file.id)
    if follow_up_in.document_id is not None:
        document = documents.get_visible(session, principal, follow_up_in.document_id)
        if document.case_file_id != case_file.id:
            raise Unprocessable(
                "Das Dokument gehört zu einer anderen Akte", code="document_not_in_akte"
            )
    _check_assignee(session, case_file, follow_up_in)
    assignee_user = follow_up_in.assignee_user_id
    if assignee_user is None and follow_up_in.assignee_org_unit_id is None:
        assignee_user = principal.user_id
    row = FollowUp(
        tenant_id=case_file.tenant_id,
        case_file_id=case_file.id,
        vorgang_id=follow_up_in.vorgang_id,
        document_id=follow_up_in.document_id,
        due_on=follow_up_in.due_on,
        reason=follow_up_in.reason.strip(),
        assignee_user_id=assignee_user,
        assignee_org_unit_id=follow_up_in.assignee_org_unit_id,
        created_by_id=principal.user_id,
    )
    session.add(row)
    session.flush()
    _event(session, principal, row, "created", None)
    audit.record(
        session,
        principal,
        "follow_up.create",
        object_type="follow_up",
        object_id=row.id,
        detail={
            "case_file_id": str(case_file.id),
            "due_on": row.due_on.isoformat(),
            "assignee_user_id": str(assignee_user) if assignee_user else None,
            "assignee_org_unit_id": str(row.assignee_org_unit_id)
            if row.assignee_org_unit_id
            else None,
        },
    )
    return row


def _event(
    session: Session, principal: Principal, row: FollowUp, kind: str, note: str | None
) -> None:
    session.add(
        FollowUpEvent(
            follow_up_id=row.id,
            kind=kind,
            due_on=row.due_on,
            note=note,
            by_id=principal.user_id,
            by_name=display_name(session, principal),
        )
    )
    session.flush()


def _open(session: Session, principal: Principal, follow_up_id: uuid.UUID) -> FollowUp:
    row = get(session, principal, follow_up_id)
    if row.status != FollowUpStatus.open:
        raise Conflict("Die Wiedervorlage ist bereits erledigt", code="follow_up_done")
    return row


def complete(
    session: Session, principal: Principal, follow_up_id: uuid.UUID, *, done_in: FollowUpDone
) -> FollowUp:
    row = _open(session, principal, follow_up_id)
    row.status, row.done_at, row.done_by_id = FollowUpStatus.done, utcnow(), principal.user_id
    _event(session, principal, row, "done", done_in.note)
    audit.record(
        session,
        principal,
        "follow_up.done",
        object_type="follow_up",
        object_id=row.id,
        detail={"case_file_id": str(row.case_file_id)},
    )
    return row


def postpone(
    session: Session,
    principal: Principal,
    follow_up_id: uuid.UUID,
    *,
    postpone_in: FollowUpPostpone,
) -> FollowUp:
    row = _open(session, principal, follow_up_id)
    if postpone_in.due_on < today():
        raise Unprocessable("Das neue Datum liegt in der Vergangenheit", code="due_in_past")
    if postpone_in.due_on == row.due_on:
        raise Unprocessable("Das neue Datum ist das bisherige", code="same_due_date")
    before = row.due_on
    row.due_on = postpone_in.due_on
    _event(session, principal, row, "postponed", postpone_in.note)
    audit.record(
        session,
        principal,
        "follow_up.postpone",
        object_type="follow_up",
        object_id=row.id,
        detail={
            "case_file_id": str(row.case_file_id),
            "from": before.isoformat(),
            "to": row.due_on.isoformat(),
        },
    )
    return row
