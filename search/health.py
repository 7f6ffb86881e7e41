"""Search readiness (``/readyz``): degraded while the index is rebuilt or unusable."""

from __future__ import annotations

from akte.core.context import AppContext
from search import indexing


def checks(ctx: AppContext) -> dict[str, str]:
    service = indexing.get(ctx)
    if not service.backend.healthy():
        return {"search": "index unusable (search answers 503): run akte search reindex"}
    if (service.root / "REBUILDING").exists() and ctx.settings.search_backend == "whoosh":
        return {"search": "index being rebuilt (answers come from the previous index)"}
    return {"search": "ok"}
