"""Periodic tasks, declared once where their work lives::

    @periodic("audit.seal_periodic", every=timedelta(seconds=60))
    def seal(ctx, payload): ...

``every`` is a :class:`~datetime.timedelta` or a function of the settings returning one
(``None`` or zero switches the task off, e.g. ``AKTE_SCRUB_INTERVAL_SECONDS=0``). Periods
are aligned to the epoch: with ``every=60 s`` they start at each full minute on every host.

The task is an ordinary job handler; :mod:`akte.jobs.scheduler` queues one job per period
with the period's start in the payload (``{"period": "2026-01-01T10:00:00+00:00"}``). A job
of the kind without a ``period`` was queued by the self-rescheduling code this replaced: it
is acknowledged and does nothing, so an upgrade cannot leave an old chain running.

``start="now"`` makes a new task due at once; ``start="next"`` waits for the next period
boundary (a scrub should not read the store on every first start).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from akte.core.context import AppContext
from akte.core.settings import Settings
from akte.jobs.registry import TaskHandler, registered_kinds, task

log = logging.getLogger("akte.worker")

Interval = timedelta | Callable[[Settings], timedelta | None]


@dataclass(frozen=True)
class Periodic:
    name: str
    every: Interval
    start: Literal["now", "next"]

    def interval(self, settings: Settings) -> timedelta | None:
        """This installation's period, or ``None`` when the task is switched off."""
        every = self.every(settings) if callable(self.every) else self.every
        if every is None or every <= timedelta(0):
            return None
        return every


_PERIODIC: dict[str, Periodic] = {}


def periodic(
    name: str, *, every: Interval, start: Literal["now", "next"] = "now"
) -> Callable[[TaskHandler], TaskHandler]:
    """Register ``fn`` as the handler of ``name`` and run it once per period."""

    def register(fn: TaskHandler) -> TaskHandler:
        def run(ctx: AppContext, payload: dict[str, Any]) -> None:
            if "period" not in payload:
                log.info(
                    "%s job without a period ignored: queued by the old self-"
                    "rescheduling code, the scheduler queues it now",
                    name,
                )
                return
            fn(ctx, payload)

        run.__doc__ = fn.__doc__
        _PERIODIC[name] = Periodic(name=name, every=every, start=start)
        task(name)(run)
        return fn

    return register


def periodic_tasks() -> list[Periodic]:
    """Every periodic task of the installed features, by name."""
    registered_kinds()  # imports every feature's tasks module once
    return [_PERIODIC[name] for name in sorted(_PERIODIC)]
