"""gzip for pages and JSON when the client accepts it; never for document bytes.

An Akte page of 1,500 rows is ~400 KB of HTML and a long document's texts megabytes of
JSON; over a 20–50 Mbit/s VPN gzip cuts them to a fraction. Starlette's
:class:`~starlette.middleware.gzip.GZipMiddleware` does the work (bodies under
:data:`MINIMUM_SIZE` are sent as they are). Downloads are left alone, because ``Range``
counts bytes of the representation: a gzipped 200 answer followed by a resumed
``Range: bytes=N-`` request would splice compressed and plain bytes. So nothing is
compressed when

* the request carries ``Range`` (Starlette already skips 206 answers),
* the answer offers ``Accept-Ranges`` (every blob download does, 200 or 206),
* the answer is a PDF, TIFF, image, archive or ``application/octet-stream`` (already
  compressed, or bytes the caller checks against a SHA-256).
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipResponder
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MINIMUM_SIZE = 1024
#: zlib level 6: nearly all of level 9's saving at a fraction of the CPU.
LEVEL = 6
NOT_COMPRESSED = (
    *DEFAULT_EXCLUDED_CONTENT_TYPES,
    "application/pdf",
    "image/*",
    "application/octet-stream",
    "application/x-tar",
)


class _RangeAwareGZip(GZipResponder):
    """Sends answers that offer byte ranges untouched, whatever their type."""

    async def send_with_compression(self, message: Message) -> None:
        if message["type"] == "http.response.start" and "accept-ranges" in Headers(
            raw=message.get("headers", [])
        ):
            self.initial_message = message
            self.content_type_is_excluded = True  # later body messages pass through as sent
            await self.send(message)
            return
        await super().send_with_compression(message)


class CompressionMiddleware:
    def __init__(self, app: ASGIApp, minimum_size: int = MINIMUM_SIZE) -> None:
        self.app = app
        self.minimum_size = minimum_size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if "range" in headers or "gzip" not in headers.get("accept-encoding", ""):
            await self.app(scope, receive, send)
            return
        responder = _RangeAwareGZip(
            self.app, self.minimum_size, compresslevel=LEVEL, exclude_content_types=NOT_COMPRESSED
        )
        await responder(scope, receive, send)
