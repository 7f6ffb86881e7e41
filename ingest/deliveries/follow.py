"""``akte import --follow``: wait until an imported delivery is searchable, showing progress.

A delivery is searchable when every accepted document is processed (``ready`` or
``failed``) and the search-index jobs queued since the delivery was created have run.
(The index queue is shared, so this waits for any indexing queued in that time: it never
reports searchable too early.) The ETA is the remaining documents divided by the rate
measured while following (documents finished per second since following started).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select

from akte.core.context import AppContext
from akte.core.database import session_scope
from akte.documents.events import INDEX_DOCUMENT
from akte.jobs.models import Job
from ingest.deliveries import service
from ingest.deliveries.models import Delivery


@dataclass
class State:
    received: int
    processed: int
    failed: int
    processing: int
    index_waiting: int
    #: documents finished per second while following (``None`` until something finished)
    rate: float | None = None

    @property
    def searchable(self) -> bool:
        return self.processing == 0 and self.index_waiting == 0

    @property
    def eta_seconds(self) -> float | None:
        if self.searchable:
            return 0.0
        if not self.rate:
            return None
        return (self.processing + self.index_waiting) / self.rate

    def line(self) -> str:
        eta = self.eta_seconds
        when = "?" if eta is None else f"{int(eta // 60)}:{int(eta % 60):02d}"
        rate = "–" if self.rate is None else f"{self.rate:.1f}/s"
        return (
            f"{self.processed + self.failed}/{self.received} verarbeitet "
            f"({self.failed} fehlgeschlagen), Index: {self.index_waiting} ausstehend, "
            f"{rate}, noch ~{when}"
        )


def snapshot(ctx: AppContext, delivery_id: uuid.UUID) -> State:
    with session_scope(ctx.session_factory) as session:
        delivery = session.get(Delivery, delivery_id)
        assert delivery is not None
        counts = service.progress(session, delivery)
        waiting = session.scalar(
            select(func.count())
            .select_from(Job)
            .where(
                Job.kind == INDEX_DOCUMENT,
                Job.status.in_(("queued", "running")),
                Job.created_at >= delivery.created_at,
            )
        )
    return State(
        counts.received, counts.processed, counts.failed, counts.processing, int(waiting or 0)
    )


def follow(
    ctx: AppContext,
    delivery_id: uuid.UUID,
    *,
    interval: float = 2.0,
    timeout: float | None = None,
    show: Callable[[State], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> State:
    """Poll until searchable (or ``timeout`` seconds); the last state."""
    start = clock()
    first = snapshot(ctx, delivery_id)
    state = first
    while True:
        if show:
            show(state)
        if state.searchable or (timeout is not None and clock() - start >= timeout):
            return state
        sleep(interval)
        state = snapshot(ctx, delivery_id)
        finished = (state.processed + state.failed) - (first.processed + first.failed)
        elapsed = clock() - start
        state.rate = finished / elapsed if finished > 0 and elapsed > 0 else None
