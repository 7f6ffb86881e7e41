"""Caseworker pages for Vorgänge, Aktenvermerke and Wiedervorlagen (``/app``).

Each form posts to a route here that calls the same ``akte.casework`` services as the API
(same permission checks, same audit entries), commits, and sends the browser back to the
page it came from with a fixed confirmation (``?msg=``).
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from akte.casework import doctypes, followups, kinds, moves, service
from akte.casework.schemas import (
    DocumentMove,
    Dokumentarten,
    FollowUpCreate,
    FollowUpDone,
    FollowUpPostpone,
    NoteCreate,
    VorgangCreate,
    Vorgangsarten,
)
from akte.core.dependencies import DbSession
from akte.core.errors import AkteError, Conflict, Unprocessable
from akte.documents import service as documents
from akte.users.models import Role
from akte.web import casework
from akte.web.deps import CsrfChecked, Staff
from akte.web.errors import PageRoute
from akte.web.pages import page

router = APIRouter(prefix="/app", include_in_schema=False, route_class=PageRoute)


def _done(session, target: str, msg: str) -> Response:  # type: ignore[no-untyped-def]
    session.commit()  # durable before the browser follows the answer
    return RedirectResponse(f"{target}?msg={msg}", status_code=303)


def _back(back: str | None, default: str) -> str:
    return back if back and back.startswith("/app/") and "?" not in back else default


def _uuid_or_none(value: str, field: str) -> uuid.UUID | None:
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise Unprocessable(f"{field}: unbekannte Auswahl", code="invalid_form") from None


@router.get("/wiedervorlagen")
def my_follow_ups(request: Request, session: DbSession, principal: Staff) -> Response:
    """Meine Wiedervorlagen: overdue, today, this week."""
    return page(request, principal, "wiedervorlagen.html", casework.my_context(session, principal))


@router.post("/akten/{case_file_id}/vorgaenge", dependencies=[CsrfChecked])
def create_vorgang(
    case_file_id: uuid.UUID,
    session: DbSession,
    principal: Staff,
    title: Annotated[str, Form(max_length=300)] = "",
    kind: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    body = casework.parse(VorgangCreate, title=title.strip(), kind=kind.strip() or None)
    service.create_vorgang(session, principal, case_file_id, vorgang_in=body)
    return _done(session, f"/app/akten/{case_file_id}", "vorgang")


@router.post("/vorgaenge/{vorgang_id}/close", dependencies=[CsrfChecked])
def close_vorgang(vorgang_id: uuid.UUID, session: DbSession, principal: Staff) -> Response:
    vorgang = service.close_vorgang(session, principal, vorgang_id)
    return _done(session, f"/app/akten/{vorgang.case_file_id}", "vorgang_closed")


@router.post("/vorgaenge/{vorgang_id}/reopen", dependencies=[CsrfChecked])
def reopen_vorgang(vorgang_id: uuid.UUID, session: DbSession, principal: Staff) -> Response:
    vorgang = service.reopen_vorgang(session, principal, vorgang_id)
    return _done(session, f"/app/akten/{vorgang.case_file_id}", "vorgang_reopened")


@router.post("/documents/{document_id}/vorgang", dependencies=[CsrfChecked])
def move_document(
    document_id: uuid.UUID,
    session: DbSession,
    principal: Staff,
    vorgang_id: Annotated[str, Form(max_length=40)] = "",
    back: Annotated[str | None, Form(max_length=300)] = None,
) -> Response:
    """One action: into a Vorgang, to another one, or out of any (empty choice)."""
    target = _uuid_or_none(vorgang_id, "Vorgang")
    service.assign_document(session, principal, document_id, target)
    document = documents.get_visible(session, principal, document_id)
    return _done(session, _back(back, f"/app/akten/{document.case_file_id}"), "moved")


@router.post("/documents/{document_id}/move", dependencies=[CsrfChecked])
def move_to_akte(
    document_id: uuid.UUID,
    session: DbSession,
    principal: Staff,
    aktenzeichen: Annotated[str, Form(max_length=100)] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Correct a misfiling: the document goes to the Akte typed by its Aktenzeichen."""
    target = casework.target_by_aktenzeichen(session, principal, aktenzeichen)
    body = casework.parse(DocumentMove, case_file_id=target.id, reason=reason.strip())
    moves.move_document(
        session, principal, document_id, target_case_file_id=target.id, reason=body.reason
    )
    return _done(session, f"/app/documents/{document_id}", "moved_akte")


@router.post("/akten/{case_file_id}/notes", dependencies=[CsrfChecked])
def add_note(
    case_file_id: uuid.UUID,
    session: DbSession,
    principal: Staff,
    body: Annotated[str, Form(max_length=20_000)] = "",
    vorgang_id: Annotated[str, Form(max_length=40)] = "",
    corrects_id: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    note_in = casework.parse(
        NoteCreate,
        body=body,
        vorgang_id=_uuid_or_none(vorgang_id, "Vorgang"),
        corrects_id=_uuid_or_none(corrects_id, "Berichtigter Vermerk"),
    )
    service.add_note(session, principal, case_file_id, note_in=note_in)
    return _done(session, f"/app/akten/{case_file_id}", "note")


@router.post("/akten/{case_file_id}/follow-ups", dependencies=[CsrfChecked])
def add_follow_up(
    case_file_id: uuid.UUID,
    session: DbSession,
    principal: Staff,
    due_on: Annotated[str, Form(max_length=10)] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
    assignee: Annotated[str, Form(max_length=60)] = "",
    vorgang_id: Annotated[str, Form(max_length=40)] = "",
    document_id: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """``assignee``: empty (me), ``unit:<id>`` (an org unit) or ``user:<id>`` (a person)."""
    kind, _, value = assignee.partition(":")
    if assignee and kind not in {"unit", "user"}:
        raise Unprocessable("Zuständig: unbekannte Auswahl", code="invalid_form")
    chosen = _uuid_or_none(value, "Zuständig")
    follow_up_in = casework.parse(
        FollowUpCreate,
        due_on=due_on or None,
        reason=reason.strip(),
        assignee_org_unit_id=chosen if kind == "unit" else None,
        assignee_user_id=chosen if kind == "user" else None,
        vorgang_id=_uuid_or_none(vorgang_id, "Vorgang"),
        document_id=_uuid_or_none(document_id, "Dokument"),
    )
    followups.create(session, principal, case_file_id, follow_up_in=follow_up_in)
    return _done(session, f"/app/akten/{case_file_id}", "follow_up")


@router.post("/follow-ups/{follow_up_id}/done", dependencies=[CsrfChecked])
def complete_follow_up(
    follow_up_id: uuid.UUID,
    session: DbSession,
    principal: Staff,
    note: Annotated[str, Form(max_length=5000)] = "",
    back: Annotated[str | None, Form(max_length=300)] = None,
) -> Response:
    done_in = casework.parse(FollowUpDone, note=note.strip() or None)
    row = followups.complete(session, principal, follow_up_id, done_in=done_in)
    return _done(session, _back(back, f"/app/akten/{row.case_file_id}"), "follow_up_done")


@router.post("/follow-ups/{follow_up_id}/postpone", dependencies=[CsrfChecked])
def postpone_follow_up(
    follow_up_id: uuid.UUID,
    session: DbSession,
    principal: Staff,
    due_on: Annotated[str, Form(max_length=10)] = "",
    note: Annotated[str, Form(max_length=5000)] = "",
    back: Annotated[str | None, Form(max_length=300)] = None,
) -> Response:
    postpone_in = casework.parse(FollowUpPostpone, due_on=due_on or None, note=note)
    row = followups.postpone(session, principal, follow_up_id, postpone_in=postpone_in)
    return _done(session, _back(back, f"/app/akten/{row.case_file_id}"), "follow_up_postponed")


@router.get("/vorgangsarten")
def vorgangsarten_page(request: Request, session: DbSession, principal: Staff) -> Response:
    """The tenant admin's list of Vorgangsarten, one per line (others: 403)."""
    principal.require_role(Role.tenant_admin)
    return _list_page(
        request, principal, "vorgangsarten", "\n".join(kinds.read(session, principal))
    )


def _list_page(
    request: Request,
    principal: Staff,
    name: str,
    text: str,  # type: ignore[valid-type]
    error: AkteError | None = None,
) -> Response:
    """A tenant list's page; after a refused save, with what was typed and the reason tied
    to the field (``aria-invalid``, ``aria-describedby``), so nothing has to be retyped."""
    return page(
        request,
        principal,
        f"{name}.html",
        {"nav": name, "text": text, "error": error.detail if error else None},
        error.status_code if error else 200,
    )


def _save_list(
    request: Request,
    session,
    principal,
    name: str,
    text: str,  # type: ignore[no-untyped-def]
    save,
) -> Response:  # type: ignore[no-untyped-def]
    """Save a tenant list; a refusal (blank or repeated name, too long) re-renders the
    form instead of an error page."""
    try:
        save()
    except (Unprocessable, Conflict) as exc:
        session.rollback()
        return _list_page(request, principal, name, text, exc)
    return _done(session, f"/app/{name}", f"{name}_saved")


@router.post("/vorgangsarten", dependencies=[CsrfChecked])
def save_vorgangsarten(
    request: Request,
    session: DbSession,
    principal: Staff,
    names: Annotated[str, Form(max_length=20_000)] = "",
) -> Response:
    principal.require_role(Role.tenant_admin)

    def save() -> None:
        body = casework.parse(
            Vorgangsarten, names=[n.strip() for n in names.splitlines() if n.strip()]
        )
        kinds.replace(session, principal, body.names)

    return _save_list(request, session, principal, "vorgangsarten", names, save)


@router.get("/dokumentarten")
def dokumentarten_page(request: Request, session: DbSession, principal: Staff) -> Response:
    """The tenant admin's Dokumentarten, one per line as ``Name: stichwort, stichwort``."""
    principal.require_role(Role.tenant_admin)
    lines = [
        f"{e.name}: {', '.join(e.keywords)}" if e.keywords else e.name
        for e in doctypes.read(session, principal)
    ]
    return _list_page(request, principal, "dokumentarten", "\n".join(lines))


@router.post("/dokumentarten", dependencies=[CsrfChecked])
def save_dokumentarten(
    request: Request,
    session: DbSession,
    principal: Staff,
    lines: Annotated[str, Form(max_length=50_000)] = "",
) -> Response:
    principal.require_role(Role.tenant_admin)

    def save() -> None:
        items = []
        for line in (raw.strip() for raw in lines.splitlines()):
            if line:
                name, _, words = line.partition(":")
                items.append(
                    {
                        "name": name.strip(),
                        "keywords": [w.strip() for w in words.split(",") if w.strip()],
                    }
                )
        body = casework.parse(Dokumentarten, items=items)
        doctypes.replace(
            session, principal, [doctypes.Entry(e.name, tuple(e.keywords)) for e in body.items]
        )

    return _save_list(request, session, principal, "dokumentarten", lines, save)
