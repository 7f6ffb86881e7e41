"""``retention.delete_blobs``: remove a deleted document's blobs once nothing names them.

Queued in the same transaction that deletes the rows, so the blobs go exactly when the
deletion committed, and are retried while object storage is unreachable. Idempotent:
deleting an absent blob is a no-op, and a blob some row still names is kept.

A blob re-uploaded between the reference check and the delete (same bytes arriving again
at that instant) would be lost; ``akte fsck`` reports such a row as missing its blob.
"""

from __future__ import annotations

from typing import Any

from akte.core.context import AppContext
from akte.jobs.registry import task
from akte.retention.deletion import delete_unreferenced_blobs

DELETE_BLOBS = "retention.delete_blobs"


@task(DELETE_BLOBS)
def delete_blobs(ctx: AppContext, payload: dict[str, Any]) -> None:
    delete_unreferenced_blobs(ctx.session_factory, ctx.storage, payload.get("sha256", []))
