"""Job handlers that keep the index in step (queued by :mod:`akte.documents.events`).

Each reloads the current state from the database, so running a job twice, late or out of
order still leaves the index equal to the database. A locked index (another process is
writing) raises ``TimeoutError``: an ordinary failure, retried with backoff.
"""

from __future__ import annotations

import uuid
from typing import Any

from akte.core.context import AppContext
from akte.jobs.registry import PermanentJobError, task
from search import indexing


def _id(payload: dict[str, Any], key: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(payload[key]))
    except (KeyError, ValueError) as exc:
        raise PermanentJobError(f"payload needs a valid {key}: {payload!r}") from exc


@task("search.index_document")
def index_document(ctx: AppContext, payload: dict[str, Any]) -> None:
    indexing.get(ctx).index_documents(ctx, [_id(payload, "document_id")])


@task("search.index_case_file")
def index_case_file(ctx: AppContext, payload: dict[str, Any]) -> None:
    indexing.get(ctx).index_case_file(ctx, _id(payload, "case_file_id"))


@task("search.remove_document")
def remove_document(ctx: AppContext, payload: dict[str, Any]) -> None:
    indexing.get(ctx).remove_documents([_id(payload, "document_id")])


@task("search.reindex")
def reindex(ctx: AppContext, payload: dict[str, Any]) -> None:
    """Queued at start when the index has an earlier akte version's format."""
    service = indexing.get(ctx)
    if not service.backend.healthy():
        service.reindex(ctx)
