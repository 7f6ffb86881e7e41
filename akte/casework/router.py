"""HTTP API of the casework inside an Akte: Vorgänge, Aktenvermerke, Wiedervorlagen.

``/api/v1/case-files/{id}/vorgaenge|notes|follow-ups`` list and create within an Akte;
``/api/v1/vorgaenge/{id}``, ``/api/v1/notes/{id}`` and ``/api/v1/follow-ups/{id}`` address
one; ``PUT /api/v1/documents/{id}/vorgang`` moves a document between Vorgänge;
``GET /api/v1/follow-ups/mine`` is the caller's Wiedervorlagen list;
``/api/v1/vorgangsarten`` the tenant's list of Vorgangsarten (its admin replaces it).
"""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter, status

from akte.audit import service as audit
from akte.auth.dependencies import CurrentUser
from akte.casework import doctypes, followups, kinds, moves, repository, service
from akte.casework.schemas import (
    DocumentMove,
    DocumentVorgang,
    DocumentVorgangRead,
    Dokumentarten,
    DokumentartEntry,
    FollowUpCreate,
    FollowUpDone,
    FollowUpPostpone,
    FollowUpRead,
    MyFollowUp,
    NoteCreate,
    NoteRead,
    VorgangCreate,
    VorgangRead,
    Vorgangsarten,
    VorgangUpdate,
)
from akte.core.dependencies import DbSession
from akte.core.errors import (
    Conflict,
    Forbidden,
    NotAuthenticated,
    NotFound,
    Unprocessable,
    responses,
)
from akte.core.isotime import IsoDate
from akte.core.pagination import Page, Pagination, paginate
from akte.documents import service as documents
from akte.documents.schemas import DocumentRead

router = APIRouter(prefix="/api/v1", tags=["Sachbearbeitung"])
COMMON = responses(NotAuthenticated, Forbidden, NotFound)
CHANGE = {**COMMON, **responses(Conflict, Unprocessable)}


# -- Vorgänge --------------------------------------------------------------------------------


@router.get("/case-files/{case_file_id}/vorgaenge", responses=COMMON)
def list_vorgaenge(
    case_file_id: uuid.UUID, session: DbSession, user: CurrentUser, pagination: Pagination
) -> Page[VorgangRead]:
    """The Akte's Vorgänge, open ones first, each with its number of documents."""
    rows, total = paginate(session, service.list_vorgaenge(session, user, case_file_id), pagination)
    counts = repository.document_counts(session, [r.id for r in rows])
    items = [service.to_read(session, r, counts.get(r.id, 0)) for r in rows]
    return Page.of(items, total, pagination)


@router.post(
    "/case-files/{case_file_id}/vorgaenge", status_code=status.HTTP_201_CREATED, responses=CHANGE
)
def create_vorgang(
    case_file_id: uuid.UUID, body: VorgangCreate, session: DbSession, user: CurrentUser
) -> VorgangRead:
    """Open a Vorgang (e.g. "Weiterbewilligung 2027"). Lent access (grant, deputy) may."""
    vorgang = service.create_vorgang(session, user, case_file_id, vorgang_in=body)
    return service.to_read(session, vorgang, 0)


@router.get("/vorgaenge/{vorgang_id}", responses=COMMON)
def get_vorgang(vorgang_id: uuid.UUID, session: DbSession, user: CurrentUser) -> VorgangRead:
    vorgang = service.get_vorgang(session, user, vorgang_id)
    audit.record(
        session,
        user,
        "vorgang.read",
        object_type="vorgang",
        object_id=vorgang.id,
        detail={"case_file_id": str(vorgang.case_file_id)},
    )
    return service.to_read(session, vorgang)


@router.patch("/vorgaenge/{vorgang_id}", responses=CHANGE)
def update_vorgang(
    vorgang_id: uuid.UUID, body: VorgangUpdate, session: DbSession, user: CurrentUser
) -> VorgangRead:
    """Change title or Vorgangsart."""
    return service.to_read(
        session, service.update_vorgang(session, user, vorgang_id, vorgang_in=body)
    )


@router.post("/vorgaenge/{vorgang_id}/close", responses=CHANGE)
def close_vorgang(vorgang_id: uuid.UUID, session: DbSession, user: CurrentUser) -> VorgangRead:
    """Close a Vorgang: needs a permanent membership of the Akte's org unit (403
    ``lent_access`` for a borrower); 409 if it is closed already."""
    return service.to_read(session, service.close_vorgang(session, user, vorgang_id))


@router.post("/vorgaenge/{vorgang_id}/reopen", responses=CHANGE)
def reopen_vorgang(vorgang_id: uuid.UUID, session: DbSession, user: CurrentUser) -> VorgangRead:
    """Reopen a closed Vorgang (owners only, like closing)."""
    return service.to_read(session, service.reopen_vorgang(session, user, vorgang_id))


@router.put("/documents/{document_id}/vorgang", responses=CHANGE)
def put_document_vorgang(
    document_id: uuid.UUID, body: DocumentVorgang, session: DbSession, user: CurrentUser
) -> DocumentVorgangRead:
    """Put the document into a Vorgang of its Akte, move it, or take it out (``null``)."""
    vorgang_id = service.assign_document(session, user, document_id, body.vorgang_id)
    return DocumentVorgangRead(document_id=document_id, vorgang_id=vorgang_id)


@router.get("/documents/{document_id}/vorgang", responses=COMMON)
def get_document_vorgang(
    document_id: uuid.UUID, session: DbSession, user: CurrentUser
) -> DocumentVorgangRead:
    vorgang_id = service.document_vorgang(session, user, document_id)
    audit.record(
        session, user, "document.vorgang_read", object_type="document", object_id=document_id
    )
    return DocumentVorgangRead(document_id=document_id, vorgang_id=vorgang_id)


@router.post("/documents/{document_id}/move", responses=CHANGE)
def move_document(
    document_id: uuid.UUID, body: DocumentMove, session: DbSession, user: CurrentUser
) -> DocumentRead:
    """Correct a misfiling: move the document into another Akte. Needs the source Akte
    owned and filing rights in the target; both Akten get an Aktenvermerk as a trace."""
    document = moves.move_document(
        session, user, document_id, target_case_file_id=body.case_file_id, reason=body.reason
    )
    return documents.to_read(session, document)


@router.get("/vorgangsarten", responses=responses(NotAuthenticated, Forbidden))
def get_vorgangsarten(session: DbSession, user: CurrentUser) -> Vorgangsarten:
    """The caller's tenant's Vorgangsarten, in the order they are offered."""
    return Vorgangsarten(names=kinds.read(session, user))


@router.put(
    "/vorgangsarten", responses=responses(NotAuthenticated, Forbidden, Conflict, Unprocessable)
)
def put_vorgangsarten(body: Vorgangsarten, session: DbSession, user: CurrentUser) -> Vorgangsarten:
    """Replace the tenant's list (tenant admin). Existing Vorgänge keep their kind; new
    ones and changes accept only names of the list (422 ``unknown_vorgangsart``)."""
    return Vorgangsarten(names=kinds.replace(session, user, body.names))


def _dokumentarten(listed: list[doctypes.Entry]) -> Dokumentarten:
    return Dokumentarten(
        items=[DokumentartEntry(name=e.name, keywords=list(e.keywords)) for e in listed]
    )


@router.get("/dokumentarten", responses=responses(NotAuthenticated, Forbidden))
def get_dokumentarten(session: DbSession, user: CurrentUser) -> Dokumentarten:
    """The caller's tenant's Dokumentarten with their keywords, in the order offered."""
    return _dokumentarten(doctypes.read(session, user))


@router.put(
    "/dokumentarten", responses=responses(NotAuthenticated, Forbidden, Conflict, Unprocessable)
)
def put_dokumentarten(body: Dokumentarten, session: DbSession, user: CurrentUser) -> Dokumentarten:
    """Replace the tenant's list (tenant admin). Filing from the Posteingang accepts only
    listed names (422 ``unknown_dokumentart``); the keywords drive its suggestion."""
    new = [doctypes.Entry(e.name, tuple(e.keywords)) for e in body.items]
    return _dokumentarten(doctypes.replace(session, user, new))


# -- Aktenvermerke ---------------------------------------------------------------------------


@router.get("/case-files/{case_file_id}/notes", responses=COMMON)
def list_notes(
    case_file_id: uuid.UUID,
    session: DbSession,
    user: CurrentUser,
    pagination: Pagination,
    vorgang_id: uuid.UUID | None = None,
) -> Page[NoteRead]:
    """The Akte's Vermerke in writing order; each names the later notes correcting it."""
    rows, total = paginate(
        session, service.list_notes(session, user, case_file_id, vorgang_id), pagination
    )
    return Page.of(service.note_reads(session, rows), total, pagination)


@router.post(
    "/case-files/{case_file_id}/notes", status_code=status.HTTP_201_CREATED, responses=CHANGE
)
def create_note(
    case_file_id: uuid.UUID, body: NoteCreate, session: DbSession, user: CurrentUser
) -> NoteRead:
    """Append a Vermerk (append-only: there is no edit or delete; to correct one, write a
    new note with ``corrects_id``)."""
    return service.note_reads(
        session, [service.add_note(session, user, case_file_id, note_in=body)]
    )[0]


@router.get("/notes/{note_id}", responses=COMMON)
def get_note(note_id: uuid.UUID, session: DbSession, user: CurrentUser) -> NoteRead:
    note = service.get_note(session, user, note_id)
    audit.record(
        session,
        user,
        "note.read",
        object_type="note",
        object_id=note.id,
        detail={"case_file_id": str(note.case_file_id)},
    )
    return service.note_reads(session, [note])[0]


# -- Wiedervorlagen --------------------------------------------------------------------------


@router.get("/follow-ups/mine", responses=COMMON)
def my_follow_ups(
    session: DbSession, user: CurrentUser, pagination: Pagination, until: IsoDate | None = None
) -> Page[MyFollowUp]:
    """Open Wiedervorlagen on the caller's desk (assigned to them, to one of their org
    units, or to a person they stand in for), most urgent first; ``until`` limits the
    due date (e.g. the end of this week)."""
    rows, total = paginate(session, followups.mine_query(session, user, until), pagination)
    return Page.of(followups.my_reads(session, user, rows), total, pagination)


@router.get("/case-files/{case_file_id}/follow-ups", responses=COMMON)
def list_follow_ups(
    case_file_id: uuid.UUID,
    session: DbSession,
    user: CurrentUser,
    pagination: Pagination,
    status: Literal["open", "done"] | None = None,
) -> Page[FollowUpRead]:
    rows, total = paginate(
        session, followups.list_for_case_file(session, user, case_file_id, status), pagination
    )
    return Page.of(followups.reads(session, rows), total, pagination)


@router.post(
    "/case-files/{case_file_id}/follow-ups", status_code=status.HTTP_201_CREATED, responses=CHANGE
)
def create_follow_up(
    case_file_id: uuid.UUID, body: FollowUpCreate, session: DbSession, user: CurrentUser
) -> FollowUpRead:
    """Set a Wiedervorlage on the Akte (or one of its Vorgänge or documents). The assignee
    must be able to open the Akte (422 ``assignee_cannot_read``)."""
    row = followups.create(session, user, case_file_id, follow_up_in=body)
    return followups.reads(session, [row])[0]


@router.get("/follow-ups/{follow_up_id}", responses=COMMON)
def get_follow_up(follow_up_id: uuid.UUID, session: DbSession, user: CurrentUser) -> FollowUpRead:
    row = followups.get(session, user, follow_up_id)
    audit.record(
        session,
        user,
        "follow_up.read",
        object_type="follow_up",
        object_id=row.id,
        detail={"case_file_id": str(row.case_file_id)},
    )
    return followups.reads(session, [row])[0]


@router.post("/follow-ups/{follow_up_id}/done", responses=CHANGE)
def complete_follow_up(
    follow_up_id: uuid.UUID, body: FollowUpDone, session: DbSession, user: CurrentUser
) -> FollowUpRead:
    """Mark it done, with an optional note; 409 if it is done already."""
    row = followups.complete(session, user, follow_up_id, done_in=body)
    return followups.reads(session, [row])[0]


@router.post("/follow-ups/{follow_up_id}/postpone", responses=CHANGE)
def postpone_follow_up(
    follow_up_id: uuid.UUID, body: FollowUpPostpone, session: DbSession, user: CurrentUser
) -> FollowUpRead:
    """Move the due date, with a note saying why (kept with the earlier date)."""
    row = followups.postpone(session, user, follow_up_id, postpone_in=body)
    return followups.reads(session, [row])[0]
