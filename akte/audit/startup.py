"""Start the periodic audit seal when a process builds its context.

A database that is not migrated yet (``akte db upgrade`` itself, a first start) has no job
table: then nothing is scheduled, and the next start does it.
"""

from __future__ import annotations

from sqlalchemy.exc import SQLAlchemyError

from akte.core.context import AppContext
from akte.core.database import session_scope


def startup(ctx: AppContext) -> None:
    from akte.audit.tasks import ensure_scheduled

    try:
        with session_scope(ctx.session_factory) as session:
            ensure_scheduled(session)
    except SQLAlchemyError:
        return
