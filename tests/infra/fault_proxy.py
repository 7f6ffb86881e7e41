"""Storage faults injected for real: an S3 server that answers 500/503, a full disk.

* :class:`FaultyS3Proxy`: a small HTTP proxy on loopback in front of the test's S3 server.
  It forwards requests unchanged (the ``Host`` header too, so SigV4 signatures stay valid)
  until told to fail; then it answers every request with HTTP 500 and no body (what
  SeaweedFS does while it shuts down) or 503 ``SlowDown`` (an overloaded S3).
* :func:`full_disk`: a small tmpfs mounted for the test (the tests run as root), the way a
  blob folder on its own volume runs full.
"""

from __future__ import annotations

import http.client
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.infra.ports import free_port

_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "content-length",
    "proxy-connection",
    "upgrade",
}
SLOWDOWN = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>'
    b"<Message>Please reduce your request rate.</Message></Error>"
)


class FaultyS3Proxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.port = free_port()
        self.endpoint = f"127.0.0.1:{self.port}"
        #: ``None`` forwards; ``500`` or ``503`` answers every request with that failure.
        self.failing: int | None = None
        self.failed_requests = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: object) -> None:
                pass

            def _relay(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                failing = proxy.failing
                if failing is not None:
                    proxy.failed_requests += 1
                    payload = SLOWDOWN if failing == 503 else b""
                    self.send_response(failing)
                    if payload:
                        self.send_header("Content-Type", "application/xml")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(payload)
                    return
                conn = http.client.HTTPConnection(proxy.upstream, timeout=60)
                try:
                    headers = {
                        k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP
                    }
                    headers["Content-Length"] = str(len(body))
                    conn.request(self.command, self.path, body=body, headers=headers)
                    answer = conn.getresponse()
                    data = answer.read()
                finally:
                    conn.close()
                self.send_response(answer.status, answer.reason)
                for key, value in answer.getheaders():
                    if key.lower() not in _HOP_BY_HOP:
                        self.send_header(key, value)
                # a HEAD answer's length is the object's, not the (empty) body's
                length = answer.getheader("Content-Length") if self.command == "HEAD" else None
                self.send_header("Content-Length", length or str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _relay

        return Handler

    def start(self) -> FaultyS3Proxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def faulty_s3(upstream: str) -> Iterator[FaultyS3Proxy]:
    proxy = FaultyS3Proxy(upstream).start()
    try:
        yield proxy
    finally:
        proxy.stop()


@contextmanager
def full_disk(size_kb: int) -> Iterator[Path]:
    """A folder on a fresh tmpfs of ``size_kb`` KiB, unmounted afterwards."""
    mountpoint = Path(tempfile.mkdtemp(prefix="akte-fulldisk-"))
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_kb}k,mode=0755", "tmpfs", str(mountpoint)],
        check=True,
    )
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], check=False)
        mountpoint.rmdir()


def fill(folder: Path, leave_bytes: int) -> Path:
    """Write a ballast file until at most ``leave_bytes`` are free in ``folder``'s volume."""
    import os

    ballast = folder / "ballast"
    free = os.statvfs(folder).f_bavail * os.statvfs(folder).f_frsize
    with ballast.open("wb") as fh:
        remaining = max(free - leave_bytes, 0)
        while remaining > 0:
            step = min(remaining, 1 << 20)
            try:
                fh.write(b"\0" * step)
                fh.flush()
            except OSError:
                break
            remaining -= step
    return ballast
