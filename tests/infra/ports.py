"""Free loopback ports for servers the tests start."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(0.5)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.2)
    return False


def wait_for_health(
    base: str, process: subprocess.Popen, timeout: float = 90.0, log: Path | None = None
) -> None:
    """Until ``GET {base}/healthz`` answers 200, or fail: at once, with the end of ``log``,
    when the server process ended instead of answering (a start that fails on the schema
    is what some tests look for), or after ``timeout`` seconds.

    One client for every poll: each new ``httpx.Client`` loads the system's CA file
    (32 CPU-ms), more than a poll costs."""
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=2) as poll:
        while True:
            if process.poll() is not None:
                tail = log.read_text(errors="replace")[-3000:] if log else ""
                raise AssertionError(f"the server at {base} ended before it answered:\n{tail}")
            try:
                if poll.get(f"{base}/healthz").status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"the server at {base} did not answer in {timeout:.0f} s")
            time.sleep(0.2)
