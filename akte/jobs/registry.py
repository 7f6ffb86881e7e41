"""Task handlers by dotted name (``ingest.process_document``).

A handler takes the process's :class:`AppContext` and the job's payload (ids and plain
values), reloads what it needs in its own short transactions, tolerates the row having been
deleted, and is safe to run twice: a worker may die after the work and before ``done``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from akte.core.context import AppContext

TaskHandler = Callable[[AppContext, dict[str, Any]], None]


@dataclass(frozen=True)
class JobDeath:
    """Why a job was given up: its last error, and how long an outage it waited out."""

    kind: str
    error: str
    attempts: int
    #: Seconds the job retried a storage or database outage; ``None``: not an outage.
    outage_seconds: float | None


#: Called in the transaction that marks a job ``dead``, so what the job was for (a
#: document) never keeps a state that waits for it.
DeadJobHook = Callable[[Session, dict[str, Any], JobDeath], None]

_HANDLERS: dict[str, TaskHandler] = {}
_DEAD_HOOKS: dict[str, DeadJobHook] = {}
#: Whether every feature's ``tasks`` module was imported (one imported early is not enough).
_LOADED = False


class PermanentJobError(Exception):
    """A failure that retrying cannot fix: the job goes straight to ``dead``."""


class TransientJobError(Exception):
    """An outage ("not now"): retried with back-off for ``AKTE_JOB_OUTAGE_SECONDS``
    without using up attempts (see :func:`akte.jobs.transient.is_transient`)."""


def task(name: str) -> Callable[[TaskHandler], TaskHandler]:
    def register(fn: TaskHandler) -> TaskHandler:
        _HANDLERS[name] = fn
        return fn

    return register


def on_dead(name: str) -> Callable[[DeadJobHook], DeadJobHook]:
    """Register what to do when a job of kind ``name`` is given up as ``dead``."""

    def register(fn: DeadJobHook) -> DeadJobHook:
        _DEAD_HOOKS[name] = fn
        return fn

    return register


def dead_hook_for(name: str) -> DeadJobHook | None:
    if not _LOADED:
        load_task_modules()
    return _DEAD_HOOKS.get(name)


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
