"""The periodic scrub: a bounded slice of the blob store re-hashed every interval.

``operations.scrub`` re-hashes ``AKTE_SCRUB_BLOBS_PER_RUN`` blobs (least recently verified
first) at ``AKTE_SCRUB_RATE_MB_S``, logs each finding with what to do, then queues its own
next run after ``AKTE_SCRUB_INTERVAL_SECONDS``; one queued instance is kept by
:func:`ensure_scheduled` (at start-up). An interval of 0 switches it off.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from akte.core.context import AppContext
from akte.core.database import session_scope
from akte.jobs import repository as jobs
from akte.jobs.models import Job
from akte.jobs.registry import task

PERIODIC = "operations.scrub"
log = logging.getLogger("akte.scrub")


def ensure_scheduled(session: Session, delay_seconds: float) -> bool:
    """Queue the periodic scrub unless one is already waiting; ``True`` if queued now."""
    waiting = session.scalar(
        select(func.count()).where(Job.kind == PERIODIC, Job.status.in_(["queued", "running"]))
    )
    if waiting:
        return False
    jobs.enqueue(session, PERIODIC, {}, delay_seconds=delay_seconds)
    return True


@task(PERIODIC)
def scrub_periodically(ctx: AppContext, payload: dict[str, Any]) -> None:
    from akte.operations.scrub import scrub

    settings = ctx.settings
    report = scrub(ctx, rate_mb_s=settings.scrub_rate_mb_s, limit=settings.scrub_blobs_per_run)
    log.info("scrubbed %d blob(s), %.1f MB at %.1f MB/s, %d problem(s)", report.checked,
             report.bytes_read / 1e6, report.mb_per_second, len(report.findings))
    for finding in report.findings:
        log.error("scrub: %s", finding.advice())
    if settings.scrub_interval_seconds:
        with session_scope(ctx.session_factory) as session:
            jobs.enqueue(session, PERIODIC, {}, delay_seconds=settings.scrub_interval_seconds)
