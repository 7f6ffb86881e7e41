"""ASGI middleware: request body size limit and request ids.

The size limit is enforced while the body streams in, before anything is parsed or spooled
beyond the limit: a declared ``Content-Length`` over the limit is refused at once; a
chunked body is cut off at the limit and whatever the app answers is replaced by 413.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MULTIPART_OVERHEAD = 1024 * 1024


def _json_response(status: int, code: str, detail: str) -> tuple[Message, Message]:
    body = json.dumps({"error": code, "detail": detail}).encode()
    start = {
        "type": "http.response.start",
        "status": status,
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
    }
    return start, {"type": "http.response.body", "body": body}


class BodySizeLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes + MULTIPART_OVERHEAD
        self.detail = f"request body is larger than the limit of {max_bytes} bytes"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            start, body = _json_response(413, "payload_too_large", self.detail)
            await send(start)
            await send(body)
            return
        state: dict[str, Any] = {"received": 0, "exceeded": False, "replaced": False}

        async def limited_receive() -> Message:
            if state["exceeded"]:
                return {"type": "http.request", "body": b"", "more_body": False}
            message = await receive()
            if message["type"] == "http.request":
                state["received"] += len(message.get("body", b""))
                if state["received"] > self.max_bytes:
                    state["exceeded"] = True
                    return {"type": "http.request", "body": b"", "more_body": False}
            return message

        async def guarded_send(message: Message) -> None:
            if state["exceeded"]:
                if not state["replaced"]:
                    state["replaced"] = True
                    start, body = _json_response(413, "payload_too_large", self.detail)
                    await send(start)
                    await send(body)
                return
            await send(message)

        await self.app(scope, limited_receive, guarded_send)


class RequestIdMiddleware:
    """Gives every request an id (or keeps the caller's ``X-Request-ID``) and echoes it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        request_id = headers.get(b"x-request-id", b"").decode("latin-1")[:64] or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        await self.app(scope, receive, send_with_id)
