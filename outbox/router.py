"""HTTP API of the outbox: letters for caseworkers, batches and status for the provider."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Depends, File, Form, Request, Response, UploadFile, status
from pydantic import ValidationError
from pydantic.json_schema import SkipJsonSchema
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile as StarletteUpload

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
from akte.core.ranges import ranged_response
from akte.users.models import Role
from outbox import provider, repository, service
from outbox import settings as outbox_settings
from outbox.addresses import PostalAddress
from outbox.models import Letter, Product
from outbox.schemas import (
    BatchAck,
    BatchDetail,
    BatchRead,
    LetterEventRead,
    LetterRead,
    ProviderLetterRead,
    StatusReport,
)
from outbox.service import LetterOptions, TemplateInput
from outbox.settings import TenantOutboxSettings
from outbox.validation import LetterInvalid

router = APIRouter(prefix="/api/v1", tags=["Postausgang"])
COMMON = responses(NotAuthenticated, Forbidden, NotFound)
CREATE_ERRORS = responses(LetterInvalid, PayloadTooLarge, UnsupportedMediaType, ServiceUnavailable)


def _recipient(text: str | None) -> list[str] | None:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines or None


def _address(text: str | None) -> PostalAddress | None:
    """The ``recipient_address`` form field: a JSON object (see :class:`PostalAddress`)."""
    if not text:
        return None
    try:
        return PostalAddress.model_validate_json(text)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'recipient_address'}: {e['msg']}"
            for e in exc.errors()
        )
        raise Unprocessable(f"recipient_address: {problems}", code="invalid_address") from None


CODE_HELP = (
    "an upload code of this Akte as shown when issued (ABCD-EFGH-JKMN-PQRS): the "
    "template letter prints it with the portal address and a QR code that opens "
    "the portal with the code filled in (in the URL fragment, never sent to the "
    "server); needs a deadline"
)
ISSUE_HELP = (
    "issue a new upload code for this Akte with the letter and print it (as "
    "upload_code); its plaintext exists only on the letter"
)
ADDRESS_HELP = (
    'the recipient as JSON: {"name_lines": [...], "street": ..., '
    '"postcode": ..., "city": ..., "country": "AT"}; laid out as the '
    "destination country expects. Instead of ``recipient`` (lines as printed)"
)


@router.post(
    "/case-files/{case_file_id}/letters",
    status_code=status.HTTP_201_CREATED,
    responses={**COMMON, **CREATE_ERRORS},
    # published: a letter is a PDF or the template's subject and body
    openapi_extra={
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "schema": {"anyOf": [{"required": ["file"]}, {"required": ["subject", "body"]}]}
                }
            }
        }
    },
)
def create_letter(
    case_file_id: uuid.UUID,
    session: DbSession,
    storage: Storage,
    ctx: Context,
    user: CurrentUser,
    file: Annotated[
        UploadFile | SkipJsonSchema[None], File(description="the finished letter (PDF)")
    ] = None,
    subject: Annotated[str | SkipJsonSchema[None], Form(min_length=1, max_length=300)] = None,
    body: Annotated[str | SkipJsonSchema[None], Form(min_length=1, max_length=100_000)] = None,
    recipient: Annotated[
        str | SkipJsonSchema[None],
        Form(description="address lines, one per line; default: the Akte's address"),
    ] = None,
    recipient_address: Annotated[str | None, Form(description=ADDRESS_HELP)] = None,
    letter_date: Annotated[date | SkipJsonSchema[None], Form()] = None,
    product: Annotated[Product, Form()] = Product.standardbrief,
    color: Annotated[bool, Form()] = False,
    duplex: Annotated[bool, Form()] = False,
    deadline: Annotated[
        date | SkipJsonSchema[None],
        Form(
            description="the date the citizen must answer by: leaves a Wiedervorlage due then "
            "for the writer"
        ),
    ] = None,
    upload_code_id: Annotated[
        uuid.UUID | SkipJsonSchema[None],
        Form(
            description="the upload code printed on the letter (of this Akte; needs a "
            'deadline): an upload with it marks the Wiedervorlage "Unterlagen '
            'eingegangen"'
        ),
    ] = None,
    upload_code: Annotated[
        str | SkipJsonSchema[None], Form(max_length=64, description=CODE_HELP)
    ] = None,
    issue_upload_code: Annotated[bool, Form(description=ISSUE_HELP)] = False,
) -> LetterRead:
    """Queue a letter: upload a PDF (``file``) or have it rendered from the template
    (``subject`` + ``body``). It is validated (PDF, A4 portrait, page limit, window
    address, blank franking zone; a failure is 422 ``letter_invalid`` naming the check),
    filed into the Akte as a document of source ``letter`` and queued for the next batch."""
    template = None
    address = _address(recipient_address)
    if file is not None and (address or recipient):
        raise Unprocessable(
            "an uploaded letter brings its own address (read from the "
            "window); send recipient or recipient_address only with the "
            "template",
            code="invalid_address",
        )
    if file is None and subject and body:
        template = TemplateInput(
            subject=subject,
            body=body,
            recipient_address=address,
            recipient_lines=_recipient(recipient),
            letter_date=letter_date,
        )
    letter = service.create_letter(
        session,
        storage,
        user,
        case_file_id,
        options=LetterOptions(product=product, color=color, duplex=duplex),
        upload=file.file if file else None,
        filename=file.filename if file else None,
        template=template,
        subject=subject,
        max_bytes=ctx.settings.max_upload_bytes,
        deadline=deadline,
        upload_code_id=upload_code_id,
        code=service.CodeOnLetter(
            ctx.settings.effective_public_url, upload_code, issue_upload_code
        ),
    )
    return service.to_read(session, [letter])[0]


@router.post(
    "/case-files/{case_file_id}/letters/preview",
    response_class=Response,
    responses={**COMMON, 200: {"content": {"application/pdf": {}}}},
)
def preview_letter(
    case_file_id: uuid.UUID,
    session: DbSession,
    ctx: Context,
    user: CurrentUser,
    subject: Annotated[str, Form(min_length=1, max_length=300)],
    body: Annotated[str, Form(min_length=1, max_length=100_000)],
    recipient: Annotated[str | SkipJsonSchema[None], Form()] = None,
    recipient_address: Annotated[str | None, Form(description=ADDRESS_HELP)] = None,
    letter_date: Annotated[date | SkipJsonSchema[None], Form()] = None,
    product: Annotated[Product, Form()] = Product.standardbrief,
    color: Annotated[bool, Form()] = False,
    duplex: Annotated[bool, Form()] = False,
    deadline: Annotated[date | SkipJsonSchema[None], Form()] = None,
    upload_code: Annotated[
        str | SkipJsonSchema[None], Form(max_length=64, description=CODE_HELP)
    ] = None,
    issue_upload_code: Annotated[
        bool,
        Form(
            description="print XXXX-XXXX-XXXX-XXXX where the code issued on sending will "
            "stand; nothing is issued"
        ),
    ] = False,
) -> Response:
    """The rendered letter as PDF, nothing stored or queued. ``X-Letter-Check`` says
    whether it would pass validation (``ok``) or which check fails."""
    pdf, check = service.preview(
        session,
        user,
        case_file_id,
        options=LetterOptions(product=product, color=color, duplex=duplex),
        template=TemplateInput(
            subject=subject,
            body=body,
            recipient_address=_address(recipient_address),
            recipient_lines=_recipient(recipient),
            letter_date=letter_date,
        ),
        deadline=deadline,
        code=service.CodeOnLetter(
            ctx.settings.effective_public_url, upload_code, issue_upload_code
        ),
    )
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": 'inline; filename="vorschau.pdf"',
            "X-Letter-Check": check.encode("ascii", "replace").decode(),
        },
    )


@router.get("/case-files/{case_file_id}/letters", responses=COMMON)
def list_letters(
    case_file_id: uuid.UUID, session: DbSession, user: CurrentUser, pagination: Pagination
) -> Page[LetterRead]:
    """Letters of an Akte with their status history, newest first."""
    rows, total = paginate(session, service.list_query(session, user, case_file_id), pagination)
    return Page.of(service.to_read(session, rows), total, pagination)


@router.get("/letters/{letter_id}", responses=COMMON)
def get_letter(letter_id: uuid.UUID, session: DbSession, user: CurrentUser) -> LetterRead:
    """A letter with its status history."""
    return service.get_letter(session, user, letter_id)


@router.get("/documents/{document_id}/letter", responses=COMMON)
def letter_of_document(document_id: uuid.UUID, session: DbSession, user: CurrentUser) -> LetterRead:
    """The letter a document (source ``letter``) was sent as, with its status history."""
    return service.letter_of_document(session, user, document_id)


@router.post("/letters/{letter_id}/cancel", responses={**COMMON, **responses(Conflict)})
def cancel_letter(letter_id: uuid.UUID, session: DbSession, user: CurrentUser) -> LetterRead:
    """Cancel a queued letter; once sealed into a batch it is too late (409)."""
    letter = service.cancel(session, user, letter_id)
    return service.to_read(session, [letter])[0]


@router.get("/outbox/settings", responses=responses(NotAuthenticated, Forbidden))
def get_settings(session: DbSession, user: CurrentUser) -> TenantOutboxSettings:
    """The tenant's outbox rules (cut-off times, batch size, acknowledgement timeout)."""
    user.require_role(Role.tenant_admin)
    assert user.tenant_id is not None
    return outbox_settings.masked(outbox_settings.get(session, user.tenant_id))


@router.put("/outbox/settings", responses=responses(NotAuthenticated, Forbidden))
def put_settings(
    values: TenantOutboxSettings, session: DbSession, user: CurrentUser
) -> TenantOutboxSettings:
    """Replace the tenant's outbox rules."""
    user.require_role(Role.tenant_admin)
    assert user.tenant_id is not None
    outbox_settings.put(session, user.tenant_id, values)
    return outbox_settings.masked(values)


# --- the print provider ---------------------------------------------------------------


@router.get(
    "/outbox/batches", tags=["Druckdienstleister"], responses=responses(NotAuthenticated, Forbidden)
)
def list_batches(
    session: DbSession,
    user: CurrentUser,
    pagination: Pagination,
    status: Literal["ready", "awaiting_ack", "handed_over"] | None = None,
) -> Page[BatchRead]:
    """Sealed batches, oldest first. ``ready``: to fetch — new ones, and downloaded ones
    whose acknowledgement timeout passed (offered again)."""
    rows, total = paginate(session, provider.list_query(session, user, status), pagination)
    return Page.of([provider.to_read(b) for b in rows], total, pagination)


@router.get("/outbox/batches/{batch_id}", tags=["Druckdienstleister"], responses=COMMON)
def get_batch(batch_id: uuid.UUID, session: DbSession, user: CurrentUser) -> BatchDetail:
    """A batch with its manifest (one entry per letter, with the PDF's SHA-256)."""
    return provider.detail(session, user, batch_id)


@router.get(
    "/outbox/batches/{batch_id}/download",
    tags=["Druckdienstleister"],
    response_class=Response,
    responses={
        **COMMON,
        **responses(ServiceUnavailable),
        206: {"description": "partial content (Range)"},
        416: {"description": "range not satisfiable"},
    },
)
def download_batch(
    batch_id: uuid.UUID, request: Request, session: DbSession, storage: Storage, user: CurrentUser
) -> Response:
    """The batch ZIP (``manifest.json``, ``manifest.csv``, ``letters/*.pdf``), streamed.
    Resume with ``Range`` + ``If-Range: <ETag>``; the ETag is the ZIP's SHA-256."""
    batch = provider.start_download(session, storage, user, batch_id, request.headers.get("range"))
    sha, size = batch.zip_sha256, batch.zip_size
    assert sha is not None and size is not None
    session.commit()
    return ranged_response(
        request,
        size=size,
        etag=sha,
        media_type="application/zip",
        filename=f"batch-{batch.id}.zip",
        open_range=lambda start, end: storage.iter_range(sha, start, end),
    )


@router.post(
    "/outbox/batches/{batch_id}/ack",
    tags=["Druckdienstleister"],
    responses={**COMMON, **responses(Conflict)},
)
def ack_batch(
    batch_id: uuid.UUID,
    session: DbSession,
    user: CurrentUser,
    body: Annotated[BatchAck | None, Body()] = None,
) -> BatchRead:
    """Confirm receipt with the downloaded ZIP's SHA-256 (``zip_sha256``, required; a
    mismatch is 409): the letters are handed over. A batch never downloaded cannot be
    acknowledged (409 ``not_downloaded``). Repeating it changes nothing."""
    batch = provider.acknowledge(session, user, batch_id, body.zip_sha256 if body else None)
    return provider.to_read(batch)


def _status_form_schema() -> dict:
    """The published form of :class:`StatusReport`: a form field is sent or left out, it
    cannot be ``null`` (a client that sends the text "null" gets a 422), so optional
    fields are published without the ``null`` alternative."""
    schema = StatusReport.model_json_schema(by_alias=True)
    properties = {}
    for name, prop in schema["properties"].items():
        options = [o for o in prop.get("anyOf", ()) if o.get("type") != "null"]
        if len(options) == 1:
            prop = {
                **{k: v for k, v in prop.items() if k not in ("anyOf", "default")},
                **options[0],
            }
        properties[name] = prop
    properties["file"] = {"type": "string", "format": "binary"}
    return {**schema, "properties": properties}


async def status_report(request: Request) -> tuple[StatusReport, UploadFile | None]:
    """The form of a status report, validated strictly: an unknown field is 422, not
    silently dropped (a misspelt ``tracking_number`` would otherwise be lost)."""
    form = await request.form()
    file = None
    values: dict[str, str] = {}
    for key, value in form.multi_items():
        if isinstance(value, StarletteUpload):
            if key != "file" or file is not None:
                raise Unprocessable(f"unexpected file field: {key}", code="unknown_field")
            file = value
        elif key in values:
            raise Unprocessable(f"field given twice: {key}", code="invalid_report")
        else:
            values[key] = value or None  # an empty form field counts as absent
    try:
        report = StatusReport.model_validate(values)
    except ValidationError as exc:
        unknown = [str(e["loc"][0]) for e in exc.errors() if e["type"] == "extra_forbidden"]
        if unknown:
            raise Unprocessable(
                f"unknown field(s): {', '.join(sorted(unknown))}", code="unknown_field"
            ) from None
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise Unprocessable(problems, code="invalid_report") from None
    return report, file  # type: ignore[return-value]


@router.post(
    "/outbox/letters/{letter_id}/status",
    tags=["Druckdienstleister"],
    responses={**COMMON, **responses(Conflict, Unprocessable, PayloadTooLarge)},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"multipart/form-data": {"schema": _status_form_schema()}},
        }
    },
)
def report_status(
    letter_id: uuid.UUID,
    session: DbSession,
    storage: Storage,
    ctx: Context,
    user: CurrentUser,
    form: Annotated[tuple[StatusReport, UploadFile | None], Depends(status_report)],
) -> ProviderLetterRead:
    """Report ``printed``, ``posted`` (``date``; ``tracking_number`` for an Einschreiben or
    PZU), ``delivered`` (``date``; the Zustellungsurkunde or Rückschein scan as ``file``,
    whose date then is the legal delivery date), ``returned`` (``reason``; after a delivery
    it is kept and flagged) or ``rejected`` (``reason_code`` + ``reason``: cannot be
    printed or posted). Form fields (urlencoded or multipart); unknown fields are 422.
    Dates must lie between the sealing of the batch and today, and a delivery not before
    the posting (409 with the reason). A repeated report is a no-op (``changed: false``);
    a late report of an earlier step is added to the history without moving the status
    back; contradicting an earlier report is 409."""
    report, file = form
    letter, changed = provider.report_status(
        session,
        storage,
        user,
        letter_id,
        report=report,
        proof=file.file if file else None,
        proof_filename=file.filename if file else None,
        max_bytes=ctx.settings.max_upload_bytes,
    )
    return _provider_view(session, letter, changed)


@router.get("/outbox/letters/{letter_id}", tags=["Druckdienstleister"], responses=COMMON)
def provider_letter(
    letter_id: uuid.UUID, session: DbSession, user: CurrentUser
) -> ProviderLetterRead:
    """What akte has recorded for a letter (to reconcile after a lost answer)."""
    return _provider_view(
        session, provider.letter_for_provider(session, user, letter_id), changed=False
    )


def _provider_view(session: Session, letter: Letter, changed: bool) -> ProviderLetterRead:
    history = repository.history(session, [letter.id])[letter.id]
    return ProviderLetterRead(
        id=letter.id,
        batch_id=letter.batch_id,
        status=letter.status,
        posted_on=letter.posted_on,
        legal_delivery_date=letter.legal_delivery_date,
        delivered_on=letter.delivered_on,
        return_reason=letter.return_reason,
        tracking_number=letter.tracking_number,
        rejection_code=letter.rejection_code,
        rejection_reason=letter.rejection_reason,
        return_after_delivery=letter.return_after_delivery,
        proof_received=letter.proof_document_id is not None,
        history=[LetterEventRead.model_validate(e) for e in history],
        changed=changed,
    )
