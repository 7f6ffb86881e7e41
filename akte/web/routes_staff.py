"""Caseworker pages: Akten list, search, Akte, Posteingang and upload codes (``/app``)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import Field

from akte.audit import service as audit
from akte.case_files import service as case_files
from akte.casework import doctypes
from akte.core.dependencies import Context, DbSession, get_context
from akte.core.errors import Unprocessable
from akte.core.pagination import PageParams, paginate
from akte.inbox import service as inbox
from akte.uploads import service as codes
from akte.web import akte_documents, casework, finder, letters
from akte.web.deps import CsrfChecked, Staff
from akte.web.errors import PageRoute
from akte.web.pages import page

router = APIRouter(prefix="/app", include_in_schema=False, route_class=PageRoute)
PAGE_SIZE = 25
SEARCH_PAGE_SIZE = 50
#: The search engine pages through its first 10,000 results.
SEARCH_PAGES = 10_000 // SEARCH_PAGE_SIZE
FACET_LABELS = {"doc_type": "Dokumentart", "year": "Jahr", "source": "Quelle"}


@router.get("")
def akten(
    request: Request,
    session: DbSession,
    principal: Staff,
    q: Annotated[str | None, Query(max_length=200)] = None,
    page_no: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
) -> Response:
    """The Akten the caseworker may read, newest first; ``q`` filters like the API."""
    stmt = case_files.list_query(principal, status=None, org_unit_id=None, q=q or None)
    rows, total = paginate(session, stmt, PageParams(page_no, PAGE_SIZE))
    audit.record(session, principal, "case_file.list", detail={"q": q, "total": total})
    return page(
        request,
        principal,
        "akten.html",
        {
            "nav": "akten",
            "akten": rows,
            "total": total,
            "page_no": page_no,
            "pages": max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
            "filter": q or "",
        },
    )


@router.get("/search")
def search(
    request: Request,
    session: DbSession,
    ctx: Context,
    principal: Staff,
    q: Annotated[str, Query(max_length=200)] = "",
    doc_type: Annotated[str | None, Query(max_length=100)] = None,
    year: Annotated[str | None, Query(pattern=r"^\d{4}$")] = None,
    source: Annotated[str | None, Query(max_length=32)] = None,
    page_no: Annotated[int, Query(alias="page", ge=1, le=SEARCH_PAGES)] = 1,
    akte: uuid.UUID | None = None,
) -> Response:
    """One search box: Akten and documents, facets (Dokumentart, Jahr, Quelle) to narrow,
    ``akte`` to search one Akte, ``page`` to page through the hits (50 a page); each hit
    links to the page of its document where the words are."""
    filters = {k: v for k, v in (("doc_type", doc_type), ("year", year), ("source", source)) if v}
    results = (
        finder.find(
            session,
            ctx,
            principal,
            q,
            filters=filters,
            limit=SEARCH_PAGE_SIZE,
            page=page_no,
            case_file_id=akte,
        )
        if q.strip()
        else None
    )
    scoped = case_files.get_visible(session, principal, akte) if akte else None
    return page(
        request,
        principal,
        "search.html",
        {
            "q": q,
            "results": results,
            "filters": filters,
            "facet_names": FACET_LABELS,
            "akte": scoped,
            "keep": {"q": q, **filters, **({"akte": akte} if akte else {})},
        },
    )


@router.get("/akten/{case_file_id}")
def akte(
    case_file_id: uuid.UUID, request: Request, session: DbSession, principal: Staff
) -> Response:
    """The Akte: upload at the top, then one page of its documents (sortable, filterable,
    searchable with the API list's parameters), casework, letters and upload codes."""
    case_file = case_files.get_visible(session, principal, case_file_id)
    docs = akte_documents.table(
        session, principal, case_file.id, akte_documents.parse(request.query_params)
    )
    documents = docs.documents
    audit.record(
        session, principal, "case_file.open", object_type="case_file", object_id=case_file.id
    )
    return page(
        request,
        principal,
        "akte.html",
        {
            "case_file": case_file,
            "owned": case_files.owns(session, principal, case_file.id),
            "documents": documents,
            "docs": docs,
            "sort_labels": akte_documents.SORT_LABELS,
            "rejections": inbox.rejections(session, [d.id for d in documents]),
            "upload_codes": codes.list_for_case_file(session, principal, case_file.id),
            "now_usable": codes.is_usable,
            "letters": letters.for_case_file(session, principal, case_file.id),
            "letters_available": letters.available(),
            "letter_status": letters.STATUS_LABELS,
            "doc_types": doctypes.names(session, principal.tenant_id),
            **casework.akte_context(session, principal, case_file, documents),
        },
    )


@router.post("/akten/{case_file_id}/upload-codes", dependencies=[CsrfChecked])
def issue_code(
    case_file_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: Staff,
    valid_days: Annotated[int, Form(ge=1, le=180)] = codes.DEFAULT_VALID_DAYS,
) -> Response:
    """Show the new code once: it is not stored and cannot be shown again."""
    issued = codes.issue(session, principal, case_file_id, valid_days=valid_days)
    case_file = case_files.get_visible(session, principal, case_file_id)
    link = codes.upload_link(get_context(request).settings, issued.plaintext)
    return page(
        request,
        principal,
        "code_issued.html",
        {"case_file": case_file, "issued": issued, "link": link},
        201,
    )


@router.post("/upload-codes/{code_id}/revoke", dependencies=[CsrfChecked])
def revoke_code(code_id: uuid.UUID, session: DbSession, principal: Staff) -> Response:
    code = codes.revoke(session, principal, code_id)
    session.commit()  # durable before the browser follows the answer
    return RedirectResponse(f"/app/akten/{code.case_file_id}?msg=revoked", status_code=303)


@router.get("/posteingang")
def posteingang(
    request: Request,
    session: DbSession,
    principal: Staff,
    org_unit: uuid.UUID | None = None,
) -> Response:
    return _inbox_page(request, session, principal, org_unit)


def _inbox_page(
    request: Request,
    session: DbSession,
    principal: Staff,
    org_unit: uuid.UUID | None = None,
    *,
    error: str | None = None,
    problems: dict[uuid.UUID, dict[str, str]] | None = None,
    typed: dict[uuid.UUID, tuple[str, str]] | None = None,
    chosen: list[uuid.UUID] | None = None,
) -> Response:
    """The Posteingang; after a refused filing (422) with what was typed and ticked, the
    refusal on top and each field in error marked and described (``problems``: item →
    field → message)."""
    items = inbox.items(session, principal, org_unit_id=org_unit)
    audit.record(session, principal, "inbox.list", detail={"count": len(items)})
    return page(
        request,
        principal,
        "posteingang.html",
        {
            "nav": "inbox",
            "items": items,
            "units": inbox.org_units(session, principal),
            "org_unit": org_unit,
            "doc_types": doctypes.names(session, principal.tenant_id),
            "error": error,
            "problems": problems or {},
            "typed": typed or {},
            "chosen": set(chosen or ()),
        },
        422 if error else 200,
    )


def _back(target: str | None, default: str) -> str:
    return target if target and target.startswith("/app") else default


@router.post("/documents/{document_id}/file", dependencies=[CsrfChecked])
def file_document(
    document_id: uuid.UUID,
    session: DbSession,
    principal: Staff,
    doc_type: Annotated[str, Form(max_length=100)] = "",
    title: Annotated[str, Form(max_length=300)] = "",
    back: Annotated[str | None, Form(max_length=300)] = None,
) -> Response:
    inbox.file_document(session, principal, document_id, doc_type=doc_type, title=title)
    session.commit()  # durable before the browser follows the answer
    return RedirectResponse(_back(back, "/app/posteingang") + "?msg=filed", status_code=303)


@router.post("/posteingang/ablegen", dependencies=[CsrfChecked])
def file_chosen(
    request: Request,
    session: DbSession,
    principal: Staff,
    item: Annotated[list[uuid.UUID], Form()],
    doc_type: Annotated[list[Annotated[str, Field(max_length=100)]], Form()],
    title: Annotated[list[Annotated[str, Field(max_length=300)]], Form()],
    chosen: Annotated[list[uuid.UUID] | None, Form()] = None,
    only: Annotated[uuid.UUID | None, Form()] = None,
) -> Response:
    """The Posteingang's one form: every item sends its id, Dokumentart and title (in
    page order); ``only`` files one item (its own button), ``chosen`` the ticked ones."""
    if not len(item) == len(doc_type) == len(title):
        raise Unprocessable("Das Formular ist unvollständig", code="invalid_form")
    fields = {i: (d, t) for i, d, t in zip(item, doc_type, title, strict=True)}
    wanted = [only] if only else list(chosen or [])
    unknown = [i for i in wanted if i not in fields]
    if unknown:
        raise Unprocessable("Das Formular ist unvollständig", code="invalid_form")
    problems = _filing_problems(session, principal, {i: fields[i] for i in wanted})
    if problems or not wanted:
        error = (
            f"Nicht abgelegt: bei {len(problems)} Dokument(en) fehlt eine Angabe oder sie "
            "ist ungültig. Die Felder sind markiert."
            if problems
            else "Bitte mindestens ein Dokument auswählen."
        )
        return _inbox_page(
            request, session, principal, error=error, problems=problems, typed=fields, chosen=wanted
        )
    filed = inbox.file_many(session, principal, [(i, *fields[i]) for i in wanted])
    session.commit()  # durable before the browser follows the answer
    message = "filed" if len(filed) == 1 else "filed_many"
    return RedirectResponse(f"/app/posteingang?msg={message}", status_code=303)


def _filing_problems(
    session: DbSession, principal: Staff, wanted: dict[uuid.UUID, tuple[str, str]]
) -> dict[uuid.UUID, dict[str, str]]:
    """What keeps each chosen item from being filed, by field, before anything is filed:
    the page marks exactly those fields (the service checks all of it again)."""
    problems: dict[uuid.UUID, dict[str, str]] = {}
    for item_id, (doc_type, title) in wanted.items():
        found: dict[str, str] = {}
        if not doc_type.strip():
            found["doc_type"] = "Bitte eine Dokumentart wählen."
        else:
            try:
                doctypes.validated(session, principal.tenant_id, doc_type)  # type: ignore[arg-type]
            except Unprocessable as exc:
                found["doc_type"] = exc.detail
        if not title.strip():
            found["title"] = "Bitte einen Titel angeben."
        if found:
            problems[item_id] = found
    return problems


@router.post("/documents/{document_id}/reject", dependencies=[CsrfChecked])
def reject_document(
    document_id: uuid.UUID,
    session: DbSession,
    principal: Staff,
    reason: Annotated[str, Form(max_length=1000)] = "",
    back: Annotated[str | None, Form(max_length=300)] = None,
) -> Response:
    inbox.reject(session, principal, document_id, reason=reason)
    session.commit()  # durable before the browser follows the answer
    return RedirectResponse(_back(back, "/app/posteingang") + "?msg=rejected", status_code=303)
