"""Wiedervorlagen that set themselves: a letter's deadline, and the citizen's answer.

A letter that sets a deadline (a Mitwirkung under §§ 60 ff. SGB I) leaves a follow-up due
on that day, assigned to the person who wrote it (origin ``letter``, narrowed to the
letter's document), so a passing deadline is noticed without anyone remembering it. It is
created in the transaction that files the letter: no letter without its reminder.

When the citizen answers through the upload portal, the open letter follow-ups of that
Akte are marked "Unterlagen eingegangen" (``papers_received_at`` and a ``received`` event
naming the files): those linked to the code used, and those linked to no code (the letter
named none, so any code of the Akte is the answer). One linked to *another* code stays as
it is. A marked follow-up that was due later is brought forward to today, so the papers
are looked at now; the earlier date stays in its history. It stays open: a person decides
whether the papers suffice and completes it.

Errors: ``Unprocessable`` (``due_in_past``: the deadline lies before today;
``upload_code_not_in_akte``: the code is not a usable code of the letter's Akte).
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from akte.audit import service as audit
from akte.auth.principal import Principal
from akte.case_files.models import CaseFile
from akte.casework.followups import today
from akte.casework.models import FollowUp, FollowUpEvent, FollowUpOrigin, FollowUpStatus
from akte.casework.service import display_name
from akte.core.database import utcnow
from akte.core.errors import Unprocessable

#: ``by_name`` of events the portal causes (no staff member acted)
PORTAL = "Upload-Portal"


def _check_code(session: Session, case_file: CaseFile, upload_code_id: uuid.UUID) -> None:
    from akte.uploads.models import UploadCode  # feature: imported at call time

    code = session.get(UploadCode, upload_code_id)
    if (
        code is None
        or code.case_file_id != case_file.id
        or code.revoked_at is not None
        or code.expires_at <= utcnow()
    ):
        raise Unprocessable(
            "Der Upload-Code gehört nicht zu dieser Akte oder ist nicht mehr gültig",
            code="upload_code_not_in_akte",
        )


def check_deadline(deadline: date) -> None:
    """Refuse a deadline before today, before anything is rendered or stored."""
    if deadline < today():
        raise Unprocessable("Die Frist liegt in der Vergangenheit", code="due_in_past")


def from_letter(
    session: Session,
    principal: Principal,
    *,
    case_file: CaseFile,
    document_id: uuid.UUID,
    subject: str,
    deadline: date,
    upload_code_id: uuid.UUID | None = None,
) -> FollowUp:
    """The follow-up a letter with a deadline leaves; the caller has already checked that
    ``principal`` may write into ``case_file`` (the letter is being filed there)."""
    check_deadline(deadline)
    if upload_code_id is not None:
        _check_code(session, case_file, upload_code_id)
    row = FollowUp(
        tenant_id=case_file.tenant_id,
        case_file_id=case_file.id,
        document_id=document_id,
        due_on=deadline,
        reason=f"Frist aus Schreiben „{subject}“"[:500],
        assignee_user_id=principal.user_id,
        created_by_id=principal.user_id,
        origin=FollowUpOrigin.letter,
        upload_code_id=upload_code_id,
    )
    session.add(row)
    session.flush()
    session.add(
        FollowUpEvent(
            follow_up_id=row.id,
            kind="created",
            due_on=deadline,
            by_id=principal.user_id,
            by_name=display_name(session, principal),
        )
    )
    audit.record(
        session,
        principal,
        "follow_up.create",
        object_type="follow_up",
        object_id=row.id,
        detail={
            "case_file_id": str(case_file.id),
            "due_on": deadline.isoformat(),
            "origin": "letter",
            "document_id": str(document_id),
            "assignee_user_id": str(principal.user_id),
        },
    )
    session.flush()
    return row


def papers_received(
    session: Session,
    *,
    case_file_id: uuid.UUID,
    upload_code_id: uuid.UUID,
    filenames: list[str],
    ip: str | None = None,
) -> list[FollowUp]:
    """Mark the Akte's open letter follow-ups that this upload answers (see the module
    docstring); returns them. Called in the upload's transaction."""
    rows = list(
        session.scalars(
            select(FollowUp)
            .where(
                FollowUp.case_file_id == case_file_id,
                FollowUp.status == FollowUpStatus.open,
                FollowUp.origin == FollowUpOrigin.letter,
                or_(FollowUp.upload_code_id == upload_code_id, FollowUp.upload_code_id.is_(None)),
            )
            .order_by(FollowUp.due_on, FollowUp.id)
            .with_for_update()
        )
    )
    on = today()
    shown = ", ".join(filenames[:10]) + (" …" if len(filenames) > 10 else "")
    note = f"Unterlagen eingegangen: {len(filenames)} Datei(en) ({shown})"
    for row in rows:
        if row.papers_received_at is None:
            row.papers_received_at = utcnow()
        if row.due_on > on:
            row.due_on = on
        session.add(
            FollowUpEvent(
                follow_up_id=row.id,
                kind="received",
                due_on=row.due_on,
                note=note[:5000],
                by_name=PORTAL,
            )
        )
        audit.record(
            session,
            None,
            "follow_up.papers_received",
            tenant_id=row.tenant_id,
            object_type="follow_up",
            object_id=row.id,
            ip=ip,
            detail={
                "case_file_id": str(case_file_id),
                "upload_code_id": str(upload_code_id),
                "files": len(filenames),
            },
        )
    session.flush()
    return rows
