"""HTTP API of ``records``: Schwärzungen, their preview, exports and their downloads.

Every route checks role, tenant and org unit through the Akte's scopes: reading needs a
readable Akte (else 404), redacting and exporting need ownership (a borrower gets 403
``lent_access``).
"""

from __future__ import annotations

import uuid
from enum import Enum
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status

from akte.audit import service as audit
from akte.auth.dependencies import CurrentUser
from akte.core.dependencies import Context, DbSession, Storage
from akte.core.errors import (
    Conflict,
    Forbidden,
    NotAuthenticated,
    NotFound,
    PayloadTooLarge,
    ServiceUnavailable,
    Unprocessable,
    UnsupportedMediaType,
    responses,
)
from akte.core.pagination import Page, Pagination, paginate
from records import aussonderung, confirmations, exports, redactions, repository, xdomea
from records.downloads import blob_response
from records.models import Aussonderung, Export, ExportStatus
from records.schemas import (
    AreaRead,
    AussonderungCreate,
    AussonderungItemRead,
    AussonderungMessageRead,
    AussonderungRead,
    ExportCreate,
    ExportRead,
    HitRead,
    RedactionCreate,
    RedactionRead,
    TermPreview,
    TermRedactionCreate,
)

router = APIRouter(prefix="/api/v1", tags=["Schwärzung und Export"])
COMMON = responses(NotAuthenticated, Forbidden, NotFound)
WRITE = responses(Conflict, Unprocessable, ServiceUnavailable)


@router.post(
    "/documents/{document_id}/redactions",
    status_code=status.HTTP_201_CREATED,
    responses={**COMMON, **WRITE},
)
def create_redaction(
    document_id: uuid.UUID,
    body: RedactionCreate,
    session: DbSession,
    storage: Storage,
    user: CurrentUser,
) -> RedactionRead:
    """Redact rectangles and/or every hit of search terms in a document. The marked text,
    pixels and text layer are removed from a new rendition; the original is untouched and
    exports use the newest redacted copy (marks accumulate)."""
    row = redactions.apply(
        session, storage, user, document_id, areas=body.areas, terms=body.terms, reason=body.reason
    )
    return RedactionRead.model_validate(row)


@router.get("/documents/{document_id}/redactions", responses=COMMON)
def list_redactions(
    document_id: uuid.UUID, session: DbSession, user: CurrentUser
) -> list[RedactionRead]:
    """The redactions of a document, oldest first (the last one is what exports use)."""
    rows = redactions.list_for_document(session, user, document_id)
    audit.record(
        session,
        user,
        "records.redaction.list",
        object_type="document",
        object_id=document_id,
        detail={"count": len(rows)},
    )
    return [RedactionRead.model_validate(r) for r in rows]


@router.get(
    "/redactions/{redaction_id}/content",
    response_class=Response,
    responses={**COMMON, **responses(ServiceUnavailable)},
)
def download_redaction(
    redaction_id: uuid.UUID,
    request: Request,
    session: DbSession,
    storage: Storage,
    user: CurrentUser,
    inline: bool = False,
) -> Response:
    """The redacted PDF."""
    row = redactions.get_readable(session, user, redaction_id)
    audit.record(
        session,
        user,
        "records.redaction.download",
        object_type="document",
        object_id=row.document_id,
        detail={"redaction_id": str(row.id)},
    )
    return blob_response(
        request,
        session,
        storage,
        sha256=row.redacted_sha256,
        filename=f"geschwaerzt-{row.document_id}.pdf",
        media_type="application/pdf",
        inline=inline,
    )


@router.post("/case-files/{case_file_id}/redaction-preview", responses={**COMMON, **WRITE})
def preview_terms(
    case_file_id: uuid.UUID,
    body: TermPreview,
    session: DbSession,
    storage: Storage,
    user: CurrentUser,
) -> list[HitRead]:
    """Where the search terms occur in the Akte's documents, before anything is redacted."""
    hits = [
        HitRead(
            document_id=document.id,
            title=document.title,
            term=hit.term,
            page=hit.page,
            areas=[
                AreaRead(page=a.page, x0=a.x0, top=a.top, x1=a.x1, bottom=a.bottom)
                for a in hit.areas
            ],
        )
        for document, hit in redactions.preview(
            session, storage, user, case_file_id, terms=body.terms, document_ids=body.document_ids
        )
    ]
    audit.record(
        session,
        user,
        "records.redaction.preview",
        object_type="case_file",
        object_id=case_file_id,
        detail={"terms": len(body.terms), "hits": len(hits)},
    )
    return hits


@router.post(
    "/case-files/{case_file_id}/redactions",
    status_code=status.HTTP_201_CREATED,
    responses={**COMMON, **WRITE},
)
def redact_terms(
    case_file_id: uuid.UUID,
    body: TermRedactionCreate,
    session: DbSession,
    storage: Storage,
    user: CurrentUser,
) -> list[RedactionRead]:
    """Redact every hit of the terms across the Akte: one redaction per document hit."""
    rows = redactions.apply_terms(
        session,
        storage,
        user,
        case_file_id,
        terms=body.terms,
        reason=body.reason,
        document_ids=body.document_ids,
    )
    audit.record(
        session,
        user,
        "records.redaction.terms",
        object_type="case_file",
        object_id=case_file_id,
        detail={"terms": len(body.terms), "documents": len(rows), "reason": body.reason},
    )
    return [RedactionRead.model_validate(r) for r in rows]


@router.post(
    "/case-files/{case_file_id}/exports",
    status_code=status.HTTP_202_ACCEPTED,
    responses={**COMMON, **WRITE},
)
def create_export(
    case_file_id: uuid.UUID, body: ExportCreate, session: DbSession, user: CurrentUser
) -> ExportRead:
    """Request an Aktenübersendung (``court``), Akteneinsicht (``inspection``) or xdomea
    Abgabe (``xdomea-abgabe``). Built by a job: watch ``status`` and ``progress_*``."""
    export = exports.create(session, user, case_file_id, export_in=body)
    return ExportRead.model_validate(export)


@router.get("/case-files/{case_file_id}/exports", responses=COMMON)
def list_exports(
    case_file_id: uuid.UUID, session: DbSession, user: CurrentUser, pagination: Pagination
) -> Page[ExportRead]:
    """Exports of an Akte, newest first."""
    rows, total = paginate(session, exports.list_query(session, user, case_file_id), pagination)
    audit.record(
        session,
        user,
        "records.export.list",
        object_type="case_file",
        object_id=case_file_id,
        detail={"count": len(rows)},
    )
    return Page.of([ExportRead.model_validate(r) for r in rows], total, pagination)


@router.get("/exports/{export_id}", responses=COMMON)
def get_export(export_id: uuid.UUID, session: DbSession, user: CurrentUser) -> ExportRead:
    """An export with its state and progress."""
    export = exports.get_readable(session, user, export_id)
    audit.record(
        session,
        user,
        "records.export.read",
        object_type="case_file",
        object_id=export.case_file_id,
        detail={"export_id": str(export.id)},
    )
    return ExportRead.model_validate(export)


def _ready(session: DbSession, user: CurrentUser, export_id: uuid.UUID) -> Export:
    export = exports.get_readable(session, user, export_id)
    if export.status != ExportStatus.ready:
        raise Conflict(f"the export is {export.status}, not ready", code="export_not_ready")
    return export


@router.get(
    "/exports/{export_id}/pdf",
    response_class=Response,
    responses={**COMMON, **responses(Conflict, ServiceUnavailable)},
)
def download_export_pdf(
    export_id: uuid.UUID,
    request: Request,
    session: DbSession,
    storage: Storage,
    user: CurrentUser,
    inline: bool = False,
) -> Response:
    """The one PDF with cover sheet, table of contents and Blattzahlen."""
    export = _ready(session, user, export_id)
    if not export.pdf_sha256:
        raise NotFound("this export has no PDF (an xdomea message is a package)", code="no_pdf")
    audit.record(
        session,
        user,
        "records.export.download",
        object_type="case_file",
        object_id=export.case_file_id,
        detail={"export_id": str(export.id), "file": "pdf"},
    )
    name = (export.zip_name or "export.zip").removesuffix(".zip") + ".pdf"
    return blob_response(
        request,
        session,
        storage,
        sha256=export.pdf_sha256,
        filename=name,
        media_type="application/pdf",
        inline=inline,
    )


@router.get(
    "/exports/{export_id}/package",
    response_class=Response,
    responses={**COMMON, **responses(Conflict, ServiceUnavailable)},
)
def download_export_package(
    export_id: uuid.UUID, request: Request, session: DbSession, storage: Storage, user: CurrentUser
) -> Response:
    """The ZIP: the PDF, the documents (redacted copies where redacted) and a manifest;
    or, for xdomea, the message and its primary documents."""
    export = _ready(session, user, export_id)
    assert export.zip_sha256 is not None
    audit.record(
        session,
        user,
        "records.export.download",
        object_type="case_file",
        object_id=export.case_file_id,
        detail={"export_id": str(export.id), "file": "package"},
    )
    return blob_response(
        request,
        session,
        storage,
        sha256=export.zip_sha256,
        filename=export.zip_name or "export.zip",
        media_type="application/zip",
    )


XML_TYPES = ("application/xml", "text/xml")


async def xdomea_message(request: Request) -> bytes:
    """The request body as one xdomea message: the XML itself, or the message's ZIP as
    xdomea transmits it (the one ``*.xml`` inside is taken). Read with a size limit."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in (*XML_TYPES, "application/zip"):
        raise UnsupportedMediaType(
            "send the message as application/xml, or its ZIP as application/zip",
            code="unsupported_media_type",
        )
    limit = xdomea.MAX_MESSAGE_BYTES
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise PayloadTooLarge(f"the message is larger than {limit} bytes")
    try:
        return xdomea.unpack(bytes(body))
    except xdomea.InvalidMessage as exc:
        raise Unprocessable(str(exc), code="invalid_xdomea") from None


#: The two routes that take an xdomea message (:func:`xdomea_message`): answers and body.
MESSAGE_RESPONSES = {
    **COMMON,
    **responses(Conflict, Unprocessable, PayloadTooLarge, UnsupportedMediaType, ServiceUnavailable),
}
MESSAGE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            **{t: {"schema": {"type": "string"}} for t in XML_TYPES},
            "application/zip": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


@router.post(
    "/exports/{export_id}/confirmation",
    responses=MESSAGE_RESPONSES,
    openapi_extra=MESSAGE_BODY,
)
def record_confirmation(
    export_id: uuid.UUID,
    session: DbSession,
    storage: Storage,
    user: CurrentUser,
    message: Annotated[bytes, Depends(xdomea_message)],
) -> ExportRead:
    """Record the receiver's import confirmation (xdomea 0402, 3.0.0 or 3.1.0) of an
    Abgabe: the message as XML or as its ZIP. Validated against the official schema; its
    ProzessID must be this export's id and it may name only objects that were handed
    over (422 ``invalid_xdomea``, ``process_mismatch``, ``unknown_object``). The Akte's
    owner records it; a second, different confirmation is 409 ``already_confirmed``."""
    export = confirmations.record(session, storage, user, export_id, message)
    return ExportRead.model_validate(export)


# --- Aussonderung to the archive (tenant admins) ------------------------------------------

ARCHIVE: list[str | Enum] = ["Aussonderung"]  # FastAPI takes tags as str or Enum


def _aussonderung_view(session: DbSession, row: Aussonderung) -> AussonderungRead:
    view = AussonderungRead.model_validate(row)
    view.items = [
        AussonderungItemRead.model_validate(i) for i in aussonderung.items(session, row.id)
    ]
    view.messages = [
        AussonderungMessageRead.model_validate(m) for m in aussonderung.messages(session, row.id)
    ]
    return view


@router.post(
    "/aussonderungen",
    status_code=status.HTTP_201_CREATED,
    tags=ARCHIVE,
    responses={**COMMON, **WRITE},
)
def offer_to_archive(
    body: AussonderungCreate,
    session: DbSession,
    storage: Storage,
    user: CurrentUser,
    ctx: Context,
) -> AussonderungRead:
    """Offer closed Akten to the archive: each is held (retention deletes nothing the
    archive has not decided on) and the Anbieteverzeichnis (xdomea 0501) is written
    (``GET …/offer``). Tenant admins; Akten of the own tenant only."""
    return _aussonderung_view(
        session, aussonderung.offer(session, storage, user, body=body, settings=ctx.settings)
    )


@router.get("/aussonderungen", tags=ARCHIVE, responses=COMMON)
def list_aussonderungen(
    session: DbSession, user: CurrentUser, pagination: Pagination
) -> Page[AussonderungRead]:
    """The tenant's Aussonderungen, newest first (without items: read one for them)."""
    stmt = repository.readable_aussonderungen(user).order_by(
        Aussonderung.created_at.desc(), Aussonderung.id
    )
    rows, total = paginate(session, stmt, pagination)
    audit.record(
        session,
        user,
        "records.aussonderung.list",
        object_type="aussonderung",
        detail={"count": len(rows)},
    )
    return Page.of([AussonderungRead.model_validate(r) for r in rows], total, pagination)


@router.get("/aussonderungen/{aussonderung_id}", tags=ARCHIVE, responses=COMMON)
def read_aussonderung(
    aussonderung_id: uuid.UUID, session: DbSession, user: CurrentUser
) -> AussonderungRead:
    """One Aussonderung with each Akte's decision, state and the archive's reference."""
    row = aussonderung.get(session, user, aussonderung_id)
    audit.record(
        session, user, "records.aussonderung.read", object_type="aussonderung", object_id=row.id
    )
    return _aussonderung_view(session, row)


@router.post(
    "/aussonderungen/{aussonderung_id}/messages",
    tags=ARCHIVE,
    responses=MESSAGE_RESPONSES,
    openapi_extra=MESSAGE_BODY,
)
def archive_message(
    aussonderung_id: uuid.UUID,
    session: DbSession,
    storage: Storage,
    user: CurrentUser,
    message: Annotated[bytes, Depends(xdomea_message)],
) -> AussonderungRead:
    """A message of the archive, as XML or its ZIP: the evaluation (0502: A-Akten go over in
    a 0503 built at once, V-Akten lose their hold), the import confirmation (0506: imported
    Akten lose their hold, with the Archivkennung), or a receipt (0504, 0507). Validated
    against the official schema; 422 ``invalid_xdomea``, ``process_mismatch``,
    ``unknown_object``; 409 ``wrong_step`` out of turn."""
    row = aussonderung.receive(session, storage, user, aussonderung_id, message)
    return _aussonderung_view(session, row)


@router.get(
    "/aussonderungen/{aussonderung_id}/offer",
    response_class=Response,
    tags=ARCHIVE,
    responses={**COMMON, **responses(ServiceUnavailable)},
)
def download_offer(
    aussonderung_id: uuid.UUID,
    request: Request,
    session: DbSession,
    storage: Storage,
    user: CurrentUser,
) -> Response:
    """The Anbieteverzeichnis (0501) as the ZIP xdomea transmits."""
    row = aussonderung.get(session, user, aussonderung_id)
    assert row.offer_sha256 is not None
    audit.record(
        session,
        user,
        "records.aussonderung.download",
        object_type="aussonderung",
        object_id=row.id,
        detail={"file": "offer"},
    )
    return blob_response(
        request,
        session,
        storage,
        sha256=row.offer_sha256,
        filename=row.offer_name or "0501.zip",
        media_type="application/zip",
    )


@router.get(
    "/aussonderungen/{aussonderung_id}/package",
    response_class=Response,
    tags=ARCHIVE,
    responses={**COMMON, **responses(Conflict, ServiceUnavailable)},
)
def download_aussonderung(
    aussonderung_id: uuid.UUID,
    request: Request,
    session: DbSession,
    storage: Storage,
    user: CurrentUser,
) -> Response:
    """The Aussonderung (0503) with the Akten's primary files, once built (else 409)."""
    row = aussonderung.get(session, user, aussonderung_id)
    if row.package_sha256 is None:
        raise Conflict(
            f"the Aussonderung is {row.status}: no package yet", code="package_not_ready"
        )
    audit.record(
        session,
        user,
        "records.aussonderung.download",
        object_type="aussonderung",
        object_id=row.id,
        detail={"file": "package"},
    )
    return blob_response(
        request,
        session,
        storage,
        sha256=row.package_sha256,
        filename=row.package_name or "0503.zip",
        media_type="application/zip",
    )


from records import transfer_router  # noqa: E402  (its routes share this prefix)

router.include_router(transfer_router.router)
