"""The Akte page's casework parts (Vorgänge, Vermerke, Wiedervorlagen) and the page
"Meine Wiedervorlagen": what the pages show, read through ``akte.casework`` with the same
scopes as the API. Lists are bounded: an Akte page shows at most :data:`LIMIT` of each."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from akte.auth.permissions import CASE_ROLES
from akte.auth.principal import Principal
from akte.casework import followups, kinds, repository
from akte.casework.models import Vorgang
from akte.core.errors import NotFound, Unprocessable
from akte.documents.models import Document
from akte.tenants.models import OrgUnit
from akte.users.models import Membership, User
from akte.web import messages

LIMIT = 200
BUCKETS = {
    "overdue": "Überfällig",
    "today": "Heute fällig",
    "week": "Diese Woche",
    "later": "Später",
}
WHY = {"mine": "mir zugewiesen", "unit": "meiner Organisationseinheit", "deputy": "in Vertretung"}
FIELD_LABELS = {
    "title": "Titel",
    "kind": "Vorgangsart",
    "body": "Vermerk",
    "due_on": "Fällig am",
    "reason": "Grund",
    "note": "Notiz",
    "names": "Vorgangsarten",
    "items": "Dokumentarten",
    "name": "Name",
    "keywords": "Stichwörter",
    "doc_type": "Dokumentart",
    "document_date": "Dokumentdatum",
    "case_file_id": "Akte",
    "vorgang_id": "Vorgang",
    "assignee_user_id": "Zuständig",
    # administration (akte.web.routes_admin)
    "username": "Benutzername",
    "display_name": "Anzeigename",
    "role": "Rolle",
    "code": "Kürzel",
    "slug": "Kurzname",
    "years": "Jahre",
    "after": "Frist beginnt",
}


def parse(model: type[BaseModel], **data: Any) -> Any:
    """A form's values as the API's schema; a refusal names the field in German (422)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first.get("loc") else ""
        label = FIELD_LABELS.get(field, field or "Eingabe")
        raise Unprocessable(
            f"{label}: {messages.form_reason(first)}", code="invalid_form"
        ) from None


def akte_context(
    session: Session, principal: Principal, case_file: Any, documents: list[Document]
) -> dict[str, Any]:
    """Vorgänge with their documents and notes, documents without one, open follow-ups."""
    vorgaenge = list(
        session.scalars(
            repository.vorgaenge_of(
                repository.readable_vorgang_statement(principal), case_file.id
            ).limit(LIMIT)
        )
    )
    assigned = repository.vorgang_of_documents(session, [d.id for d in documents])
    notes = list(
        session.scalars(
            repository.notes_of(repository.readable_note_statement(principal), case_file.id).limit(
                LIMIT
            )
        )
    )
    open_follow_ups = list(
        session.scalars(
            repository.follow_ups_of(
                repository.readable_follow_up_statement(principal), case_file.id, "open"
            ).limit(LIMIT)
        )
    )
    corrected = repository.corrections_of(session, [n.id for n in notes])
    by_vorgang: dict[uuid.UUID | None, list[Document]] = {}
    for document in documents:
        by_vorgang.setdefault(assigned.get(document.id), []).append(document)
    # offered assignees: those who can open this Akte (the service checks again)
    unit_ids = {case_file.org_unit_id}
    if case_file.id in principal.granted_case_file_ids:
        unit_ids |= principal.org_unit_ids
    units = list(
        session.scalars(
            select(OrgUnit).where(OrgUnit.id.in_(sorted(unit_ids))).order_by(OrgUnit.name)
        )
    )
    people = list(
        session.execute(
            select(User.id, User.display_name, User.username)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.org_unit_id == case_file.org_unit_id,
                User.is_active.is_(True),
                User.tenant_id == case_file.tenant_id,
                User.id != principal.user_id,
                User.role.in_([r.value for r in CASE_ROLES]),
            )
            .order_by(User.display_name)
            .limit(LIMIT)
        ).all()
    )
    return {
        "vorgaenge": vorgaenge,
        "docs_by_vorgang": by_vorgang,
        "notes": notes,
        "notes_by_vorgang": _group(notes, lambda n: n.vorgang_id),
        "corrected_by": corrected,
        "follow_ups": open_follow_ups,
        "vorgangsarten": kinds.names(session, case_file.tenant_id),
        "follow_up_units": [u for u in units if u.tenant_id == case_file.tenant_id],
        "follow_up_people": people,
        "today": followups.today(),
        "vorgang_titles": {v.id: v.title for v in vorgaenge},
        "document_titles": {d.id: d.title for d in documents},
    }


def document_context(session: Session, principal: Principal, document: Document) -> dict[str, Any]:
    """The document page's casework: its Vorgang (and the ones it may move to) and whether
    the caller may move it into another Akte (owners only; letters stay)."""
    from akte.case_files import service as case_files  # the page's own Akte check

    vorgaenge = list(
        session.scalars(
            repository.vorgaenge_of(
                repository.readable_vorgang_statement(principal), document.case_file_id
            ).limit(LIMIT)
        )
    )
    current = repository.vorgang_of_documents(session, [document.id]).get(document.id)
    return {
        "doc_vorgaenge": [v for v in vorgaenge if v.status == "open" or v.id == current],
        "doc_vorgang_id": current,
        "can_move_akte": document.source != "letter"
        and case_files.owns(session, principal, document.case_file_id),
    }


def target_by_aktenzeichen(session: Session, principal: Principal, aktenzeichen: str) -> Any:
    """The Akte a caseworker typed, among those they may read (however it is spelled)."""
    from sqlalchemy import or_

    from akte.case_files import repository as case_file_repo
    from akte.case_files.models import CaseFile

    typed = aktenzeichen.strip()
    if not typed or principal.tenant_id is None:
        raise Unprocessable("Aktenzeichen: bitte angeben", code="invalid_form")
    key = case_file_repo.aktenzeichen_key(session, principal.tenant_id, typed)
    found = session.scalar(
        case_file_repo.readable_statement(principal)
        .where(or_(CaseFile.aktenzeichen == typed, CaseFile.aktenzeichen_key == key))
        .limit(1)
    )
    if found is None:
        raise NotFound(
            f"Keine Akte mit dem Aktenzeichen {typed} gefunden", code="case_file_not_found"
        )
    return found


def _group(rows: list, key) -> dict:  # type: ignore[no-untyped-def]
    grouped: dict = {}
    for row in rows:
        grouped.setdefault(key(row), []).append(row)
    return grouped


def my_context(session: Session, principal: Principal) -> dict[str, Any]:
    """The start of a caseworker's day: open follow-ups due within a week, by urgency, and
    how many more lie further ahead."""
    on = followups.today()
    until = on + timedelta(days=7)
    rows = list(session.scalars(followups.mine_query(session, principal, until).limit(LIMIT)))
    items = followups.my_reads(session, principal, rows)
    sections = {key: [i for i in items if i.bucket == key] for key in BUCKETS}
    vorgang_ids = {i.vorgang_id for i in items if i.vorgang_id}
    titles = (
        dict(
            session.execute(
                select(Vorgang.id, Vorgang.title).where(Vorgang.id.in_(vorgang_ids))
            ).all()
        )
        if vorgang_ids
        else {}
    )
    return {
        "nav": "wiedervorlagen",
        "sections": sections,
        "bucket_labels": BUCKETS,
        "why_labels": WHY,
        "vorgang_titles": titles,
        "today": on,
        "until": until,
        "limited": len(rows) >= LIMIT,
    }
