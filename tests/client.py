"""The suite's in-process HTTP client: Starlette's ``TestClient``, with each request run to
its end in one hand-off to the client's event loop.

Starlette's transport streams a response back to the test thread: it creates an event, a
second event, a memory stream and a cancel scope, starts the app and waits for the start
of the response, then fetches each body chunk, every one of those a separate call into
the portal's thread (eight thread hand-offs for a one-chunk answer). Measured on a
``GET`` of an Akte, that was about a quarter of the request's CPU time (13.8 against
10.6 CPU-ms, ``python -m bench.inprocess_client``), paid by every request of the suite.
This transport builds the same ASGI scope (Starlette builds it inline in its
``handle_request``, with no function to call) and makes one call that runs the app until
its last message; the response comes back whole. What the app does is unchanged: the same middleware, the same
threadpool for sync endpoints, the same lifespan (``with TestClient(app)``).

The price is that a response is read only once it is complete, which the suite's
responses (pages, JSON, downloads of files it wrote) all are. A debug message is kept in
the response's extensions; Starlette's ``response.template`` and ``response.context``,
which no test reads, are not set. WebSocket requests go to
Starlette's transport as before.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import anyio
import httpx
from starlette.testclient import TestClient as StarletteTestClient
from starlette.testclient import _TestClientTransport
from starlette.types import Message


class _Reply:
    """What the app sent for one request."""

    def __init__(self) -> None:
        self.start: Message | None = None
        self.chunks: list[bytes] = []
        self.trailers: list[tuple[bytes, bytes]] = []
        self.debug: dict[str, Any] | None = None


class _OneHopTransport(_TestClientTransport):
    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.scheme in ("ws", "wss"):
            return super().handle_request(request)
        scope = self._scope(request)
        body = request.read()
        with self.portal_factory() as portal:
            reply = portal.call(self._run, scope, body)
        if reply.start is None:
            if self.raise_server_exceptions:
                raise AssertionError("TestClient did not receive any response.")
            return httpx.Response(500, stream=httpx.ByteStream(b""), request=request)
        content = b"" if request.method == "HEAD" else b"".join(reply.chunks)
        response = httpx.Response(
            reply.start["status"],
            headers=[(k.decode(), v.decode()) for k, v in reply.start.get("headers", [])],
            stream=httpx.ByteStream(content),
            request=request,
        )
        if reply.start.get("trailers", False):
            response.extensions["http.response.trailers"] = reply.trailers
        if reply.debug is not None:
            response.extensions["http.response.debug"] = reply.debug
        return response

    def _scope(self, request: httpx.Request) -> dict[str, Any]:
        url = request.url
        port = url.port or {"http": 80, "https": 443}[url.scheme]
        headers = [] if "host" in request.headers else [(b"host", url.netloc)]
        headers += [(k.lower().encode(), v.encode()) for k, v in request.headers.multi_items()]
        return {
            "type": "http",
            "http_version": "1.1",
            "method": request.method,
            "path": unquote(url.path),
            "raw_path": url.raw_path.split(b"?", 1)[0],
            "root_path": self.root_path,
            "scheme": url.scheme,
            "query_string": url.query,
            "headers": headers,
            "client": self.client,
            "server": [url.raw_host.decode("ascii"), port],
            "extensions": {"http.response.debug": {}, "http.response.trailers": {}},
            "state": self.app_state.copy(),
        }

    async def _run(self, scope: dict[str, Any], body: bytes) -> _Reply:
        reply = _Reply()
        done = anyio.Event()
        body_sent = False

        async def receive() -> Message:
            nonlocal body_sent
            if not body_sent:
                body_sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await done.wait()  # as from a client that stays until the answer is complete
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            kind = message["type"]
            if kind == "http.response.start":
                assert reply.start is None, 'Received multiple "http.response.start" messages.'
                reply.start = message
            elif kind == "http.response.body":
                assert reply.start is not None, '"http.response.body" before its start'
                reply.chunks.append(bytes(message.get("body", b"")))
                if not message.get("more_body", False) and not reply.start.get("trailers"):
                    done.set()
            elif kind == "http.response.trailers":
                reply.trailers.extend(message.get("headers", []))
                if not message.get("more_trailers", False):
                    done.set()
            elif kind == "http.response.debug":
                reply.debug = message["info"]

        try:
            await self.app(scope, receive, send)
        except Exception:
            if self.raise_server_exceptions:
                raise  # as Starlette's client does; otherwise a 500 without a body
        finally:
            done.set()
        return reply


class TestClient(StarletteTestClient):
    """``starlette.testclient.TestClient`` with :class:`_OneHopTransport`."""

    __test__ = False

    def __init__(self, app: Any, **options: Any) -> None:
        super().__init__(app, **options)
        starlette_transport = self._transport
        assert isinstance(starlette_transport, _TestClientTransport)
        self._transport = _OneHopTransport(
            self.app,
            portal_factory=self._portal_factory,
            raise_server_exceptions=starlette_transport.raise_server_exceptions,
            root_path=starlette_transport.root_path,
            app_state=self.app_state,
            client=starlette_transport.client,
        )
