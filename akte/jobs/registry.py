"""Task handlers by dotted name (``ingest.process_document``).

A handler takes the process's :class:`AppContext` and the job's payload (ids and plain
values), reloads what it needs in its own short transactions, tolerates the row having been
deleted, and is safe to run twice: a worker may die after the work and before ``done``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from akte.core.context import AppContext

TaskHandler = Callable[[AppContext, dict[str, Any]], None]

_HANDLERS: dict[str, TaskHandler] = {}
#: Whether every feature's ``tasks`` module was imported (one imported early is not enough).
_LOADED = False


class PermanentJobError(Exception):
    """A failure that retrying cannot fix: the job goes straight to ``dead``."""


def task(name: str) -> Callable[[TaskHandler], TaskHandler]:
    def register(fn: TaskHandler) -> TaskHandler:
        _HANDLERS[name] = fn
        return fn

    return register


def handler_for(name: str) -> TaskHandler | None:
    if not _LOADED or name not in _HANDLERS:
        load_task_modules()
    return _HANDLERS.get(name)


def load_task_modules() -> None:
    global _LOADED
    import akte.jobs.builtin_tasks  # noqa: F401
    from akte.features import feature_modules

    feature_modules("tasks")
    _LOADED = True


def registered_kinds() -> list[str]:
    if not _LOADED:
        load_task_modules()
    return sorted(_HANDLERS)
