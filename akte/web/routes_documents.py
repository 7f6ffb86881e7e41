"""Document pages for caseworkers: the viewer, downloads, upload into an Akte, letters.

Downloads reuse the API's service (permission check, audit entry, stat) and streaming
(``Range``, ``ETag``) but authenticate with the page session cookie, so ``<iframe>`` and
``<img>`` can show a document inline without a bearer token in the URL.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from akte.case_files import service as case_files
from akte.casework import doctypes
from akte.core.dependencies import Context, DbSession
from akte.core.errors import AkteError, StorageUnavailable, Unprocessable
from akte.core.ranges import content_disposition
from akte.documents import pageranges
from akte.documents import repository as document_repo
from akte.documents import service as documents
from akte.documents.downloads import download_response
from akte.documents.models import Document, DocumentSource
from akte.documents.schemas import Rendition
from akte.features import _optional
from akte.inbox import service as inbox
from akte.web import casework, letters, pdfjs
from akte.web.deps import CsrfChecked, Staff
from akte.web.errors import PageRoute
from akte.web.pages import page
from search import highlight

router = APIRouter(prefix="/app", include_in_schema=False, route_class=PageRoute)
BROWSER_IMAGES = {"image/jpeg", "image/png"}
#: Recognised-text pages shown at once on the document page.
TEXT_SLICE = 20


@router.get("/documents/{document_id}")
def viewer(
    document_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: Staff,
    ctx: Context,
    page_no: Annotated[int, Query(alias="page", ge=1, le=1_000_000)] = 1,
    find: Annotated[str | None, Query(alias="q", max_length=200)] = None,
) -> Response:
    """The archive PDF (or the original PDF or image) opened at ``?page=N``, and beside it
    the recognised text of the :data:`TEXT_SLICE` pages around that page (not all 600
    pages of a long document at once; links page through the rest).

    A PDF is shown with PDF.js (``static/viewer.js``), which fetches only the byte ranges
    of the pages it draws, so page 1 of a 188 MB scan appears without downloading the
    file; without PDF.js installed, or without script, the browser's own viewer is used.
    ``?q=`` lists the pages whose recognised text has the words (search in the document).
    """
    document = documents.get_visible(session, principal, document_id)
    case_file = case_files.get_visible(session, principal, document.case_file_id)
    version = document_repo.version(session, document.id, document.current_version)
    base = f"/app/documents/{document.id}/content"
    at_page = f"#page={page_no}" if page_no > 1 else ""
    if version and version.archive_sha256:
        show = ("frame", f"{base}?rendition=archive&inline=true{at_page}")
    elif version and version.mime_type == "application/pdf":
        show = ("frame", f"{base}?rendition=original&inline=true{at_page}")
    elif version and version.mime_type in BROWSER_IMAGES:
        show = ("image", f"{base}?rendition=original&inline=true")
    elif version and version.thumbnail_sha256:
        show = ("image", f"{base}?rendition=thumbnail&inline=true")
    else:
        show = ("none", "")
    with_pdfjs = show[0] == "frame" and pdfjs.available(ctx.settings)
    # beside PDF.js the page in view only (the script loads the others as the viewer pages)
    first, size = (
        (page_no, 1) if with_pdfjs else ((page_no - 1) // TEXT_SLICE * TEXT_SLICE + 1, TEXT_SLICE)
    )
    texts, text_pages = documents.page_slice(
        session, principal, document.id, None, start=first, limit=size
    )
    if with_pdfjs and version:
        rendition = "archive" if version.archive_sha256 else "original"
        documents.record_view(
            session, principal, document, version_no=version.version_no, rendition=rendition
        )
    found = (
        documents.find_in_document(session, principal, document, document.current_version, find)
        if find and find.strip()
        else None
    )
    return page(
        request,
        principal,
        "document.html",
        {
            "document": document,
            "case_file": case_file,
            "version": version,
            "texts": texts,
            "text_pages": text_pages,
            "text_first": first,
            "text_slice": TEXT_SLICE,
            "page_no": page_no,
            "show": show,
            "pdfjs": with_pdfjs,
            "find": find or "",
            "found": found,
            "rejection": inbox.rejections(session, [document.id]).get(document.id),
            "doc_types": doctypes.names(session, principal.tenant_id),
            "suggestion": doctypes.suggest(
                doctypes.entries(session, document.tenant_id),
                document.title,
                texts[0].text if texts and first == 1 else None,
            ),
            "provenance": _provenance(session, document),
            # photos composed into this PDF, a form's answers: kept as received
            "sources": document_repo.sources(session, [version.id]) if version else [],
            **casework.document_context(session, principal, document),
        },
    )


def _provenance(session: Session, document: Document) -> object | None:
    """A scan's origin (delivery, box, pages, Transfervermerk, anomalies), if imported."""
    module = _optional("ingest.deliveries.provenance")
    if module is None or document.source != DocumentSource.scan_import:
        return None
    return module.of_document(session, document.id)


@router.get("/documents/{document_id}/text")
def page_text(
    document_id: uuid.UUID,
    session: DbSession,
    principal: Staff,
    page_no: Annotated[int, Query(alias="page", ge=1, le=1_000_000)] = 1,
    find: Annotated[str | None, Query(alias="q", max_length=200)] = None,
) -> Response:
    """One page's recognised text for the panel beside the viewer, fetched as the viewer
    pages (``static/viewer.js``), and with ``?q=`` the word forms on that page that the
    search's own analysis matches (stems, folded umlauts), which the viewer highlights in
    the drawn page's text layer. Audited as a read of the text, like the API's ``/pages``."""
    texts, total = documents.page_slice(
        session, principal, document_id, None, start=page_no, limit=1
    )
    text = texts[0] if texts and texts[0].page_no == page_no else None
    body = {
        "page": page_no,
        "pages": total,
        "method": text.method if text else None,
        "damaged": bool(text and text.damaged),
        "text": text.text if text and not text.damaged else "",
        "forms": (
            highlight.matching_forms(find, text.text) if find and text and not text.damaged else []
        ),
    }
    session.commit()  # the audit entry
    return JSONResponse(body, headers={"Cache-Control": "private, no-store"})


@router.get("/documents/{document_id}/content")
def content(
    document_id: uuid.UUID,
    request: Request,
    session: DbSession,
    ctx: Context,
    principal: Staff,
    version: Annotated[int | None, Query(ge=1)] = None,
    rendition: Rendition = "original",
    inline: bool = False,
    source: Annotated[int | None, Query(ge=1, le=10_000)] = None,
) -> Response:
    return download_response(
        request,
        session,
        ctx.storage,
        principal,
        document_id,
        version_no=version,
        rendition=rendition,
        inline=inline,
        source=source,
        viewer=True,
    )


@router.get("/documents/{document_id}/auszug")
def page_range(
    document_id: uuid.UUID,
    session: DbSession,
    ctx: Context,
    principal: Staff,
    pages: Annotated[str, Query(pattern=pageranges.PAGES_PATTERN, max_length=13)],
) -> Response:
    """Selected pages as one PDF, cut on the server and shown inline, to print or save
    them without fetching the whole document (the API's ``/archive?pages=``)."""
    cut = pageranges.cut(session, ctx.storage, principal, document_id, pages=pages)
    session.commit()  # the audit entry is durable before the pages leave
    return Response(
        cut.content,
        media_type="application/pdf",
        headers={
            "Content-Disposition": content_disposition(cut.filename, True),
            "Cache-Control": "private, no-store",
        },
    )


@router.post("/akten/{case_file_id}/upload", dependencies=[CsrfChecked])
def upload(
    case_file_id: uuid.UUID,
    request: Request,
    session: DbSession,
    ctx: Context,
    principal: Staff,
    files: Annotated[list[UploadFile] | None, File()] = None,
    doc_type: Annotated[str | None, Form(max_length=100)] = None,
) -> Response:
    """Several files at once; each refused file is reported by name, the rest are stored."""
    case_files.get_visible(session, principal, case_file_id)
    stored, messages = 0, []
    for item in [f for f in files or [] if f.filename or f.size]:
        try:
            with session.begin_nested():
                documents.upload(
                    session,
                    ctx.storage,
                    principal,
                    case_file_id,
                    fileobj=item.file,
                    filename=item.filename,
                    title=None,
                    doc_type=doc_type or None,
                    max_bytes=ctx.settings.max_upload_bytes,
                )
            stored += 1
        except StorageUnavailable:
            raise  # an outage refuses the request (503/507), not one file
        except AkteError as exc:
            messages.append(f"{item.filename}: {exc.detail}")
    if not stored and not messages:
        messages.append("Bitte mindestens eine Datei auswählen.")
    target = f"/app/akten/{case_file_id}?msg=uploaded" if stored else f"/app/akten/{case_file_id}"
    if "application/json" in request.headers.get("accept", ""):
        body = {
            "redirect": target if stored and not messages else None,
            "stored": stored,
            "messages": messages,
        }
        session.commit()  # durable before the browser follows the answer
        return JSONResponse(body, status_code=201 if stored else 400)
    if messages:
        context = {
            "heading": "Nicht alle Dateien wurden angenommen",
            "messages": messages,
            "back": target,
        }
        session.commit()  # what was stored stays, whatever the browser does next
        return page(request, principal, "message.html", context, 200 if stored else 400)
    session.commit()  # durable before the browser follows the answer
    return RedirectResponse(target, status_code=303)


@router.get("/akten/{case_file_id}/brief")
def letter_form(
    case_file_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: Staff,
    vorlage: str = "mitwirkung",
) -> Response:
    case_file = case_files.get_visible(session, principal, case_file_id)
    module = letters.service()
    if module is None:
        return page(request, principal, "letter_unavailable.html", {"case_file": case_file}, 404)
    _, subject, body = letters.TEMPLATES.get(vorlage, letters.TEMPLATES["mitwirkung"])
    return page(
        request,
        principal,
        "letter.html",
        {
            "case_file": case_file,
            "templates": letters.TEMPLATES,
            "vorlage": vorlage,
            "subject": subject,
            "body": body,
            "recipient": "\n".join(module.default_recipient(case_file)),
            "products": letters.PRODUCT_LABELS,
            # the Mitwirkung text points at the portal block at its end
            "issue_upload_code": vorlage == "mitwirkung",
        },
    )


#: The letter form's field a refusal is about (by error code); others name the whole form.
LETTER_FIELD_OF = {
    "deadline_missing": "deadline",
    "due_in_past": "deadline",
    "upload_code_conflict": "upload_code",
    "upload_code_not_in_akte": "upload_code",
    "invalid_address": "recipient",
}


@router.post("/akten/{case_file_id}/brief", dependencies=[CsrfChecked])
def letter_send(
    case_file_id: uuid.UUID,
    request: Request,
    session: DbSession,
    ctx: Context,
    principal: Staff,
    subject: Annotated[str, Form(min_length=1, max_length=300)],
    body: Annotated[str, Form(max_length=20_000)],
    recipient: Annotated[str, Form(max_length=500)] = "",
    product: Annotated[str, Form(max_length=40)] = "standardbrief",
    action: Annotated[str, Form(max_length=20)] = "preview",
    deadline: Annotated[date | None, Form()] = None,
    upload_code: Annotated[str, Form(max_length=64)] = "",
    issue_upload_code: Annotated[bool, Form()] = False,
) -> Response:
    """``action=preview`` answers the rendered PDF inline; ``action=send`` queues it. A
    ``deadline`` leaves a Wiedervorlage due that day (:mod:`akte.casework.deadlines`);
    ``upload_code`` / ``issue_upload_code`` print the portal, the code and a QR code
    (:mod:`outbox.portal_code`)."""
    module = letters.service()
    if module is None:
        case_file = case_files.get_visible(session, principal, case_file_id)
        return page(request, principal, "letter_unavailable.html", {"case_file": case_file}, 404)
    template = letters.template_input(subject, body, recipient)
    code = module.CodeOnLetter(
        ctx.settings.effective_public_url, upload_code.strip() or None, issue_upload_code
    )

    def form_again(problem: str, code: str | None = None) -> Response:
        """The form as filled in, with what is wrong, tied to the field it is about
        (``aria-invalid``, ``aria-describedby``): nothing of it is lost."""
        case_file = case_files.get_visible(session, principal, case_file_id)
        context = {
            "case_file": case_file,
            "templates": letters.TEMPLATES,
            "vorlage": "",
            "subject": subject,
            "body": body,
            "recipient": recipient,
            "products": letters.PRODUCT_LABELS,
            "problem": problem,
            "problem_field": LETTER_FIELD_OF.get(code or ""),
            "deadline": deadline,
            "upload_code": upload_code,
            "issue_upload_code": issue_upload_code,
        }
        return page(request, principal, "letter.html", context, 422)

    if action == "send":
        try:
            module.create_letter(
                session,
                ctx.storage,
                principal,
                case_file_id,
                options=letters.options(product, False, False),
                template=template,
                max_bytes=ctx.settings.max_upload_bytes,
                deadline=deadline,
                code=code,
            )
        except Unprocessable as exc:  # also a letter that would not print (LetterInvalid)
            session.rollback()  # e.g. a code issued before the rendering failed
            return form_again(exc.detail, exc.code)
        session.commit()  # durable before the browser follows the answer
        return RedirectResponse(f"/app/akten/{case_file_id}?msg=letter#briefe", status_code=303)
    try:
        rendered = module.preview(
            session, principal, case_file_id, template=template, deadline=deadline, code=code
        )
    except Unprocessable as exc:
        session.rollback()
        return form_again(exc.detail, exc.code)
    pdf, check = rendered if isinstance(rendered, tuple) else (rendered, "ok")
    if check != "ok":
        return form_again(check)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": 'inline; filename="vorschau.pdf"',
            "Cache-Control": "no-store",
        },
    )
