"""The environment of an ``akte`` process a test starts, and stopping it again (a server or
worker started in a session of its own)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time

import psutil

#: ``AKTE_*`` variables a test's process keeps although its settings are the test's own:
#: the word sets' cache (tests/conftest.py), without which each process built them again
#: from the dictionaries (about a CPU-second, 42 s of a full run's processes).
KEPT_AKTE_VARIABLES = ("AKTE_WORDSET_CACHE",)


def inherited_env(*dropped: str) -> dict[str, str]:
    """This process's environment without ``AKTE_*`` settings and the variables named by
    the prefixes in ``dropped``: the base a test puts its process's own settings on (no
    setting of the shell that runs the tests leaks in)."""
    prefixes = ("AKTE_", *dropped)
    return {
        name: value
        for name, value in os.environ.items()
        if name in KEPT_AKTE_VARIABLES or not name.startswith(prefixes)
    }


def stop_group(process: subprocess.Popen, timeout: float = 20) -> None:
    """SIGTERM to the process's whole group, up to ``timeout`` s for it to end, then
    SIGUSR1 (a stack dump) and SIGKILL to whatever is left of the group: ``akte worker``
    runs its jobs in a child, which a kill of the command alone left running after the
    test. The process must have been started with ``start_new_session=True``."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout)
    left = _members(process.pid)
    for pid in left:  # one at a time: their stack dumps go to one log
        # ``akte worker`` processes write every thread's stack to their log on SIGUSR1
        # (akte/cli.py), so the log shows where the one that did not stop waited
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGUSR1)
        time.sleep(0.3)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(10)


def _members(group: int) -> list[int]:
    """The processes still in process group ``group``."""
    members = []
    for candidate in psutil.pids():
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if os.getpgid(candidate) == group:
                members.append(candidate)
    return members
