"""Browsers get German error pages, also where no page route caught the error.

:class:`akte.web.errors.PageRoute` turns the errors of page routes into pages. An unknown
address (404), a wrong method (405) or an unexpected failure (500) never reaches a page
route, so the core's handlers would answer the browser with a JSON body in English. The
handlers installed here answer a browser's request (``Accept: text/html``, outside
``/api/``) with the layout's error page in German instead, and hand every other request
(API clients, the upload script's JSON calls) on to the core's handlers unchanged.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

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


def wants_page(request: Request) -> bool:
    """A browser navigating, not an API client or a script asking for JSON."""
    if request.url.path.startswith("/api/"):
        return False
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "application/json" not in accept


def error_page(request: Request, status_code: int) -> Response:
    heading = TITLES.get(status_code) or TITLES_EXTRA.get(status_code, "Fehler")
    detail = DETAILS.get(status_code, "Die Anfrage konnte nicht bearbeitet werden.")
    # no route ran, so nobody is signed in as far as this page knows; a staff cookie still
    # points the way back to the workspace instead of the citizens' portal
    home = "/app" if request.cookies.get("akte_web") else "/upload"
    context = {"principal": None, "heading": heading, "detail": detail, "home": home}
    return render(request, "error.html", context, status_code)


def install(app: FastAPI) -> None:
    core_http = app.exception_handlers[StarletteHTTPException]
    core_unexpected = app.exception_handlers[Exception]

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

    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)
