"""HTTP API of deliveries for the importer service account: ``/api/v1/deliveries``.

Flow: ``POST /deliveries`` (manifest + Transfervermerk) → ``PUT
/deliveries/{id}/items/{external_id}/file`` per file (resumable) → ``POST
/deliveries/{id}/commit`` → ``GET /deliveries/{id}/progress`` until ``done`` → ``GET
/deliveries/{id}/report`` (JSON pages or the whole report as CSV).
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile, status
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic.json_schema import SkipJsonSchema
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from akte.audit import service as audit
from akte.auth.dependencies import CurrentUser
from akte.core.context import AppContext
from akte.core.database import session_scope
from akte.core.dependencies import Context, DbSession, Storage
from akte.core.errors import (
    AkteError,
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
from akte.documents import service as documents
from akte.tenants.models import Tenant
from akte.users.models import Role
from ingest.deliveries import corrections, precheck, provenance, report, repository, service
from ingest.deliveries.manifest import ManifestError
from ingest.deliveries.models import Delivery, Outcome
from ingest.deliveries.resumable import BadRange, PartialFile, Writer, parse_content_range
from ingest.deliveries.schemas import (
    DeliveryRead,
    ItemRead,
    PreCheck,
    Progress,
    Provenance,
    UploadStatus,
)

router = APIRouter(prefix="/api/v1", tags=["Lieferungen"])
COMMON = responses(NotAuthenticated, Forbidden, NotFound)


def _read(session: Session, delivery: Delivery) -> DeliveryRead:
    read = DeliveryRead.model_validate(delivery)
    read.progress = service.progress(session, delivery)
    if delivery.corrects_id is not None:
        corrected = repository.get(session, delivery.corrects_id)
        read.corrects = corrected.external_id if corrected else None
    read.corrected_by = corrections.corrected_by(session, delivery.id)
    return read


@router.post(
    "/deliveries",
    status_code=status.HTTP_201_CREATED,
    responses={
        **COMMON,
        **responses(Conflict, Unprocessable, ServiceUnavailable),
        200: {"model": DeliveryRead, "description": "the delivery existed already"},
    },
)
def create_delivery(
    session: DbSession,
    storage: Storage,
    ctx: Context,
    user: CurrentUser,
    external_id: Annotated[str, Form(min_length=1, max_length=200, description="Lieferungs-ID")],
    manifest: Annotated[UploadFile, File(description="manifest, CSV or JSON")],
    transfervermerk: Annotated[UploadFile, File(description="Transfervermerk (JSON)")],
    corrects: Annotated[
        str | SkipJsonSchema[None],
        Form(max_length=200, description="id of the delivery this one corrects"),
    ] = None,
    transfervermerk_signature: Annotated[
        UploadFile | SkipJsonSchema[None],
        File(description="detached Ed25519 signature of the Transfervermerk's bytes"),
    ] = None,
) -> JSONResponse:
    """Create a delivery from its manifest and Transfervermerk. Sending the same external
    id with the same manifest again returns the existing delivery (200); with a different
    manifest it is a conflict (409)."""
    user.require_role(Role.importer)
    work_dir = ctx.settings.data_dir / "tmp" / "deliveries"
    path, _ = service.spool(manifest.file, work_dir)
    try:
        tenant = session.get(Tenant, user.tenant_id)
        if tenant is None:
            raise NotFound("tenant not found")
        tv_bytes = transfervermerk.file.read(5 * 1024 * 1024 + 1)
        delivery, created = service.create(
            session,
            storage,
            tenant=tenant,
            external_id=external_id,
            manifest_path=path,
            transfervermerk_bytes=tv_bytes,
            transfervermerk_filename=transfervermerk.filename or "transfervermerk.json",
            principal=user,
            corrects=corrects,
            signature_bytes=(
                transfervermerk_signature.file.read(4096) if transfervermerk_signature else None
            ),
        )
    finally:
        path.unlink(missing_ok=True)
    body = _read(session, delivery).model_dump(mode="json")
    return JSONResponse(body, status_code=201 if created else 200)


@router.post("/deliveries/check", responses={**COMMON, **responses(Unprocessable)})
def check_delivery(
    session: DbSession,
    ctx: Context,
    user: CurrentUser,
    pagination: Pagination,
    manifest: Annotated[UploadFile, File(description="manifest, CSV or JSON")],
    transfervermerk: Annotated[
        UploadFile | SkipJsonSchema[None],
        File(description="Transfervermerk (JSON), checked if sent"),
    ] = None,
) -> PreCheck:
    """Dry run: what importing this manifest would do per row (existing Akte, new Akte in
    which org unit, already imported, rejected and why), with the tenant options that
    decide it. Stores nothing; checks that need the files themselves come with the upload."""
    user.require_role(*service.READ_ROLES)
    path, _ = service.spool(manifest.file, ctx.settings.data_dir / "tmp" / "deliveries")
    try:
        tenant = session.get(Tenant, user.tenant_id)
        if tenant is None:
            raise NotFound("tenant not found")
        tv = transfervermerk.file.read(5 * 1024 * 1024 + 1) if transfervermerk else None
        try:
            result = precheck.check(
                session,
                tenant,
                path,
                transfervermerk_bytes=tv,
                offset=pagination.offset,
                limit=pagination.size,
            )
        except ManifestError as exc:
            raise Unprocessable(str(exc), code="invalid_manifest") from None
    finally:
        path.unlink(missing_ok=True)
    session.rollback()  # a dry run: whatever a check touched is not kept
    return PreCheck(page=pagination.page, size=pagination.size, **result)


@router.get("/deliveries", responses=COMMON)
def list_deliveries(
    session: DbSession, user: CurrentUser, pagination: Pagination
) -> Page[DeliveryRead]:
    """Deliveries of the caller's tenant, newest first."""
    user.require_role(*service.READ_ROLES)
    stmt = repository.newest_first(repository.readable_statement(user))
    rows, total = paginate(session, stmt, pagination)
    return Page.of([DeliveryRead.model_validate(r) for r in rows], total, pagination)


# ``:uuid``: "check" is not an id, so ``GET /deliveries/check`` is the 405 of the check
# route (with ``Allow: POST``), not a lookup of a delivery called "check"
@router.get("/deliveries/{delivery_id:uuid}", responses=COMMON)
def get_delivery(delivery_id: uuid.UUID, session: DbSession, user: CurrentUser) -> DeliveryRead:
    """A delivery with its Transfervermerk and progress."""
    return _read(session, service.get_visible(session, user, delivery_id))


@router.put(
    "/deliveries/{delivery_id}/items/{external_id}/file",
    status_code=status.HTTP_201_CREATED,
    responses={
        **COMMON,
        **responses(
            Conflict, Unprocessable, PayloadTooLarge, UnsupportedMediaType, ServiceUnavailable
        ),
        200: {"model": ItemRead, "description": "this file was received before"},
    },
)
def upload_file(
    delivery_id: uuid.UUID,
    external_id: str,
    file: Annotated[UploadFile, File(description="the scanned file (PDF, TIFF, JPEG, PNG)")],
    session: DbSession,
    storage: Storage,
    ctx: Context,
    user: CurrentUser,
) -> JSONResponse:
    """Upload the file of one manifest row. Safe to repeat: the same file again answers 200
    with the item; a different file for an accepted row is 409. A file that fails a check
    (checksum, page count, type, empty) is 422 with the reason; a corrected file may follow."""
    item, created = service.upload(
        session,
        storage,
        user,
        delivery_id,
        external_id,
        fileobj=file.file,
        max_bytes=ctx.settings.max_upload_bytes,
        work_dir=ctx.settings.data_dir / "tmp" / "deliveries",
    )
    if item.outcome == Outcome.rejected:
        session.commit()  # the rejection is part of the report
        raise Unprocessable(item.reason or "rejected", code=item.reason_code or "rejected")
    body = ItemRead.model_validate(item).model_dump(mode="json")
    return JSONResponse(body, status_code=201 if created else 200)


UPLOAD = "/deliveries/{delivery_id}/items/{external_id}/upload"


def _upload_state(
    session: Session,
    user: CurrentUser,
    ctx: AppContext,
    delivery_id: uuid.UUID,
    external_id: str,
) -> tuple[PartialFile, UploadStatus]:
    delivery = service.get_writable(session, user, delivery_id)
    item = repository.item_by_key(session, delivery.id, external_id)
    if item is None:
        raise NotFound(f"the manifest lists no external id {external_id}", code="not_in_manifest")
    partial = PartialFile.of(ctx.settings.data_dir, delivery.id, item.id)
    if item.outcome == Outcome.accepted:
        size = item.size or 0
        state = UploadStatus(offset=size, length=size, complete=True, outcome=item.outcome)
    else:
        state = UploadStatus(
            offset=partial.offset,
            length=partial.length,
            complete=False,
            outcome=item.outcome,
            reason_code=item.reason_code,
        )
    return partial, state


def _status_headers(state: UploadStatus) -> dict[str, str]:
    headers = {
        "Upload-Offset": str(state.offset),
        "Tus-Resumable": "1.0.0",
        "Cache-Control": "no-store",
    }
    if state.length is not None:
        headers["Upload-Length"] = str(state.length)
    return headers


@router.head(UPLOAD, responses=COMMON)
def upload_offset(
    delivery_id: uuid.UUID,
    external_id: str,
    session: DbSession,
    ctx: Context,
    user: CurrentUser,
) -> Response:
    """How many bytes of this file have arrived (``Upload-Offset``): continue from there."""
    _, state = _upload_state(session, user, ctx, delivery_id, external_id)
    return Response(status_code=200, headers=_status_headers(state))


@router.get(UPLOAD, responses=COMMON)
def upload_status(
    delivery_id: uuid.UUID,
    external_id: str,
    session: DbSession,
    ctx: Context,
    user: CurrentUser,
) -> JSONResponse:
    """The same as ``HEAD``, as JSON."""
    _, state = _upload_state(session, user, ctx, delivery_id, external_id)
    return JSONResponse(state.model_dump(mode="json"), headers=_status_headers(state))


@router.delete(UPLOAD, status_code=204, responses=COMMON)
def upload_discard(
    delivery_id: uuid.UUID,
    external_id: str,
    session: DbSession,
    ctx: Context,
    user: CurrentUser,
) -> Response:
    """Throw away the bytes received so far (to start this file again from 0)."""
    partial, _ = _upload_state(session, user, ctx, delivery_id, external_id)
    partial.discard()
    return Response(status_code=204)


CHUNK_RESPONSES = {
    **COMMON,
    **responses(
        Conflict, Unprocessable, PayloadTooLarge, BadRange, UnsupportedMediaType, ServiceUnavailable
    ),
    204: {"description": "chunk stored; Upload-Offset says how far"},
}


# one handler, two operations: each method gets an operation id of its own (one route for
# both published the same id twice)
@router.patch(
    UPLOAD, status_code=201, responses=CHUNK_RESPONSES, operation_id="upload_chunk_tus_patch"
)
@router.put(
    UPLOAD,
    status_code=201,
    responses=CHUNK_RESPONSES,
    operation_id="upload_chunk_content_range_put",
)
async def upload_chunk(
    delivery_id: uuid.UUID,
    external_id: str,
    request: Request,
    session: DbSession,
    storage: Storage,
    ctx: Context,
    user: CurrentUser,
) -> Response:
    """Append a chunk: tus-style ``PATCH`` with ``Upload-Offset`` (and ``Upload-Length``
    once), or ``PUT`` with ``Content-Range: bytes first-last/total``. Bytes are kept as they
    arrive, so a cut connection loses nothing that came through. The last chunk imports the
    file (SHA-256 over the whole file): 201 with the item, 422 with the reason."""
    partial, state = await run_in_threadpool(
        _upload_state, session, user, ctx, delivery_id, external_id
    )
    await run_in_threadpool(session.rollback)  # no transaction stays open while streaming
    if state.complete:
        return JSONResponse(
            state.model_dump(mode="json"), status_code=200, headers=_status_headers(state)
        )
    if request.method == "PUT":
        offset, length = parse_content_range(request.headers.get("content-range"))
    else:
        try:
            offset = int(request.headers["upload-offset"])
            length = int(request.headers.get("upload-length") or partial.length or -1)
        except (KeyError, ValueError):
            raise BadRange(
                "PATCH needs Upload-Offset (and Upload-Length on the first "
                "request) as whole numbers"
            ) from None
        if length < 0:
            raise BadRange("the first PATCH of a file must say its Upload-Length")
    partial.declare_length(length, ctx.settings.max_upload_bytes)
    writer = Writer(partial, offset)
    try:
        async for chunk in request.stream():
            writer.write(chunk, length)
    except ClientDisconnect:
        return Response(status_code=204)  # nobody listens; the bytes so far are kept
    finally:
        writer.close()
    if writer.written < length:
        return Response(
            status_code=204,
            headers={
                "Upload-Offset": str(writer.written),
                "Upload-Length": str(length),
                "Tus-Resumable": "1.0.0",
            },
        )
    return await run_in_threadpool(
        _finish_upload, session, storage, ctx, user, delivery_id, external_id, partial
    )


def _finish_upload(
    session: Session,
    storage: Storage,
    ctx: AppContext,
    user: CurrentUser,
    delivery_id: uuid.UUID,
    external_id: str,
    partial: PartialFile,
) -> JSONResponse:
    """Hash and import the complete file; the partial file goes once there is an outcome
    (kept when storage or the database is only unavailable, to finish on the next try)."""
    delivery = service.get_writable(session, user, delivery_id)
    item = service.uploadable_item(session, delivery, external_id)
    try:
        item, created = service.receive_file(
            session,
            storage,
            user,
            delivery,
            item,
            partial.path,
            partial.sha256(),
            max_bytes=ctx.settings.max_upload_bytes,
            work_dir=ctx.settings.data_dir / "tmp" / "deliveries",
        )
    except ServiceUnavailable:
        raise
    except AkteError:
        partial.discard()
        raise
    partial.discard()
    if item.outcome == Outcome.rejected:
        session.commit()  # the rejection is part of the report
        raise Unprocessable(item.reason or "rejected", code=item.reason_code or "rejected")
    body = ItemRead.model_validate(item).model_dump(mode="json")
    return JSONResponse(body, status_code=201 if created else 200)


@router.post("/deliveries/{delivery_id}/commit", responses=COMMON)
def commit_delivery(delivery_id: uuid.UUID, session: DbSession, user: CurrentUser) -> DeliveryRead:
    """No more files will come: rows without a received file are rejected as missing."""
    delivery = service.get_writable(session, user, delivery_id)
    return _read(session, service.commit(session, user, delivery))


@router.get("/deliveries/{delivery_id}/progress", responses=COMMON)
def delivery_progress(delivery_id: uuid.UUID, session: DbSession, user: CurrentUser) -> Progress:
    """Counts of received, processed, failed and rejected documents."""
    return service.progress(session, service.get_visible(session, user, delivery_id))


@router.get(
    "/deliveries/{delivery_id}/report",
    responses={**COMMON, 200: {"content": {"text/csv": {}}, "description": "JSON page or CSV"}},
)
def delivery_report(
    delivery_id: uuid.UUID,
    session: DbSession,
    ctx: Context,
    user: CurrentUser,
    pagination: Pagination,
    format: Annotated[Literal["json", "csv"], Query(description="csv: the whole report")] = "json",
) -> Response:
    """Every row of the delivery with its outcome and reason (JSON is paginated; CSV is the
    whole report, streamed)."""
    delivery = service.get_visible(session, user, delivery_id)
    audit.record(session, user, "delivery.report", object_type="delivery", object_id=delivery.id)
    if format == "csv":
        session.commit()
        return StreamingResponse(
            _csv_stream(ctx, delivery.id),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="lieferung-{delivery.id}.csv"'},
        )
    items, total = paginate(session, service.report_page(delivery.id), pagination)
    rows = [ItemRead.model_validate(item) for item in items]
    service.fold_outcomes(session, rows)
    for row in rows:
        row.fix = report.fix_for(row.reason_code)
    service.add_final_states(session, delivery.id, items, rows)
    page = Page.of(rows, total, pagination)
    return JSONResponse(page.model_dump(mode="json"))


def _csv_stream(ctx: AppContext, delivery_id: uuid.UUID) -> Iterator[bytes]:
    """The report in chunks of 200 rows, read in its own session (the request's is closed)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    buffer.write("\ufeff")
    with session_scope(ctx.session_factory) as session:
        rows = report.csv_rows(service.iter_report(session, delivery_id))
        for n, cells in enumerate(rows):
            writer.writerow(cells)
            if n % 200 == 0:
                yield buffer.getvalue().encode()
                buffer.seek(0)
                buffer.truncate()
    yield buffer.getvalue().encode()


@router.get(
    "/deliveries/{delivery_id}/transfervermerk",
    responses={**COMMON, **responses(ServiceUnavailable)},
    response_class=Response,
)
def get_transfervermerk(
    delivery_id: uuid.UUID, session: DbSession, storage: Storage, user: CurrentUser
) -> Response:
    """The Transfervermerk as it was delivered (its bytes hash to ``transfervermerk_sha256``)."""
    delivery = service.get_visible(session, user, delivery_id)
    return Response(
        storage.read_bytes(delivery.transfervermerk_sha256), media_type="application/json"
    )


@router.get("/documents/{document_id}/provenance", responses=COMMON, tags=["Dokumente"])
def document_provenance(
    document_id: uuid.UUID, session: DbSession, user: CurrentUser
) -> Provenance:
    """For an imported scan: its delivery, box file, part and pages, the Transfervermerk
    (with this document's entry and anomalies) and the hash binding them."""
    document = documents.get_visible(session, user, document_id)
    found = provenance.of_document(session, document.id)
    if found is None:
        raise NotFound("the document did not come from a delivery", code="no_provenance")
    audit.record(
        session, user, "document.provenance", object_type="document", object_id=document.id
    )
    return found
