"""Serving a redacted copy or an export's files: checked, audited, verified, ranged.

The audit entry is committed before the first byte leaves, as for document downloads
(:mod:`akte.documents.downloads`, whose digest handling this reuses): size, ETag and every
chunk come from the blob's recorded digests.
"""

from __future__ import annotations

from fastapi import Request, Response
from sqlalchemy.orm import Session

from akte.core.ranges import ranged_response
from akte.core.storage import BlobStore
from akte.core.storage import digests as blob_digests
from akte.core.storage.verified import open_verified
from akte.documents.downloads import _digests_on_first_read, _mark_damaged


def blob_response(
    request: Request,
    session: Session,
    storage: BlobStore,
    *,
    sha256: str,
    filename: str,
    media_type: str,
    inline: bool = False,
) -> Response:
    """Commit the caller's transaction (with its audit entry), then stream the blob."""
    recorded = blob_digests.get(session, sha256)
    session.commit()
    sessions = request.app.state.ctx.session_factory
    digests = recorded or _digests_on_first_read(sessions, storage, sha256)

    def on_damage(reason: str) -> None:
        _mark_damaged(sessions, sha256, reason)

    return ranged_response(
        request,
        size=digests.size,
        etag=sha256,
        media_type=media_type,
        filename=filename,
        open_range=lambda start, end: open_verified(
            storage, digests, start, end, on_damage=on_damage
        ),
        inline=inline,
    )
