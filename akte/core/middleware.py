"""ASGI middleware: request body size limit, request ids, forwarded headers.

The size limit is enforced while the body streams in, before anything is parsed or spooled
beyond the limit: a declared ``Content-Length`` over the limit is refused at once; a
chunked body is cut off at the limit and whatever the app answers is replaced by 413.
"""

from __future__ import annotations

import ipaddress
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


def parse_networks(spec: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """``AKTE_TRUSTED_PROXIES``: addresses or CIDRs, separated by commas or spaces."""
    return tuple(
        ipaddress.ip_network(part, strict=False) for part in spec.replace(",", " ").split()
    )


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


class ForwardedHeadersMiddleware:
    """``X-Forwarded-For``/``-Proto``/``-Host`` believed from the trusted proxies only.

    A request whose peer is not in ``AKTE_TRUSTED_PROXIES`` (empty by default) has these
    headers removed, so no code further in (rate limits, secure cookies, audit addresses)
    can be fooled by a client sending them. From a trusted proxy, the client address is the
    right-most ``X-Forwarded-For`` entry that is not itself a trusted proxy, and the scheme
    and host are taken from the proxy. Links for outside use never come from the host
    anyway (``AKTE_PUBLIC_URL``).
    """

    HEADERS = (b"x-forwarded-for", b"x-forwarded-proto", b"x-forwarded-host", b"forwarded")

    def __init__(self, app: ASGIApp, trusted: str = "") -> None:
        self.app = app
        self.trusted = parse_networks(trusted)

    def _is_trusted(self, host: str | None) -> bool:
        address = _address(host) if host else None
        return address is not None and any(address in net for net in self.trusted)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in {"http", "websocket"}:
            await self.app(scope, receive, send)
            return
        headers = list(scope.get("headers") or [])
        forwarded = {k: v.decode("latin-1") for k, v in headers if k in self.HEADERS}
        client = scope.get("client")
        if forwarded and self._is_trusted(client[0] if client else None):
            scope = dict(scope)
            hops = [h.strip() for h in forwarded.get(b"x-forwarded-for", "").split(",")]
            for hop in reversed([h for h in hops if h]):
                if _address(hop) is None:
                    break  # garbage: keep the last good address
                scope["client"] = (str(_address(hop)), 0)
                if not self._is_trusted(hop):
                    break
            proto = forwarded.get(b"x-forwarded-proto", "").split(",")[0].strip().lower()
            if proto in {"http", "https"}:
                scope["scheme"] = proto
            host = forwarded.get(b"x-forwarded-host", "").split(",")[0].strip()
            if host:
                headers = [(k, v) for k, v in headers if k != b"host"]
                headers.append((b"host", host.encode("latin-1")))
            scope["headers"] = [(k, v) for k, v in headers if k not in self.HEADERS]
        elif forwarded:
            scope = dict(scope)
            scope["headers"] = [(k, v) for k, v in headers if k not in self.HEADERS]
        await self.app(scope, receive, send)
