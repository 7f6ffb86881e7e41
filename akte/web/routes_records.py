"""Pages for letting Akten out (``/app``): a caseworker's Akteneinsicht/Aktenübersendung
of an Akte, and a tenant admin's Aussonderung to the archive.

The forms call the same ``records`` services as the API (same permission checks, same
audit entries) and send the browser back with a fixed confirmation (``?msg=``); downloads
go through the same verified blob response as the API's.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from akte.audit import service as audit
from akte.case_files import service as case_files
from akte.core.dependencies import DbSession, Storage, get_context
from akte.core.errors import AkteError, Conflict, NotFound, Unprocessable
from akte.users.models import Role
from akte.web.deps import CsrfChecked, Staff
from akte.web.errors import PageRoute
from akte.web.pages import page
from records import aussonderung, exports, xdomea
from records.downloads import blob_response
from records.models import ExportStatus
from records.schemas import AussonderungCreate, ExportCreate

router = APIRouter(prefix="/app", include_in_schema=False, route_class=PageRoute)

KIND_LABELS = {
    "court": "Aktenübersendung (Gericht)",
    "inspection": "Akteneinsicht",
    "xdomea-abgabe": "xdomea-Abgabe",
}
EXPORT_STATUS = {
    "queued": "wartet",
    "building": "wird erstellt",
    "ready": "fertig",
    "failed": "fehlgeschlagen",
}
AUSSONDERUNG_STATUS = {
    "offered": "angeboten",
    "evaluated": "bewertet",
    "building": "Abgabe wird erstellt",
    "transferred": "übergeben",
    "done": "abgeschlossen",
    "failed": "fehlgeschlagen",
}
ITEM_STATE = {
    "offered": "angeboten",
    "archive": "archivwürdig (A)",
    "destroy": "zu vernichten (V)",
    "undecided": "offen",
    "archived": "vom Archiv übernommen",
    "failed": "Übernahme fehlgeschlagen",
}


#: The services answer in English (the API's language); the pages say it in German.
GERMAN = {
    "nothing_to_export": "Die Akte hat keine abgelegten, verarbeiteten Dokumente, die "
    "exportiert werden könnten.",
    "lent_access": "Exporte fordert die zuständige Stelle der Akte an; Sie haben die Akte "
    "nur geliehen.",
    "akte_not_closed": "Dem Archiv werden nur geschlossene Akten (zdA) angeboten.",
    "already_offered": "Eine der Akten ist schon angeboten und noch nicht entschieden.",
    "unknown_case_file": "Eine der Akten gehört nicht zu Ihrem Mandanten.",
    "process_mismatch": "Die Nachricht gehört zu einer anderen Aussonderung (andere Prozess-ID).",
    "unknown_object": "Die Nachricht nennt Akten, die in dieser Aussonderung nicht "
    "angeboten oder abgegeben wurden.",
    "wrong_step": "Diese Nachricht passt nicht zum Stand der Aussonderung (z. B. eine "
    "Importbestätigung vor der Abgabe).",
}


@contextmanager
def _in_german() -> Iterator[None]:
    """Re-raise a service's error with the German text for its code; an invalid xdomea
    file keeps the schema's own words (they name the element) after a German lead."""
    try:
        yield
    except AkteError as exc:
        if exc.code == "invalid_xdomea":
            text = f"Die Datei ist keine gültige xdomea-Nachricht: {exc.detail}"
        else:
            text = GERMAN.get(exc.code, exc.detail)
        raise type(exc)(text, code=exc.code) from None


def _invalid(exc: ValidationError) -> Unprocessable:
    first = exc.errors()[0]
    return Unprocessable(f"{'.'.join(map(str, first['loc']))}: {first['msg']}", code="invalid_form")


# --- Akteneinsicht / Aktenübersendung -------------------------------------------------------


@router.get("/akten/{case_file_id}/exporte")
def exports_page(
    case_file_id: uuid.UUID, request: Request, session: DbSession, principal: Staff
) -> Response:
    """The Akte's exports with their state, and the form to request one (owners)."""
    case_file = case_files.get_visible(session, principal, case_file_id)
    rows = list(session.scalars(exports.list_query(session, principal, case_file_id).limit(50)))
    audit.record(
        session,
        principal,
        "records.export.list",
        object_type="case_file",
        object_id=case_file_id,
        detail={"count": len(rows)},
    )
    return page(
        request,
        principal,
        "exporte.html",
        {
            "nav": "akten",
            "case_file": case_file,
            "exports": rows,
            "may_export": case_files.owns(session, principal, case_file_id),
            "kind_labels": KIND_LABELS,
            "export_status": EXPORT_STATUS,
            "busy": any(r.status in (ExportStatus.queued, ExportStatus.building) for r in rows),
        },
    )


@router.post("/akten/{case_file_id}/exporte", dependencies=[CsrfChecked])
def request_export(
    case_file_id: uuid.UUID,
    session: DbSession,
    principal: Staff,
    kind: Annotated[str, Form(max_length=20)],
    recipient: Annotated[str, Form(max_length=300)] = "",
    reference: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    try:
        body = ExportCreate(
            kind=kind, recipient=recipient.strip(), reference=reference.strip() or None
        )
    except ValidationError as exc:
        raise _invalid(exc) from None
    with _in_german():
        exports.create(session, principal, case_file_id, export_in=body)
    session.commit()  # durable before the browser follows the answer
    return RedirectResponse(
        f"/app/akten/{case_file_id}/exporte?msg=export_requested", status_code=303
    )


@router.get("/exporte/{export_id}/{part}")
def download_export(
    export_id: uuid.UUID,
    part: str,
    request: Request,
    session: DbSession,
    storage: Storage,
    principal: Staff,
) -> Response:
    """``pdf``: the one PDF with Blattzahlen; ``paket``: the ZIP with the documents."""
    export = exports.get_readable(session, principal, export_id)
    if part not in ("pdf", "paket"):
        raise NotFound("Diese Datei gibt es nicht.")
    if export.status != ExportStatus.ready:
        raise Conflict("Der Export ist noch nicht fertig.", code="export_not_ready")
    sha = export.pdf_sha256 if part == "pdf" else export.zip_sha256
    if sha is None:
        raise NotFound("Dieser Export hat keine PDF-Datei (xdomea ist ein Paket).")
    audit.record(
        session,
        principal,
        "records.export.download",
        object_type="case_file",
        object_id=export.case_file_id,
        detail={"export_id": str(export.id), "file": part},
    )
    stem = (export.zip_name or "export.zip").removesuffix(".zip")
    return blob_response(
        request,
        session,
        storage,
        sha256=sha,
        filename=f"{stem}.pdf" if part == "pdf" else f"{stem}.zip",
        media_type="application/pdf" if part == "pdf" else "application/zip",
    )


# --- Aussonderung (tenant admins) ----------------------------------------------------------


@router.get("/aussonderung")
def aussonderung_page(request: Request, session: DbSession, principal: Staff) -> Response:
    principal.require_role(Role.tenant_admin)
    from records.models import Aussonderung
    from records.repository import readable_aussonderungen

    rows = list(
        session.scalars(
            readable_aussonderungen(principal).order_by(Aussonderung.created_at.desc()).limit(100)
        )
    )
    audit.record(
        session,
        principal,
        "records.aussonderung.list",
        object_type="aussonderung",
        detail={"count": len(rows)},
    )
    return page(
        request,
        principal,
        "aussonderung.html",
        {"nav": "aussonderung", "rows": rows, "status_labels_a": AUSSONDERUNG_STATUS},
    )


@router.post("/aussonderung", dependencies=[CsrfChecked])
def offer_to_archive(
    request: Request,
    session: DbSession,
    storage: Storage,
    principal: Staff,
    recipient: Annotated[str, Form(max_length=300)] = "",
    aktenzeichen: Annotated[str, Form(max_length=50_000)] = "",
) -> Response:
    principal.require_role(Role.tenant_admin)
    from akte.case_files import repository as case_file_rows

    ids, unknown = [], []
    for number in (line.strip() for line in aktenzeichen.splitlines()):
        if not number:
            continue
        akte = case_file_rows.by_aktenzeichen(session, principal.tenant_id, number)
        (ids.append(akte.id) if akte is not None else unknown.append(number))
    if unknown:
        raise Unprocessable(
            f"Unbekanntes Aktenzeichen: {', '.join(unknown[:5])}", code="unknown_case_file"
        )
    try:
        body = AussonderungCreate(recipient=recipient.strip(), case_file_ids=ids)
    except ValidationError as exc:
        raise _invalid(exc) from None
    with _in_german():
        row = aussonderung.offer(
            session, storage, principal, body=body, settings=get_context(request).settings
        )
    session.commit()
    return RedirectResponse(f"/app/aussonderung/{row.id}?msg=offered", status_code=303)


@router.get("/aussonderung/{aussonderung_id}")
def aussonderung_detail(
    aussonderung_id: uuid.UUID, request: Request, session: DbSession, principal: Staff
) -> Response:
    row = aussonderung.get(session, principal, aussonderung_id)
    audit.record(
        session,
        principal,
        "records.aussonderung.read",
        object_type="aussonderung",
        object_id=row.id,
    )
    return page(
        request,
        principal,
        "aussonderung_detail.html",
        {
            "nav": "aussonderung",
            "row": row,
            "items": aussonderung.items(session, row.id),
            "messages": aussonderung.messages(session, row.id),
            "status_labels_a": AUSSONDERUNG_STATUS,
            "item_state": ITEM_STATE,
        },
    )


@router.post("/aussonderung/{aussonderung_id}/nachricht", dependencies=[CsrfChecked])
def archive_message(
    aussonderung_id: uuid.UUID,
    session: DbSession,
    storage: Storage,
    principal: Staff,
    file: Annotated[UploadFile, File()],
) -> Response:
    """A message of the archive (0502, 0504, 0506, 0507) as its XML or ZIP file."""
    data = file.file.read(xdomea.MAX_MESSAGE_BYTES + 1)
    if len(data) > xdomea.MAX_MESSAGE_BYTES:
        raise Unprocessable(
            "Die Datei ist zu groß für eine xdomea-Nachricht.", code="invalid_xdomea"
        )
    with _in_german():
        try:
            data = xdomea.unpack(data)
        except xdomea.InvalidMessage as exc:
            raise Unprocessable(str(exc), code="invalid_xdomea") from None
        aussonderung.receive(session, storage, principal, aussonderung_id, data)
    session.commit()
    return RedirectResponse(
        f"/app/aussonderung/{aussonderung_id}?msg=archive_message", status_code=303
    )


@router.get("/aussonderung/{aussonderung_id}/{part}")
def aussonderung_download(
    aussonderung_id: uuid.UUID,
    part: str,
    request: Request,
    session: DbSession,
    storage: Storage,
    principal: Staff,
) -> Response:
    """``angebot``: the 0501 ZIP; ``abgabe``: the 0503 ZIP with the files."""
    row = aussonderung.get(session, principal, aussonderung_id)
    found = {
        "angebot": (row.offer_sha256, row.offer_name),
        "abgabe": (row.package_sha256, row.package_name),
    }.get(part)
    if found is None or found[0] is None:
        raise NotFound("Diese Datei gibt es (noch) nicht.")
    audit.record(
        session,
        principal,
        "records.aussonderung.download",
        object_type="aussonderung",
        object_id=row.id,
        detail={"file": part},
    )
    return blob_response(
        request,
        session,
        storage,
        sha256=found[0],
        filename=found[1] or f"{part}.zip",
        media_type="application/zip",
    )
