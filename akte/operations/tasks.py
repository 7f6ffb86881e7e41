"""The periodic scrub: a bounded slice of the blob store re-hashed every interval.

``operations.scrub`` re-hashes ``AKTE_SCRUB_BLOBS_PER_RUN`` blobs (least recently verified
first) at ``AKTE_SCRUB_RATE_MB_S`` and logs each finding with what to do. The scheduler
(:mod:`akte.jobs.scheduler`) queues it once per ``AKTE_SCRUB_INTERVAL_SECONDS``, the first
time at the period boundary after the schedule is created, so a first start never begins
with a read of the store (and, the schedule being a row, neither does a restart). An interval of 0 switches it off.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from akte.core.context import AppContext
from akte.core.settings import Settings
from akte.jobs.periodic import periodic

PERIODIC = "operations.scrub"
log = logging.getLogger("akte.scrub")


def _interval(settings: Settings) -> timedelta | None:
    return timedelta(seconds=settings.scrub_interval_seconds) or None


@periodic(PERIODIC, every=_interval, start="next")
def scrub_periodically(ctx: AppContext, payload: dict[str, Any]) -> None:
    from akte.operations.scrub import scrub

    settings = ctx.settings
    report = scrub(ctx, rate_mb_s=settings.scrub_rate_mb_s, limit=settings.scrub_blobs_per_run)
    log.info(
        "scrubbed %d blob(s), %.1f MB at %.1f MB/s, %d problem(s)",
        report.checked,
        report.bytes_read / 1e6,
        report.mb_per_second,
        len(report.findings),
    )
    for finding in report.findings:
        log.error("scrub: %s", finding.advice())
