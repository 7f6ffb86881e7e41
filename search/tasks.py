"""Job handlers that keep the index in step (queued by :mod:`akte.documents.events`).

Each reloads the current state from the database, so running a job twice, late or out of
order still leaves the index equal to the database. A locked index (another process is
writing) raises ``TimeoutError``: an ordinary failure, retried with backoff.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import Any

from akte.core.context import AppContext
from akte.core.database import session_scope
from akte.core.settings import Settings
from akte.jobs.periodic import periodic
from akte.jobs.registry import PermanentJobError, batch_task, task
from search import indexing, loader

log = logging.getLogger("akte.worker")
VOCABULARY_PRUNE = "search.vocabulary_prune"


def _id(payload: dict[str, Any], key: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(payload[key]))
    except (KeyError, ValueError) as exc:
        raise PermanentJobError(f"payload needs a valid {key}: {payload!r}") from exc


#: Index jobs a worker takes together: one index write (a Whoosh commit, a PostgreSQL
#: transaction) for up to this many documents. A document becomes findable when its batch
#: is written, so the batch stays small enough to write in a second or two.
INDEX_BATCH = 100


@batch_task("search.index_document", size=INDEX_BATCH)
def index_documents(ctx: AppContext, payloads: list[dict[str, Any]]) -> None:
    """Bulk work (an import, an Akte's documents changed together) queues one job per
    document; taken together, they cost one commit instead of one each: a Whoosh commit
    writes a segment and merges small ones, whether it holds one document or a hundred."""
    ids = list(dict.fromkeys(_id(payload, "document_id") for payload in payloads))
    indexing.get(ctx).index_documents(ctx, ids)


@task("search.index_case_file")
def index_case_file(ctx: AppContext, payload: dict[str, Any]) -> None:
    indexing.get(ctx).index_case_file(ctx, _id(payload, "case_file_id"))


@task("search.move_case_file")
def move_case_file(ctx: AppContext, payload: dict[str, Any]) -> None:
    """The Akte changed tenant: its documents and notes leave every tenant's index (Whoosh
    keeps one per tenant) before they are indexed under the new one, in this order in one
    job so no parallel job can remove them from the receiver's index afterwards."""
    service = indexing.get(ctx)
    case_file_id = _id(payload, "case_file_id")
    with session_scope(ctx.session_factory) as session:
        ids = loader.document_ids_of_case_file(session, case_file_id)
    for start in range(0, len(ids), loader.BATCH):
        service.remove_documents(ids[start : start + loader.BATCH])
    service.index_case_file(ctx, case_file_id)


@batch_task("search.remove_document", size=INDEX_BATCH)
def remove_documents(ctx: AppContext, payloads: list[dict[str, Any]]) -> None:
    """Deletions (retention, a purged Akte) come in bulk too."""
    ids = list(dict.fromkeys(_id(payload, "document_id") for payload in payloads))
    indexing.get(ctx).remove_documents(ids)


@task("search.reindex")
def reindex(ctx: AppContext, payload: dict[str, Any]) -> None:
    """Queued at start when the index has an earlier akte version's format."""
    service = indexing.get(ctx)
    if not service.backend.healthy():
        service.reindex(ctx)


def _vocabulary_interval(settings: Settings) -> timedelta | None:
    if settings.search_backend != "postgres":
        return None
    return timedelta(seconds=settings.search_vocabulary_prune_interval_seconds) or None


@periodic(VOCABULARY_PRUNE, every=_vocabulary_interval, start="next")
def prune_vocabulary(ctx: AppContext, payload: dict[str, Any]) -> None:
    """Sweep the PostgreSQL engine's typo-tolerance words that no document of their tenant
    has any more (deleted, moved, re-recognised), so the vocabulary follows the index."""
    from search.pg import vocabulary

    engine = ctx.engine
    total = 0
    for tenant_id in vocabulary.vocabulary_tenants(engine):
        total += vocabulary.prune(engine, tenant_id)
    if total:
        log.info("pruned %d word(s) no document has any more from the search vocabulary", total)
