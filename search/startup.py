"""Attaches the per-process index service of the configured engine to the context.

Whoosh: searchers stay open for the life of the process (opening a Whoosh index reads
every segment's metadata; reusing it is what makes a query cheap) and are closed by
``ctx.close()``. PostgreSQL: nothing local, only the engines.

A configuration that cannot be served without diverging (see :mod:`search.placement`)
stops the process here, before it answers a search or claims a job.
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError

from akte.core.context import AppContext
from search import placement
from search.indexing import make_service

log = logging.getLogger("akte.search")


def startup(ctx: AppContext) -> None:
    service = make_service(ctx)
    ctx.extensions["search"] = service
    try:
        placement.check(ctx)
        service.bootstrap(ctx)
    except SQLAlchemyError:  # schema not migrated yet: decided again on the next start
        log.info("search index not initialised: database not ready")
