"""Browsers get German error pages, also where no page route caught the error.

:class:`akte.web.errors.PageRoute` turns the errors of page routes into pages. An unknown
address (404), a wrong method (405) or an unexpected failure (500) never reaches a page
route, and neither does a form value refused by the route's own ``Form(max_length=…)``
(422), so the core's handlers would answer the browser with a JSON body in English. The
handlers installed here answer a browser's request (``Accept: text/html``, outside
``/api/``) with the layout's error page in German instead, and hand every other request
(API clients, the upload script's JSON calls) on to the core's handlers unchanged.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from akte.web import messages
from akte.web.casework import FIELD_LABELS
from akte.web.errors import TITLES
from akte.web.templating import render

log = logging.getLogger("akte")

#: What the page says per status, in the caseworker's and citizen's words.
DETAILS = {
    404: "Diese Seite gibt es nicht. Vielleicht ist der Link veraltet oder unvollständig.",
    405: "Diese Seite lässt sich so nicht aufrufen. Bitte gehen Sie über die Startseite.",
    500: "Ein unerwarteter Fehler ist aufgetreten. Er wurde protokolliert; bitte versuchen "
    "Sie es später noch einmal.",
}
TITLES_EXTRA = {405: "Nicht möglich", 500: "Unerwarteter Fehler"}


PAGE_PREFIXES = ("/app", "/upload", "/login", "/logout")


def wants_page(request: Request) -> bool:
    """A browser navigating or posting a form, not an API client or a script asking for
    JSON: ``text/html`` accepted, or a page address (as :class:`PageRoute` decides)."""
    path = request.url.path
    if path.startswith("/api/"):
        return False
    accept = request.headers.get("accept", "")
    if "application/json" in accept:
        return False
    return "text/html" in accept or path.startswith(PAGE_PREFIXES)


def error_page(request: Request, status_code: int, detail: str | None = None) -> Response:
    heading = TITLES.get(status_code) or TITLES_EXTRA.get(status_code, "Fehler")
    detail = detail or DETAILS.get(status_code, "Die Anfrage konnte nicht bearbeitet werden.")
    # no route ran, so nobody is signed in as far as this page knows; a staff cookie still
    # points the way back to the workspace instead of the citizens' portal
    home = "/app" if request.cookies.get("akte_web") else "/upload"
    context = {"principal": None, "heading": heading, "detail": detail, "home": home}
    return render(request, "error.html", context, status_code)


def install(app: FastAPI) -> None:
    core_http = app.exception_handlers[StarletteHTTPException]
    core_unexpected = app.exception_handlers[Exception]
    core_invalid = app.exception_handlers[RequestValidationError]

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code in (404, 405) and wants_page(request):
            return error_page(request, exc.status_code)
        return await core_http(request, exc)

    async def unexpected(request: Request, exc: Exception) -> Response:
        if wants_page(request):
            log.exception("unexpected error on %s %s", request.method, request.url.path)
            try:
                return error_page(request, 500)
            except Exception:  # the page itself fails: the core's plain answer
                log.exception("error page failed")
        return await core_unexpected(request, exc)

    async def invalid_form(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        if wants_page(request):
            first = exc.errors()[0]
            loc = [str(part) for part in first.get("loc", ()) if part not in ("body", "query")]
            label = FIELD_LABELS.get(loc[0], loc[0]) if loc else "Eingabe"
            return error_page(request, 422, f"{label}: {messages.form_reason(first)}")
        return await core_invalid(request, exc)

    app.add_exception_handler(RequestValidationError, invalid_form)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)
