"""One exception hierarchy for every failure a user can act on, mapped to HTTP exactly once.

::

    AkteError (400 bad_request)
    ├── MalformedBody (400)    a body that is not the JSON or form it claims to be
    ├── NotAuthenticated (401)
    ├── Forbidden (403)
    ├── NotFound (404)         also for things of another tenant: they do not exist to you
    ├── Conflict (409)
    ├── PayloadTooLarge (413)
    ├── UnsupportedMediaType (415)
    ├── Unprocessable (422)
    ├── TooManyRequests (429)
    ├── ServiceUnavailable (503)   object storage or database unreachable
    │   └── StorageUnavailable (503 storage_unavailable)  object store or disk: "not now"
    │       └── InsufficientStorage (507 storage_full)    the blob folder or bucket is full

The JSON body is always ``{"error": code, "detail": text}``. An error with a
``retry_after`` (seconds) is answered with a ``Retry-After`` header too.
"""

from __future__ import annotations

import inspect
from typing import Any, ClassVar

from pydantic import BaseModel


class ErrorBody(BaseModel):
    error: str
    detail: str


class AkteError(Exception):
    status_code: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    #: Seconds after which a client may try again (``Retry-After``); ``None``: no header.
    retry_after: ClassVar[int | None] = None

    def __init__(self, detail: str, *, code: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if code:
            self.code = code  # type: ignore[misc]

    def body(self) -> dict[str, Any]:
        return {"error": self.code, "detail": self.detail}


class MalformedBody(AkteError):
    """The request body could not be read at all (not JSON or not a form, though its
    Content-Type says so)."""

    code = "bad_request"


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


class StorageUnavailable(ServiceUnavailable):
    """Object storage or the blob folder cannot serve the request *now*: connection refused,
    timeouts, HTTP 5xx or ``SlowDown`` from S3, EIO. Nothing is wrong with the data; the
    same request succeeds once storage is back, and jobs retry instead of failing."""

    code = "storage_unavailable"
    retry_after = 30


class InsufficientStorage(StorageUnavailable):
    """The blob folder's disk (or the bucket's quota) is full: ENOSPC, EDQUOT. Nothing was
    stored; an operator must free or add space, then the same upload succeeds."""

    status_code = 507
    code = "storage_full"
    retry_after = 300


def responses(*errors: type[AkteError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries for the expected failures of a route."""
    return {
        e.status_code: {"model": ErrorBody, "description": inspect.cleandoc(e.__doc__ or e.code)}
        for e in errors
    }
