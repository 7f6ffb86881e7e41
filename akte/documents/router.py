"""HTTP API of documents: upload into an Akte, list, read metadata and text, download."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile, status
from pydantic.json_schema import SkipJsonSchema

from akte.audit import service as audit
from akte.auth.dependencies import CurrentUser
from akte.core.dependencies import Context, DbSession, Storage
from akte.core.errors import (
    Forbidden,
    NotAuthenticated,
    NotFound,
    PayloadTooLarge,
    ServiceUnavailable,
    Unprocessable,
    UnsupportedMediaType,
    responses,
)
from akte.core.pagination import Page, PageParams, paginate
from akte.core.ranges import content_disposition
from akte.core.strictquery import StrictQuery, UnknownParameter
from akte.core.textsafe import SafeStr
from akte.documents import pageranges, service
from akte.documents.downloads import download_response
from akte.documents.intake import check_filename
from akte.documents.listing import DocumentListQuery
from akte.documents.schemas import DocumentDetail, DocumentRead, DocumentUpdate, PageRead, Rendition

router = APIRouter(prefix="/api/v1", tags=["Dokumente"])
COMMON = responses(NotAuthenticated, Forbidden, NotFound)
#: Page texts per answer at most: a 600-page document's text is megabytes.
MAX_PAGES = 100
UPLOAD_ERRORS = responses(PayloadTooLarge, UnsupportedMediaType, Unprocessable, ServiceUnavailable)


#: Published: the file part is one of the accepted types (checked by its first bytes;
#: anything else is 415).
FILE_TYPES = {
    "requestBody": {
        "content": {
            "multipart/form-data": {
                "encoding": {
                    "file": {"contentType": "application/pdf, image/tiff, image/jpeg, image/png"}
                }
            }
        }
    }
}


@router.post(
    "/case-files/{case_file_id}/documents",
    status_code=status.HTTP_201_CREATED,
    responses={**COMMON, **UPLOAD_ERRORS},
    openapi_extra=FILE_TYPES,
)
def upload_document(
    case_file_id: uuid.UUID,
    file: Annotated[UploadFile, File(description="PDF, TIFF, JPEG or PNG")],
    session: DbSession,
    storage: Storage,
    ctx: Context,
    user: CurrentUser,
    title: Annotated[SafeStr | SkipJsonSchema[None], Form(max_length=300)] = None,
    doc_type: Annotated[SafeStr | SkipJsonSchema[None], Form(max_length=100)] = None,
) -> DocumentRead:
    """Upload a document into an Akte. Returns once the bytes are stored; processing
    (text extraction, OCR) follows asynchronously: watch ``status``."""
    check_filename(file.filename)
    document = service.upload(
        session,
        storage,
        user,
        case_file_id,
        fileobj=file.file,
        filename=file.filename,
        title=title,
        doc_type=doc_type,
        max_bytes=ctx.settings.max_upload_bytes,
    )
    return service.to_read(session, document)


@router.get(
    "/case-files/{case_file_id}/documents",
    responses={**COMMON, **responses(UnknownParameter)},
    dependencies=[StrictQuery],
)
def list_documents(
    case_file_id: uuid.UUID,
    session: DbSession,
    user: CurrentUser,
    query: Annotated[DocumentListQuery, Query()],
) -> Page[DocumentRead]:
    """Documents of an Akte, newest first unless ``sort``/``order`` say otherwise;
    filtered by ``doc_type``, ``vorgang``, ``year``, ``source``, ``status`` and ``q``
    (words in title, Dokumentart or recognised text). Unknown parameters are refused
    (422 ``unknown_parameter``), never ignored."""
    params = PageParams(query.page, query.size)
    rows, total = paginate(session, service.list_query(session, user, case_file_id, query), params)
    return Page.of([service.to_read(session, d) for d in rows], total, params)


@router.get("/documents/{document_id}", responses=COMMON)
def get_document(document_id: uuid.UUID, session: DbSession, user: CurrentUser) -> DocumentDetail:
    """A document with all its versions."""
    document = service.get_visible(session, user, document_id)
    audit.record(session, user, "document.read", object_type="document", object_id=document.id)
    return service.to_detail(session, document)


@router.patch("/documents/{document_id}", responses=COMMON)
def update_document(
    document_id: uuid.UUID, body: DocumentUpdate, session: DbSession, user: CurrentUser
) -> DocumentRead:
    """Change title, Dokumentart or document date."""
    return service.to_read(session, service.update(session, user, document_id, document_in=body))


@router.post(
    "/documents/{document_id}/versions",
    status_code=status.HTTP_201_CREATED,
    responses={**COMMON, **UPLOAD_ERRORS},
    openapi_extra=FILE_TYPES,
)
def upload_version(
    document_id: uuid.UUID,
    file: Annotated[UploadFile, File()],
    session: DbSession,
    storage: Storage,
    ctx: Context,
    user: CurrentUser,
) -> DocumentDetail:
    """Upload a new file for a document; earlier versions are kept."""
    check_filename(file.filename)
    document = service.add_version(
        session,
        storage,
        user,
        document_id,
        fileobj=file.file,
        filename=file.filename,
        max_bytes=ctx.settings.max_upload_bytes,
    )
    return service.to_detail(session, document)


@router.get(
    "/documents/{document_id}/pages",
    responses={**COMMON, **responses(UnknownParameter)},
    dependencies=[StrictQuery],
)
def get_pages(
    document_id: uuid.UUID,
    request: Request,
    response: Response,
    session: DbSession,
    user: CurrentUser,
    version: Annotated[int | None, Query(ge=1)] = None,
    start: Annotated[int, Query(ge=1, le=1_000_000, description="first page number")] = 1,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGES, description="pages at most")] = MAX_PAGES,
) -> list[PageRead]:
    """The recognised text (text layer or OCR) of at most ``limit`` pages from page
    ``start`` on. ``X-Total-Pages`` says how many the version has; while more follow, a
    ``Link: <…>; rel="next"`` header names the next slice."""
    texts, total = service.page_slice(session, user, document_id, version, start=start, limit=limit)
    response.headers["X-Total-Pages"] = str(total)
    following = texts[-1].page_no + 1 if texts else None
    if following is not None and following <= total:
        url = request.url.include_query_params(start=following, limit=limit)
        response.headers["Link"] = f'<{url}>; rel="next"'
    return [PageRead.model_validate(p) for p in texts]


@router.get(
    "/documents/{document_id}/content",
    responses={
        **COMMON,
        **responses(ServiceUnavailable),
        206: {"description": "partial content (Range)"},
        304: {"description": "not modified"},
        416: {"description": "range not satisfiable"},
    },
    response_class=Response,
)
def download_document(
    document_id: uuid.UUID,
    request: Request,
    session: DbSession,
    storage: Storage,
    user: CurrentUser,
    version: Annotated[int | None, Query(ge=1)] = None,
    rendition: Rendition = "original",
    inline: bool = False,
    source: Annotated[int | None, Query(ge=1, le=10_000)] = None,
) -> Response:
    """Download a document's bytes, byte-identical to what was received (``original``), or
    its searchable archive PDF or thumbnail. Supports ``Range`` for large scans.
    ``source=N``: the N-th file the version was made from (``versions[].sources``: the
    photos of a paper as the citizen sent them, a form's answers as JSON)."""
    return download_response(
        request,
        session,
        storage,
        user,
        document_id,
        version_no=version,
        rendition=rendition,
        inline=inline,
        source=source,
    )


@router.get(
    "/documents/{document_id}/archive",
    responses={
        **COMMON,
        **responses(Unprocessable, ServiceUnavailable),
        200: {"content": {"application/pdf": {}}, "description": "the selected pages as one PDF"},
    },
    response_class=Response,
    dependencies=[StrictQuery],
)
def download_pages(
    document_id: uuid.UUID,
    session: DbSession,
    storage: Storage,
    user: CurrentUser,
    pages: Annotated[
        str, Query(pattern=pageranges.PAGES_PATTERN, description="a page or a range, e.g. 3-7")
    ],
    inline: bool = False,
) -> Response:
    """Pages of the document (its archive PDF, else a PDF original) as one PDF, cut on the
    server: for printing or sending a few pages of a long scan. Audited."""
    cut = pageranges.cut(session, storage, user, document_id, pages=pages)
    session.commit()  # the audit entry is durable before the pages leave
    return Response(
        cut.content,
        media_type="application/pdf",
        headers={
            "Content-Disposition": content_disposition(cut.filename, inline),
            "Cache-Control": "private, no-store",
        },
    )
