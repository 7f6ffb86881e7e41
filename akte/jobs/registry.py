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
#: Takes the payloads of several jobs of one kind in one call (:func:`batch_task`).
BatchHandler = Callable[[AppContext, list[dict[str, Any]]], None]


@dataclass(frozen=True)
class Batch:
    """How a kind's jobs run together: the handler and the most jobs per call."""

    handler: BatchHandler
    size: int


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
_BATCHES: dict[str, Batch] = {}
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


def batch_task(name: str, size: int) -> Callable[[BatchHandler], BatchHandler]:
    """Register a handler for jobs of kind ``name`` that takes up to ``size`` payloads.

    For work whose cost is mostly per call, not per job: a search index commit writes a
    segment (and merges) whether it holds one document or a hundred. The worker claims the
    kind's pending jobs together (:func:`akte.jobs.repository.claim_more`) and completes
    them together; if the call fails, each job runs alone, so one bad job fails only
    itself. Alone, a job runs the same handler with its one payload."""

    def register(fn: BatchHandler) -> BatchHandler:
        _BATCHES[name] = Batch(fn, size)

        def one(ctx: AppContext, payload: dict[str, Any]) -> None:
            fn(ctx, [payload])

        task(name)(one)
        return fn

    return register


def batch_for(name: str) -> Batch | None:
    if not _LOADED:
        load_task_modules()
    return _BATCHES.get(name)


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
