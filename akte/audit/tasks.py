"""The periodic seal: entries are appended unchained by requests and chained here.

``audit.seal_periodic`` runs once per ``AKTE_AUDIT_SEAL_INTERVAL_SECONDS`` (60 s) through
the scheduler (:mod:`akte.jobs.scheduler`): the chain stays at most one period behind
without cron, and each run also anchors the new head outside the database
(:mod:`akte.audit.anchors`). Sealing is idempotent and serialised by a lock, so a retried
run is harmless.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from akte.audit import anchors
from akte.audit import service as audit_service
from akte.core.context import AppContext
from akte.core.database import session_scope
from akte.core.errors import ServiceUnavailable
from akte.core.settings import Settings
from akte.jobs.periodic import periodic

log = logging.getLogger("akte.audit")
PERIODIC = "audit.seal_periodic"


def _interval(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.audit_seal_interval_seconds)


@periodic(PERIODIC, every=_interval)
def seal_periodically(ctx: AppContext, payload: dict[str, Any]) -> None:
    """Seal and anchor; an unreachable object storage delays the anchor to the next run
    (the head stays unanchored until then) but never stops the schedule."""
    with session_scope(ctx.session_factory) as session:
        audit_service.seal(session)
    try:
        anchors.anchor_head(ctx)
    except ServiceUnavailable as exc:
        log.warning("audit anchor not written: %s", exc.detail)
