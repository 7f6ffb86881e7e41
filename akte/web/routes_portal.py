"""The citizen upload portal: ``/upload``.

Enter the code (or follow a link carrying it: the form is then pre-filled and one click
away, so link previewers in mail programs never redeem codes), choose or photograph files,
upload with per-file progress, get the receipt page and PDF. Everything here answers with a
page, never an exception, so failed code attempts are committed and count towards the
rate limit.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, RedirectResponse, Response

from akte.audit import service as audit
from akte.case_files.models import CaseFile
from akte.core.database import utcnow
from akte.core.dependencies import Context, DbSession, client_ip
from akte.core.errors import AkteError, Forbidden, NotFound
from akte.core.ranges import content_disposition
from akte.tenants.models import Tenant
from akte.uploads import forms, ratelimit
from akte.uploads import intake as portal
from akte.uploads import service as codes
from akte.uploads import status as portal_status
from akte.uploads.models import UploadCode, UploadReceipt
from akte.web import csrf, form_pdf, i18n, notify, portal_pages, receipt_pdf, sessions, speech
from akte.web.deps import Citizen, wants_json
from akte.web.errors import PageRoute
from akte.web.templating import render


class PortalRoute(PageRoute):
    """Failures on portal pages become a portal page in the citizen's language, titled
    "Fehler" (or its translation), never the staff layout's German page."""

    def error_page(self, request: Request, exc: AkteError) -> Response:
        language = _lang(request)
        t = i18n.translator(language)
        if exc.status_code == 404:
            detail = t("not_found")
        elif exc.status_code in (503, 507):
            detail = t("unavailable")
        elif exc.status_code == 413:
            detail = t("too_large")
        else:
            detail = exc.detail  # the portal's own errors are already in the language
        return _page(request, "portal_error.html", language, exc.status_code, detail=detail)


router = APIRouter(prefix="/upload", include_in_schema=False, route_class=PortalRoute)
LANG_COOKIE = i18n.COOKIE


async def check_csrf(request: Request) -> None:
    """The shared CSRF check, with the refusal explained in the portal's language."""
    submitted = request.headers.get(csrf.HEADER)
    if not submitted:
        value = (await request.form()).get(csrf.FIELD)
        submitted = value if isinstance(value, str) else None
    try:
        csrf.check(request, request.app.state.ctx.settings.effective_secret_key, submitted)
    except Forbidden:
        raise Forbidden(
            i18n.translator(_lang(request))("csrf_failed"), code="csrf_failed"
        ) from None


CsrfChecked = Depends(check_csrf)


def _lang(request: Request, requested: str | None = None) -> str:
    return i18n.pick(
        requested or request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)
    )


def _page(
    request: Request, template: str, lang: str, status_code: int = 200, **values: object
) -> Response:
    spoken = i18n.Spoken(lang)
    context = {
        "lang": lang,
        "dir": "rtl" if lang in i18n.RTL else "ltr",
        "t": spoken.t,
        "speak": spoken,
        "server_voice": speech.voice(lang) is not None,
        "languages": i18n.LANGUAGES,
        "max_files": portal.MAX_FILES,
        "max_mb": portal.MAX_FILE_MB,
        "accept": portal.ACCEPT,
        "notify_enabled": notify.enabled(request.app.state.ctx.settings),
        "texts": i18n.table(lang),
        **values,
    }
    # the title then starts with "Fehler" (also on a page that explains a failure)
    context["failed"] = status_code >= 400 or bool(values.get("error"))
    response = render(request, template, context, status_code)
    if request.query_params.get("lang") in i18n.LANGUAGES:
        sessions.set_cookie(request, response, LANG_COOKIE, lang, max_age=365 * 24 * 3600)
    return response


@router.get("")
def start(request: Request, code: str | None = None, ended: bool = False) -> Response:
    """The code entry page; ``?code=`` pre-fills the field (older links; letters put the
    code in the fragment, see ``static/portal_code.js``). ``?ended=1``: a form was posted
    after the session ended; the page says the files were not sent."""
    prefill = codes.display(codes.normalize(code)) if code else ""
    if ended:
        return _page(
            request, "portal_start.html", _lang(request), code=prefill, error="session_ended_nojs"
        )
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
        if wants_json(request):
            return _json_error(language, "rate_limited", 429)
        response = _page(
            request, "portal_start.html", language, 429, code=code, error="rate_limited"
        )
        response.headers["Retry-After"] = str(int(ratelimit.WINDOW.total_seconds()))
        return response
    except codes.CodeRefused:
        if wants_json(request):
            return _json_error(language, "code_refused", 400)
        return _page(request, "portal_start.html", language, 400, code=code, error="code_refused")
    session.commit()  # durable before the browser follows the answer
    token, ttl = _new_session(ctx.settings.effective_secret_key, redeemed)
    if wants_json(request):  # the code typed again on the upload page, files kept there
        response: Response = JSONResponse({"session_ends": int(utcnow().timestamp()) + ttl})
    else:
        response = RedirectResponse(f"/upload/files?lang={language}", status_code=303)
    sessions.set_cookie(request, response, sessions.CITIZEN_COOKIE, token, ttl)
    return response


def _json_error(language: str, key: str, status_code: int) -> JSONResponse:
    return JSONResponse(
        {"error": key, "detail": i18n.translator(language)(key)}, status_code=status_code
    )


def _new_session(secret: str, code: UploadCode) -> tuple[str, int]:
    """A fresh session token and its lifetime in seconds, never past the code's end."""
    code_left = int(code.expires_at.timestamp() - utcnow().timestamp())
    ttl = max(1, min(sessions.CITIZEN_TTL_SECONDS, code_left))
    return sessions.citizen_token(secret, code.id, ttl_seconds=ttl), ttl


def _case_file(session: DbSession, code: UploadCode) -> CaseFile:
    case_file = session.get(CaseFile, code.case_file_id)
    if case_file is None:
        raise NotFound("Akte not found")
    return case_file


def _receipts(session: DbSession, code: UploadCode) -> list[UploadReceipt]:
    return portal_status.receipts_of(session, code)


@router.get("/info/{page}")
def info_page(page: str, request: Request, session: DbSession) -> Response:
    """Impressum, Datenschutz, Barrierefreiheit: the tenant's texts (:mod:`portal_pages`);
    open without a code, as the law wants them reachable from every page."""
    if page not in portal_pages.PAGES:
        raise NotFound("no such page")
    text = portal_pages.text_for(request, session, page)
    return _page(
        request,
        "portal_info.html",
        _lang(request),
        page=page,
        heading=portal_pages.PAGES[page][1],
        text=text,
        schlichtungsstelle=portal_pages.SCHLICHTUNGSSTELLE,
    )


@router.get("/speech/{lang}/{key}")
def speech_audio(lang: str, key: str, ctx: Context) -> Response:
    """One portal text spoken by espeak-ng (WAV), for a page whose browser has no voice for
    its language (``static/portal_speech.js``). Only the portal's own texts, by key: 404
    for an unknown key or a language the server cannot speak."""
    if lang not in i18n.LANGUAGES or key not in i18n.TEXTS[i18n.DEFAULT]:
        raise NotFound("no such text")
    try:
        wav = speech.audio(ctx.settings.data_dir, lang, i18n.spoken_text(lang, key))
    except speech.SpeechUnavailable:
        raise NotFound("no voice for this language") from None
    return Response(wav, media_type="audio/wav", headers={"Cache-Control": "public, max-age=86400"})


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
        session_ends=request.state.citizen_session_ends,
        forms=forms.enabled(session.get(Tenant, code.tenant_id)),
    )


def _offered(session: DbSession, code: UploadCode, name: str) -> None:
    if name not in forms.enabled(session.get(Tenant, code.tenant_id)):
        raise NotFound("no such form")


def _form_page(
    request: Request,
    session: DbSession,
    code: UploadCode,
    status_code: int = 200,
    *,
    values: dict[str, str] | None = None,
    chosen: list[str] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    return _page(
        request,
        "portal_form.html",
        _lang(request),
        status_code,
        case_file=_case_file(session, code),
        code=code,
        changes=forms.CHANGES,
        labels=form_pdf.LABELS,
        values=values or {},
        chosen=chosen or [],
        errors=errors or {},
        error="form_errors" if errors else None,
    )


@router.get("/forms/{name}")
def form_page(name: str, request: Request, session: DbSession, code: Citizen) -> Response:
    """A form the tenant offers (``portal_forms``), in the citizen's language; it works
    without the script: the server checks it and shows each problem at its field."""
    _offered(session, code, name)
    return _form_page(request, session, code)


@router.post("/forms/{name}", dependencies=[CsrfChecked])
async def form_submit(
    name: str, request: Request, session: DbSession, ctx: Context, code: Citizen
) -> Response:
    """Store the form as a Posteingang document: a German PDF and the answers as JSON
    (:mod:`akte.uploads.forms`); then the receipt. Refused values: the form again, 422,
    with the reasons at their fields in the citizen's language."""
    submitted = await request.form()
    values = {
        key: value[:4000]
        for key, value in submitted.items()
        if isinstance(value, str) and key not in ("changes", csrf.FIELD)
    }
    chosen = [v for v in submitted.getlist("changes") if isinstance(v, str)][:10]
    # the database and the PDF renderer block: off the event loop
    return await run_in_threadpool(_submit_form, request, session, ctx, code, name, values, chosen)


def _submit_form(
    request: Request,
    session: DbSession,
    ctx: Context,
    code: UploadCode,
    name: str,
    values: dict[str, str],
    chosen: list[str],
) -> Response:
    _offered(session, code, name)
    checked = forms.check(values, chosen)
    if checked.errors:
        return _form_page(
            request, session, code, 422, values=values, chosen=chosen, errors=checked.errors
        )
    language = _lang(request)
    case_file = _case_file(session, code)
    tenant = session.get(Tenant, code.tenant_id)
    at = datetime.now(UTC)
    answers = forms.answers_document(
        checked.answers, lang=language, aktenzeichen=case_file.aktenzeichen, at=at
    )
    pdf = form_pdf.render(
        answers,
        lang=language,
        aktenzeichen=case_file.aktenzeichen,
        tenant_name=tenant.name if tenant else "Jobcenter",
        at=at,
    )
    _, receipt = forms.submit(
        session, ctx.storage, code, answers=answers, pdf=pdf, ip=client_ip(request)
    )
    session.commit()  # durable before the browser follows the answer
    return RedirectResponse(f"/upload/receipts/{receipt.id}?lang={language}", status_code=303)


@router.get("/status")
def status_page(request: Request, session: DbSession, code: Citizen) -> Response:
    """What was handed in with this code and what became of it; nothing else of the Akte."""
    return _page(
        request,
        "portal_status.html",
        _lang(request),
        case_file=_case_file(session, code),
        code=code,
        handed_in=portal_status.handed_in(session, code),
    )


@router.post("/session", dependencies=[CsrfChecked])
def extend_session(request: Request, ctx: Context, code: Citizen) -> Response:
    """Another two hours (never past the code's end) for a citizen still at work; the
    page's banner calls this before the session ends. Without the script: back to the form."""
    token, ttl = _new_session(ctx.settings.effective_secret_key, code)
    if wants_json(request):
        response: Response = JSONResponse({"session_ends": int(utcnow().timestamp()) + ttl})
    else:
        response = RedirectResponse(f"/upload/files?lang={_lang(request)}", status_code=303)
    sessions.set_cookie(request, response, sessions.CITIZEN_COOKIE, token, ttl)
    return response


@router.post("/files", dependencies=[CsrfChecked])
def upload_files(
    request: Request,
    session: DbSession,
    ctx: Context,
    code: Citizen,
    files: Annotated[list[UploadFile] | None, File()] = None,
    declined_name: Annotated[list[str] | None, Form()] = None,
    declined_reason: Annotated[list[str] | None, Form()] = None,
    bundle: Annotated[list[str] | None, Form(max_length=200)] = None,
    together: Annotated[bool, Form()] = False,
    notify_email: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    """Store the files; the script gets JSON, a plain form post a redirect or the page.
    Each ``bundle`` ("0,2,1": positions in ``files``, in page order) names photos of one
    paper, stored as one PDF document (:func:`portal.upload`). ``together`` without
    ``bundle`` (the form posted without the script) makes all photos sent one document,
    in the order sent. ``notify_email`` (only read when a mail server is configured): the
    citizen is told there when the papers were processed (:mod:`akte.web.notify`)."""
    language = _lang(request)
    address = None
    if notify_email.strip() and notify.enabled(ctx.settings):
        address = notify.valid_address(notify_email)
    indexed = [(i, f) for i, f in enumerate(files or []) if f.filename or f.size]
    if together and not bundle and indexed:
        bundle = [",".join(str(i) for i, _ in indexed)]
    bundles = portal.parse_bundles(bundle or [], {i for i, _ in indexed})
    error, result = None, portal.UploadResult(None, [], [])
    if bundles is None:
        error = "bad_bundle"
    elif notify_email.strip() and notify.enabled(ctx.settings) and address is None:
        error = "bad_email"
    elif not indexed:
        error = "no_files"
    elif len(indexed) > portal.MAX_FILES:
        error = "too_many_files"
    elif code.files_uploaded + len(indexed) > portal.MAX_FILES_PER_CODE:
        error = "code_used_up"
    else:
        result = portal.upload(
            session,
            ctx.storage,
            code,
            [portal.IncomingFile(f.filename or "", f.file, i) for i, f in indexed],
            limit_bytes=portal.max_bytes(ctx.settings.max_upload_bytes),
            ip=client_ip(request),
            declined=portal.declined_files(declined_name or [], declined_reason or []),
            bundles=bundles,
        )
    receipt, refused = result.receipt, result.refused
    t = i18n.translator(language)
    messages = [t("file_refused", name=r.filename, reason=t(r.reason)) for r in refused]
    if error:
        messages.insert(0, t(error, max_files=portal.MAX_FILES))
    if receipt is not None and address is not None:
        notify.remember(session, receipt, address, language)
    status_code = (
        201
        if receipt
        else (415 if refused else 422 if error in ("bad_bundle", "bad_email") else 400)
    )
    if wants_json(request):
        session.commit()  # durable before the browser is told what was stored
        return JSONResponse(_upload_answer(result, language, error, messages), status_code)
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


def _upload_answer(
    result: portal.UploadResult, language: str, error: str | None, messages: list[str]
) -> dict:
    """The script's evidence: a file counts as sent only if it is listed under ``stored``
    with its document id and SHA-256 (``index`` is its position in the request)."""
    t = i18n.translator(language)
    receipt = result.receipt
    return {
        "error": error,
        "receipt_id": str(receipt.id) if receipt else None,
        "redirect": f"/upload/receipts/{receipt.id}?lang={language}" if receipt else None,
        "stored": [
            {
                "index": s.index,
                "document_id": s.item["document_id"],
                "filename": s.item["filename"],
                "size": s.item["size"],
                "sha256": s.item["sha256"],
            }
            for s in result.stored
        ],
        "refused": [
            {
                "index": r.index,
                "filename": r.filename,
                "reason": r.reason,
                "message": t(r.reason),
                "advice": t(f"advice_{r.reason}"),
            }
            for r in result.refused
        ],
        "messages": messages,
    }


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
    language = _lang(request)
    pdf = receipt_pdf.render(receipt, case_file, tenant.name if tenant else "Jobcenter", language)
    name = f"{i18n.translator(language)('receipt_title')}-{case_file.aktenzeichen}.pdf"
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
