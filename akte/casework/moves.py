"""Correcting a misfiled document: moving it into another Akte.

Permission on both sides: the source Akte must be *owned* (moving a document out is like
deleting it there, which a grant or a deputy period does not lend), the target Akte
readable with filing rights (lent access suffices: filing is lent). Another tenant's or
org unit's Akte does not exist for the caller (404).

The old place keeps a visible trace: an Aktenvermerk in the source Akte names the document,
the target Aktenzeichen, who and why; a second one in the target says where it came from.
Both are ordinary append-only notes. The move is audited (``document.move``, both Akten),
the search index is told (the document's scope changed), the document leaves its Vorgang
(a Vorgang belongs to the old Akte) and follow-ups of the old Akte stop pointing at it.

Refused: letters (their outbox record belongs to the Akte they were written in: 409
``letter_not_movable``), documents of an Akte under an active legal hold (409
``legal_hold``: the hold must keep what it holds), and the same Akte (422 ``same_akte``).
"""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from akte.audit import service as audit
from akte.auth.permissions import Action
from akte.auth.principal import Principal
from akte.case_files import service as case_files
from akte.casework.models import CaseNote, FollowUp, VorgangDocument
from akte.casework.service import display_name, index_note
from akte.core.errors import Conflict, Unprocessable
from akte.documents import events
from akte.documents import service as documents
from akte.documents.models import Document, DocumentSource


def _held(session: Session, case_file_id: uuid.UUID) -> bool:
    try:
        from akte.retention.models import LegalHold  # feature: imported at call time
    except ModuleNotFoundError:
        return False
    return (
        session.scalar(
            select(LegalHold.id)
            .where(LegalHold.case_file_id == case_file_id, LegalHold.released_at.is_(None))
            .limit(1)
        )
        is not None
    )


def move_document(
    session: Session,
    principal: Principal,
    document_id: uuid.UUID,
    *,
    target_case_file_id: uuid.UUID,
    reason: str,
) -> Document:
    document = documents.get_owned(session, principal, document_id, Action.move)
    source = case_files.get_visible(session, principal, document.case_file_id)
    target = case_files.get_owned(session, principal, target_case_file_id, Action.file)
    if target.id == source.id:
        raise Unprocessable("Das Dokument liegt bereits in dieser Akte", code="same_akte")
    if document.source == DocumentSource.letter:
        raise Conflict(
            "Briefe bleiben in der Akte, in der sie geschrieben wurden", code="letter_not_movable"
        )
    if _held(session, source.id):
        raise Conflict(
            "Für diese Akte gilt eine Aufbewahrungssperre (Legal Hold); "
            "Dokumente können nicht verschoben werden",
            code="legal_hold",
        )
    document.case_file_id = target.id
    document.tenant_id = target.tenant_id
    session.execute(delete(VorgangDocument).where(VorgangDocument.document_id == document.id))
    session.execute(
        update(FollowUp)
        .where(FollowUp.document_id == document.id, FollowUp.case_file_id == source.id)
        .values(document_id=None)
    )
    author = display_name(session, principal)
    received = document.received_at.strftime("%d.%m.%Y")
    traces = []
    for case_file, text in (
        (
            source,
            f"Dokument „{document.title}“ (eingegangen {received}) wurde in die Akte "
            f"{target.aktenzeichen} verschoben. Grund: {reason}",
        ),
        (
            target,
            f"Dokument „{document.title}“ (eingegangen {received}) wurde aus der Akte "
            f"{source.aktenzeichen} hierher verschoben. Grund: {reason}",
        ),
    ):
        trace = CaseNote(
            tenant_id=case_file.tenant_id,
            case_file_id=case_file.id,
            body=text,
            author_id=principal.user_id,
            author_name=author,
        )
        session.add(trace)
        traces.append(trace)
    session.flush()
    for trace in traces:
        index_note(session, trace.id)
    events.document_changed(session, document.id)
    audit.record(
        session,
        principal,
        "document.move",
        object_type="document",
        object_id=document.id,
        detail={
            "from_case_file_id": str(source.id),
            "to_case_file_id": str(target.id),
            "reason": reason,
        },
    )
    return document
