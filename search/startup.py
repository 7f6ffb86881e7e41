"""Attaches the per-process index service to the application context.

Searchers stay open for the life of the process (opening a Whoosh index reads every
segment's metadata; reusing it is what makes a query cheap) and are closed by
``ctx.close()``.
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError

from akte.core.context import AppContext
from search.indexing import IndexService

log = logging.getLogger("akte.search")


def startup(ctx: AppContext) -> None:
    service = IndexService(ctx.settings.index_dir, ctx.settings.search_cache_size)
    ctx.extensions["search"] = service
    try:
        service.bootstrap(ctx)
    except SQLAlchemyError:  # schema not migrated yet: decided again on the next start
        log.info("search index not initialised: database not ready")
