"""Failures on pages become pages: a caseworker who opens a stale link sees "Akte nicht
gefunden" in the layout, not a JSON body.

:class:`PageRoute` catches :class:`AkteError` around a page route, rolls back the request's
database session (as the JSON handler's path would) and renders ``error.html`` with the
same status code. Requests from the upload script (``Accept: application/json``) keep the
JSON body they parse.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from akte.core.errors import AkteError
from akte.web import messages
from akte.web.templating import render

TITLES = {
    400: "Anfrage nicht möglich",
    401: "Bitte anmelden",
    403: "Nicht erlaubt",
    404: "Nicht gefunden",
    409: "Nicht möglich",
    413: "Datei zu groß",
    415: "Dateityp nicht unterstützt",
    422: "Angaben unvollständig",
    429: "Zu viele Versuche",
    503: "Vorübergehend nicht verfügbar",
    507: "Speicher voll",
}


class PageRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await original(request)
            except AkteError as exc:
                if "application/json" in request.headers.get("accept", ""):
                    raise
                session = getattr(request.state, "web_db", None)
                if session is not None:
                    session.rollback()
                response = self.error_page(request, exc)
                if exc.retry_after is not None:
                    response.headers["Retry-After"] = str(exc.retry_after)
                return response

        return handler

    def error_page(self, request: Request, exc: AkteError) -> Response:
        """The staff layout's error page, in German (:mod:`akte.web.messages` words the
        API's English details); the portal renders its own."""
        context = {
            "principal": getattr(request.state, "principal", None),
            "heading": TITLES.get(exc.status_code, "Fehler"),
            "detail": messages.german(exc),
        }
        return render(request, "error.html", context, exc.status_code)
