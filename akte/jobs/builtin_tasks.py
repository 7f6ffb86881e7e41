"""Tasks of the core itself."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from akte.audit import service as audit_service
from akte.core.context import AppContext
from akte.core.database import session_scope, utcnow
from akte.core.settings import Settings
from akte.jobs import repository
from akte.jobs.periodic import periodic
from akte.jobs.registry import task

log = logging.getLogger("akte.worker")
PRUNE = "jobs.prune"
#: Jobs one pruning statement deletes: short transactions that never hold the queue long.
PRUNE_BATCH = 1000


@task("audit.seal")
def seal_audit_log(ctx: AppContext, payload: dict[str, Any]) -> None:
    """Chain newly committed audit entries (idempotent: sealed entries are skipped)."""
    with session_scope(ctx.session_factory) as session:
        audit_service.seal(session)


def _prune_interval(settings: Settings) -> timedelta | None:
    return timedelta(seconds=settings.job_prune_interval_seconds) or None


@periodic(PRUNE, every=_prune_interval, start="next")
def prune_finished_jobs(ctx: AppContext, payload: dict[str, Any]) -> None:
    """Delete ``done`` jobs older than ``AKTE_JOB_KEEP_DONE_DAYS`` in batches, so the queue
    table does not grow for ever; ``dead`` jobs stay until someone handles them."""
    prune(ctx)


def prune(ctx: AppContext, *, batch: int = PRUNE_BATCH) -> int:
    """Run the pruning now; how many jobs were deleted (one transaction per batch)."""
    cutoff = utcnow() - timedelta(days=ctx.settings.job_keep_done_days)
    total = 0
    while True:
        with session_scope(ctx.session_factory) as session:
            deleted = repository.prune_done(session, finished_before=cutoff, batch=batch)
        total += deleted
        if deleted < batch:
            break
    if total:
        log.info(
            "pruned %d finished job(s) older than %g day(s)", total, ctx.settings.job_keep_done_days
        )
    return total
