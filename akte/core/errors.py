"""One exception hierarchy for every failure a user can act on, mapped to HTTP exactly once.

::

    AkteError (400 bad_request)
    ├── NotAuthenticated (401)
    ├── Forbidden (403)
    ├── NotFound (404)         also for things of another tenant: they do not exist to you
    ├── Conflict (409)
    ├── PayloadTooLarge (413)
    ├── UnsupportedMediaType (415)
    ├── Unprocessable (422)
    ├── TooManyRequests (429)
    └── ServiceUnavailable (503)   object storage or database unreachable

The JSON body is always ``{"error": code, "detail": text}``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel


class ErrorBody(BaseModel):
    error: str
    detail: str


class AkteError(Exception):
    status_code: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"

    def __init__(self, detail: str, *, code: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if code:
            self.code = code  # type: ignore[misc]

    def body(self) -> dict[str, Any]:
        return {"error": self.code, "detail": self.detail}


class NotAuthenticated(AkteError):
    status_code = 401
    code = "not_authenticated"


class Forbidden(AkteError):
    status_code = 403
    code = "forbidden"


class NotFound(AkteError):
    status_code = 404
    code = "not_found"


class Conflict(AkteError):
    status_code = 409
    code = "conflict"


class PayloadTooLarge(AkteError):
    status_code = 413
    code = "payload_too_large"


class UnsupportedMediaType(AkteError):
    status_code = 415
    code = "unsupported_media_type"


class Unprocessable(AkteError):
    status_code = 422
    code = "unprocessable"


class TooManyRequests(AkteError):
    status_code = 429
    code = "too_many_requests"


class ServiceUnavailable(AkteError):
    status_code = 503
    code = "service_unavailable"


def responses(*errors: type[AkteError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries for the expected failures of a route."""
    return {e.status_code: {"model": ErrorBody, "description": e.__doc__ or e.code} for e in errors}
