"""Vorgänge and Aktenvermerke: rules and audit.

Permissions follow :mod:`akte.auth.permissions`: opening a Vorgang, renaming it, moving a
document between Vorgänge and writing a note are *annotating* (lent by a grant or a
deputy period); closing and reopening a Vorgang need the Akte owned (403 ``lent_access``
otherwise), like closing the Akte. What the caller may not read does not exist (404).
Every change and every read is recorded in the audit log in the caller's transaction.
A note is queued for the search index as it is written (:func:`index_note`).

Errors: ``NotFound`` (Akte, Vorgang, document or note not readable), ``Forbidden``
(``lent_access``), ``Conflict`` (``vorgang_closed``, ``vorgang_not_closed``),
``Unprocessable`` (``vorgang_not_in_akte``, ``note_not_in_akte``, ``unknown_vorgangsart``:
the kind is not on the tenant's list, :mod:`akte.casework.kinds`).
"""

from __future__ import annotations

import uuid

from sqlalchemy import Select
from sqlalchemy.orm import Session

from akte.audit import service as audit
from akte.auth import permissions
from akte.auth.permissions import CASE_ROLES, Action
from akte.auth.principal import Principal
from akte.case_files import service as case_files
from akte.casework import kinds, repository
from akte.casework.models import CaseNote, Vorgang, VorgangDocument, VorgangStatus
from akte.casework.schemas import (
    NoteCreate,
    NoteRead,
    VorgangCreate,
    VorgangRead,
    VorgangUpdate,
)
from akte.core.database import utcnow
from akte.core.errors import Conflict, NotFound, Unprocessable
from akte.documents import events
from akte.documents import service as documents
from akte.jobs import repository as jobs
from akte.users.models import User


def display_name(session: Session, principal: Principal) -> str:
    user = session.get(User, principal.user_id)
    return (user.display_name if user and user.display_name else principal.username)[:200]


# -- Vorgänge --------------------------------------------------------------------------------


def get_vorgang(session: Session, principal: Principal, vorgang_id: uuid.UUID) -> Vorgang:
    """The Vorgang, if the caller may read its Akte; otherwise it does not exist."""
    principal.require_role(*CASE_ROLES)
    vorgang = session.scalar(
        repository.readable_vorgang_statement(principal).where(Vorgang.id == vorgang_id)
    )
    if vorgang is None:
        raise NotFound("Vorgang nicht gefunden", code="vorgang_not_found")
    return vorgang


def to_read(session: Session, vorgang: Vorgang, count: int | None = None) -> VorgangRead:
    read = VorgangRead.model_validate(vorgang)
    if count is None:
        count = repository.document_counts(session, [vorgang.id]).get(vorgang.id, 0)
    read.document_count = count
    return read


def list_vorgaenge(
    session: Session, principal: Principal, case_file_id: uuid.UUID
) -> Select[tuple[Vorgang]]:
    """The Akte's Vorgänge (open first); 404 if the caller may not read the Akte."""
    case_file = case_files.get_visible(session, principal, case_file_id)
    audit.record(
        session, principal, "vorgang.list", object_type="case_file", object_id=case_file.id
    )
    return repository.vorgaenge_of(repository.readable_vorgang_statement(principal), case_file.id)


def create_vorgang(
    session: Session, principal: Principal, case_file_id: uuid.UUID, *, vorgang_in: VorgangCreate
) -> Vorgang:
    case_file = case_files.get_owned(session, principal, case_file_id, Action.annotate)
    vorgang = Vorgang(
        tenant_id=case_file.tenant_id,
        case_file_id=case_file.id,
        title=vorgang_in.title.strip(),
        kind=kinds.validated(session, case_file.tenant_id, vorgang_in.kind),
        created_by_id=principal.user_id,
    )
    session.add(vorgang)
    session.flush()
    audit.record(
        session,
        principal,
        "vorgang.create",
        object_type="vorgang",
        object_id=vorgang.id,
        detail={"case_file_id": str(case_file.id), "title": vorgang.title, "kind": vorgang.kind},
    )
    return vorgang


def update_vorgang(
    session: Session, principal: Principal, vorgang_id: uuid.UUID, *, vorgang_in: VorgangUpdate
) -> Vorgang:
    """Rename or re-type a Vorgang (annotating: lent access suffices)."""
    vorgang = get_vorgang(session, principal, vorgang_id)
    changes = vorgang_in.model_dump(exclude_unset=True)
    if "title" in changes and changes["title"] is not None:
        vorgang.title = changes["title"].strip()
    if "kind" in changes and (changes["kind"] or "").strip() != (vorgang.kind or ""):
        vorgang.kind = kinds.validated(session, vorgang.tenant_id, changes["kind"])
    session.flush()
    audit.record(
        session,
        principal,
        "vorgang.update",
        object_type="vorgang",
        object_id=vorgang.id,
        detail={"case_file_id": str(vorgang.case_file_id), "fields": sorted(changes)},
    )
    return vorgang


def _owned_vorgang(
    session: Session, principal: Principal, vorgang_id: uuid.UUID, action: Action
) -> Vorgang:
    vorgang = get_vorgang(session, principal, vorgang_id)
    owned = session.scalar(
        repository.writable_vorgang_statement(principal).where(Vorgang.id == vorgang.id)
    )
    if owned is None:
        raise permissions.lent_access_refused(action)
    return owned


def close_vorgang(session: Session, principal: Principal, vorgang_id: uuid.UUID) -> Vorgang:
    vorgang = _owned_vorgang(session, principal, vorgang_id, Action.close)
    if vorgang.status == VorgangStatus.closed:
        raise Conflict("Der Vorgang ist bereits abgeschlossen", code="vorgang_closed")
    vorgang.status, vorgang.closed_at = VorgangStatus.closed, utcnow()
    session.flush()
    audit.record(
        session,
        principal,
        "vorgang.close",
        object_type="vorgang",
        object_id=vorgang.id,
        detail={"case_file_id": str(vorgang.case_file_id)},
    )
    return vorgang


def reopen_vorgang(session: Session, principal: Principal, vorgang_id: uuid.UUID) -> Vorgang:
    vorgang = _owned_vorgang(session, principal, vorgang_id, Action.close)
    if vorgang.status != VorgangStatus.closed:
        raise Conflict("Der Vorgang ist nicht abgeschlossen", code="vorgang_not_closed")
    vorgang.status, vorgang.closed_at = VorgangStatus.open, None
    session.flush()
    audit.record(
        session,
        principal,
        "vorgang.reopen",
        object_type="vorgang",
        object_id=vorgang.id,
        detail={"case_file_id": str(vorgang.case_file_id)},
    )
    return vorgang


def _vorgang_in(
    session: Session, principal: Principal, vorgang_id: uuid.UUID, case_file_id: uuid.UUID
) -> Vorgang:
    """A Vorgang the caller may read that belongs to ``case_file_id`` (422 otherwise)."""
    vorgang = get_vorgang(session, principal, vorgang_id)
    if vorgang.case_file_id != case_file_id:
        raise Unprocessable("Der Vorgang gehört zu einer anderen Akte", code="vorgang_not_in_akte")
    return vorgang


def document_vorgang(
    session: Session, principal: Principal, document_id: uuid.UUID
) -> uuid.UUID | None:
    document = documents.get_visible(session, principal, document_id)
    return repository.vorgang_of_documents(session, [document.id]).get(document.id)


def assign_document(
    session: Session, principal: Principal, document_id: uuid.UUID, vorgang_id: uuid.UUID | None
) -> uuid.UUID | None:
    """Put a document into a Vorgang of its Akte, move it to another, or (``None``) take it
    out of any: one action, audited with where it was before. Into a closed Vorgang: 409."""
    document = documents.get_owned(session, principal, document_id, Action.annotate)
    row = session.get(VorgangDocument, document.id)
    before = row.vorgang_id if row else None
    if vorgang_id is not None:
        vorgang = _vorgang_in(session, principal, vorgang_id, document.case_file_id)
        if vorgang.status == VorgangStatus.closed and before != vorgang.id:
            raise Conflict(
                "In einen abgeschlossenen Vorgang kann nichts mehr abgelegt werden",
                code="vorgang_closed",
            )
    if before == vorgang_id:
        pass  # already there: nothing changes, the attempt is still recorded below
    elif row is not None and vorgang_id is None:
        session.delete(row)
    elif row is not None:
        row.vorgang_id, row.assigned_at, row.assigned_by_id = (
            vorgang_id,
            utcnow(),
            principal.user_id,
        )
    else:
        session.add(
            VorgangDocument(
                document_id=document.id, vorgang_id=vorgang_id, assigned_by_id=principal.user_id
            )
        )
    session.flush()
    audit.record(
        session,
        principal,
        "document.vorgang",
        object_type="document",
        object_id=document.id,
        detail={
            "case_file_id": str(document.case_file_id),
            "from_vorgang_id": str(before) if before else None,
            "to_vorgang_id": str(vorgang_id) if vorgang_id else None,
            "changed": before != vorgang_id,
        },
    )
    return vorgang_id


# -- Aktenvermerke ---------------------------------------------------------------------------


def index_note(session: Session, note_id: uuid.UUID) -> None:
    """Queue the note for the search index in the caller's transaction: the index job takes
    any id and indexes a note with its Akte's scope (``search.loader``)."""
    jobs.enqueue(session, events.INDEX_DOCUMENT, {"document_id": str(note_id)})


def get_note(session: Session, principal: Principal, note_id: uuid.UUID) -> CaseNote:
    principal.require_role(*CASE_ROLES)
    note = session.scalar(
        repository.readable_note_statement(principal).where(CaseNote.id == note_id)
    )
    if note is None:
        raise NotFound("Vermerk nicht gefunden", code="note_not_found")
    return note


def note_reads(session: Session, notes: list[CaseNote]) -> list[NoteRead]:
    corrections = repository.corrections_of(session, [n.id for n in notes])
    reads = []
    for note in notes:
        read = NoteRead.model_validate(note)
        read.corrected_by = corrections.get(note.id, [])
        reads.append(read)
    return reads


def list_notes(
    session: Session,
    principal: Principal,
    case_file_id: uuid.UUID,
    vorgang_id: uuid.UUID | None = None,
) -> Select[tuple[CaseNote]]:
    case_file = case_files.get_visible(session, principal, case_file_id)
    audit.record(session, principal, "note.list", object_type="case_file", object_id=case_file.id)
    return repository.notes_of(
        repository.readable_note_statement(principal), case_file.id, vorgang_id
    )


def add_note(
    session: Session, principal: Principal, case_file_id: uuid.UUID, *, note_in: NoteCreate
) -> CaseNote:
    """Append a Vermerk. Notes are never changed: a correction is a new note that names the
    corrected one, which stays as written."""
    case_file = case_files.get_owned(session, principal, case_file_id, Action.annotate)
    vorgang_id = note_in.vorgang_id
    if vorgang_id is not None:
        _vorgang_in(session, principal, vorgang_id, case_file.id)
    if note_in.corrects_id is not None:
        corrected = get_note(session, principal, note_in.corrects_id)
        if corrected.case_file_id != case_file.id:
            raise Unprocessable(
                "Der berichtigte Vermerk gehört zu einer anderen Akte", code="note_not_in_akte"
            )
        vorgang_id = vorgang_id or corrected.vorgang_id
    note = CaseNote(
        tenant_id=case_file.tenant_id,
        case_file_id=case_file.id,
        vorgang_id=vorgang_id,
        body=note_in.body.strip("\n"),
        corrects_id=note_in.corrects_id,
        author_id=principal.user_id,
        author_name=display_name(session, principal),
    )
    session.add(note)
    session.flush()
    index_note(session, note.id)
    audit.record(
        session,
        principal,
        "note.create",
        object_type="note",
        object_id=note.id,
        detail={
            "case_file_id": str(case_file.id),
            "vorgang_id": str(vorgang_id) if vorgang_id else None,
            "corrects_id": str(note.corrects_id) if note.corrects_id else None,
        },
    )
    return note
