"""The citizen upload portal: ``/upload``.

Enter the code (or follow a link carrying it: the form is then pre-filled and one click
away, so link previewers in mail programs never redeem codes), choose or photograph files,
upload with per-file progress, get the receipt page and PDF. Everything here answers with a
page, never an exception, so failed code attempts are committed and count towards the
rate limit.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy import select

from akte.audit import service as audit
from akte.case_files.models import CaseFile
from akte.core.dependencies import Context, DbSession, client_ip
from akte.core.errors import NotFound
from akte.core.ranges import content_disposition
from akte.tenants.models import Tenant
from akte.web import codes, i18n, portal, ratelimit, receipt_pdf, sessions
from akte.web.deps import Citizen, CsrfChecked
from akte.web.errors import PageRoute
from akte.web.models import UploadCode, UploadReceipt
from akte.web.templating import render

router = APIRouter(prefix="/upload", include_in_schema=False, route_class=PageRoute)
LANG_COOKIE = "akte_lang"


def _lang(request: Request, requested: str | None = None) -> str:
    return i18n.pick(
        requested or request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)
    )


def _page(
    request: Request, template: str, lang: str, status_code: int = 200, **values: object
) -> Response:
    context = {
        "lang": lang,
        "dir": "rtl" if lang in i18n.RTL else "ltr",
        "t": i18n.translator(lang),
        "languages": i18n.LANGUAGES,
        "max_files": portal.MAX_FILES,
        "max_mb": portal.MAX_FILE_MB,
        "accept": portal.ACCEPT,
        **values,
    }
    response = render(request, template, context, status_code)
    if request.query_params.get("lang") in i18n.LANGUAGES:
        sessions.set_cookie(request, response, LANG_COOKIE, lang, max_age=365 * 24 * 3600)
    return response


@router.get("")
def start(request: Request, code: str | None = None) -> Response:
    """The code entry page; ``?code=`` pre-fills the field (link on the letter)."""
    prefill = codes.display(codes.normalize(code)) if code else ""
    return _page(request, "portal_start.html", _lang(request), code=prefill)


@router.post("", dependencies=[CsrfChecked])
def enter_code(
    request: Request,
    session: DbSession,
    ctx: Context,
    code: Annotated[str, Form(max_length=64)] = "",
    lang: Annotated[str | None, Form(max_length=8)] = None,
) -> Response:
    language = _lang(request, lang)
    try:
        redeemed = codes.redeem(session, code, ip=client_ip(request))
    except codes.CodeRateLimited:
        response = _page(
            request, "portal_start.html", language, 429, code=code, error="rate_limited"
        )
        response.headers["Retry-After"] = str(int(ratelimit.WINDOW.total_seconds()))
        return response
    except codes.CodeRefused:
        return _page(request, "portal_start.html", language, 400, code=code, error="code_refused")
    session.commit()  # durable before the browser follows the answer
    response = RedirectResponse(f"/upload/files?lang={language}", status_code=303)
    token = sessions.citizen_token(ctx.settings.effective_secret_key, redeemed.id)
    sessions.set_cookie(
        request, response, sessions.CITIZEN_COOKIE, token, sessions.CITIZEN_TTL_SECONDS
    )
    return response


def _case_file(session: DbSession, code: UploadCode) -> CaseFile:
    case_file = session.get(CaseFile, code.case_file_id)
    if case_file is None:
        raise NotFound("Akte not found")
    return case_file


def _receipts(session: DbSession, code: UploadCode) -> list[UploadReceipt]:
    return list(
        session.scalars(
            select(UploadReceipt)
            .where(UploadReceipt.upload_code_id == code.id)
            .order_by(UploadReceipt.created_at.desc())
        )
    )


@router.get("/files")
def files_page(request: Request, session: DbSession, code: Citizen) -> Response:
    """The upload form, and the receipts of earlier uploads with this code."""
    return _page(
        request,
        "portal_upload.html",
        _lang(request),
        case_file=_case_file(session, code),
        code=code,
        receipts=_receipts(session, code),
    )


@router.post("/files", dependencies=[CsrfChecked])
def upload_files(
    request: Request,
    session: DbSession,
    ctx: Context,
    code: Citizen,
    files: Annotated[list[UploadFile] | None, File()] = None,
) -> Response:
    """Store the files; the script gets JSON, a plain form post a redirect or the page."""
    language = _lang(request)
    wants_json = "application/json" in request.headers.get("accept", "")
    chosen = [f for f in files or [] if f.filename or f.size]
    error, refused, receipt = None, [], None
    if not chosen:
        error = "no_files"
    elif len(chosen) > portal.MAX_FILES:
        error = "too_many_files"
    elif code.files_uploaded + len(chosen) > portal.MAX_FILES_PER_CODE:
        error = "code_used_up"
    else:
        receipt, refused = portal.upload(
            session,
            ctx.storage,
            code,
            [portal.IncomingFile(f.filename or "", f.file) for f in chosen],
            limit_bytes=portal.max_bytes(ctx.settings.max_upload_bytes),
            ip=client_ip(request),
        )
    t = i18n.translator(language)
    messages = [t("file_refused", name=r.filename, reason=t(r.reason)) for r in refused]
    if error:
        messages.insert(0, t(error, max_files=portal.MAX_FILES))
    status_code = 201 if receipt else (415 if refused else 400)
    if wants_json:
        body = {
            "redirect": f"/upload/receipts/{receipt.id}?lang={language}" if receipt else None,
            "stored": len(receipt.items) if receipt else 0,
            "refused": [{"filename": r.filename, "reason": r.reason} for r in refused],
            "messages": messages,
        }
        session.commit()  # durable before the browser follows the answer
        return JSONResponse(body, status_code=status_code)
    if receipt and not refused:
        session.commit()  # durable before the browser follows the answer
        return RedirectResponse(f"/upload/receipts/{receipt.id}?lang={language}", status_code=303)
    return _page(
        request,
        "portal_upload.html" if not receipt else "portal_receipt.html",
        language,
        200 if receipt else status_code,
        case_file=_case_file(session, code),
        code=code,
        receipt=receipt,
        messages=messages,
    )


def _receipt(session: DbSession, code: UploadCode, receipt_id: uuid.UUID) -> UploadReceipt:
    receipt = session.get(UploadReceipt, receipt_id)
    if receipt is None or receipt.upload_code_id != code.id:
        raise NotFound("receipt not found")
    return receipt


@router.get("/receipts/{receipt_id}")
def receipt_page(
    receipt_id: uuid.UUID, request: Request, session: DbSession, code: Citizen
) -> Response:
    return _page(
        request,
        "portal_receipt.html",
        _lang(request),
        receipt=_receipt(session, code, receipt_id),
        case_file=_case_file(session, code),
        code=code,
    )


@router.get("/receipts/{receipt_id}/pdf")
def receipt_download(
    receipt_id: uuid.UUID, request: Request, session: DbSession, code: Citizen
) -> Response:
    receipt = _receipt(session, code, receipt_id)
    case_file = _case_file(session, code)
    tenant = session.get(Tenant, code.tenant_id)
    audit.record(
        session,
        None,
        "upload_receipt.download",
        tenant_id=code.tenant_id,
        object_type="case_file",
        object_id=code.case_file_id,
        ip=client_ip(request),
        detail={"receipt_id": str(receipt.id)},
    )
    pdf = receipt_pdf.render(receipt, case_file, tenant.name if tenant else "Jobcenter")
    name = f"Eingangsbestaetigung-{case_file.aktenzeichen}.pdf"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": content_disposition(name),
            "Cache-Control": "no-store",
        },
    )


@router.post("/leave", dependencies=[CsrfChecked])
def leave(request: Request) -> Response:
    """End the citizen session on this device (a shared phone, a library computer)."""
    response = _page(request, "portal_bye.html", _lang(request))
    response.delete_cookie(sessions.CITIZEN_COOKIE, path="/")
    return response
