"""Stopping a server or worker the tests started in a session of its own."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess


def stop_group(process: subprocess.Popen, timeout: float = 20) -> None:
    """SIGTERM to the process's whole group, up to ``timeout`` s for it to end, then
    SIGKILL to whatever is left of the group: ``akte worker`` runs its jobs in a child,
    which a kill of the command alone left running after the test. The process must have
    been started with ``start_new_session=True``."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(10)
