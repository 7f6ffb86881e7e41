"""The periodic seal: entries are appended unchained by requests and chained here.

``audit.seal_periodic`` seals, then queues its own next run, so one queued instance keeps
the chain at most :data:`INTERVAL_SECONDS` behind without cron; each run also anchors the
new head outside the database (:mod:`akte.audit.anchors`). :func:`ensure_scheduled`
starts the cycle (at start-up and from ``akte audit verify``); duplicates are harmless
because sealing is idempotent and serialised by a lock.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from akte.audit import anchors
from akte.audit import service as audit_service
from akte.core.context import AppContext
from akte.core.database import session_scope
from akte.core.errors import ServiceUnavailable
from akte.jobs import repository as jobs
from akte.jobs.models import Job
from akte.jobs.registry import task

log = logging.getLogger("akte.audit")
PERIODIC = "audit.seal_periodic"
INTERVAL_SECONDS = 60


def ensure_scheduled(session: Session, delay_seconds: float = 0) -> bool:
    """Queue the periodic seal unless one is already waiting; ``True`` if queued now."""
    waiting = session.scalar(
        select(func.count()).where(Job.kind == PERIODIC, Job.status.in_(["queued", "running"]))
    )
    if waiting:
        return False
    jobs.enqueue(session, PERIODIC, {}, delay_seconds=delay_seconds)
    return True


@task(PERIODIC)
def seal_periodically(ctx: AppContext, payload: dict[str, Any]) -> None:
    """Seal and anchor; an unreachable object storage delays the anchor to the next run
    (the head stays unanchored until then) but never stops the cycle."""
    with session_scope(ctx.session_factory) as session:
        audit_service.seal(session)
    try:
        anchors.anchor_head(ctx)
    except ServiceUnavailable as exc:
        log.warning("audit anchor not written: %s", exc.detail)
    with session_scope(ctx.session_factory) as session:
        jobs.enqueue(session, PERIODIC, {}, delay_seconds=INTERVAL_SECONDS)
