"""Start the periodic blob scrub when a process builds its context (first run after one
interval, so a start-up never begins with a full read of the store).

A database that is not migrated yet has no job table: then nothing is scheduled, and the
next start does it.
"""

from __future__ import annotations

from sqlalchemy.exc import SQLAlchemyError

from akte.core.context import AppContext
from akte.core.database import session_scope


def startup(ctx: AppContext) -> None:
    from akte.operations.tasks import ensure_scheduled

    interval = ctx.settings.scrub_interval_seconds
    if not interval:
        return
    try:
        with session_scope(ctx.session_factory) as session:
            ensure_scheduled(session, delay_seconds=interval)
    except SQLAlchemyError:
        return
