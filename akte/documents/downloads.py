"""The one way a document's bytes leave akte over HTTP, for the API and the web pages alike.

Access is checked and the download audited (``service.resolve_download``); the audit entry
is committed before the first byte is streamed, so no download goes unrecorded.

Every byte is verified: size, ``Content-Length`` and ``ETag`` come from the database
(the blob's recorded digests), and each chunk is checked against its recorded SHA-256
before it is sent (:mod:`akte.core.storage.verified`). A damaged original, archive PDF or
thumbnail is refused with 503 ``blob_damaged`` before the response starts, or, if the
damage lies further in, the transfer is aborted: never a complete wrong file. Either way
the blob is marked damaged in ``blob_digests`` for ``akte scrub`` and the operator.
"""

from __future__ import annotations

import logging
import uuid

from fastapi import Request, Response
from sqlalchemy.orm import Session, sessionmaker

from akte.auth.principal import Principal
from akte.core.database import session_scope
from akte.core.ranges import ranged_response
from akte.core.storage import BlobStore
from akte.core.storage import digests as blob_digests
from akte.core.storage.chunks import ChunkDigests
from akte.core.storage.verified import measure, open_verified
from akte.documents import service
from akte.documents.schemas import Rendition

log = logging.getLogger("akte.storage")


def download_response(
    request: Request,
    session: Session,
    storage: BlobStore,
    principal: Principal,
    document_id: uuid.UUID,
    *,
    version_no: int | None,
    rendition: Rendition,
    inline: bool,
    source: int | None = None,
    viewer: bool = False,
) -> Response:
    """``viewer``: the web viewer's route, whose Range requests belong to a viewing
    recorded when the viewer page opened (see ``service.resolve_download``)."""
    download = service.resolve_download(
        session,
        storage,
        principal,
        document_id,
        version_no=version_no,
        rendition=rendition,
        source=source,
        ranged=viewer and source is None and "range" in request.headers,
    )
    recorded = blob_digests.get(session, download.sha256)
    session.commit()
    sessions = request.app.state.ctx.session_factory
    digests = recorded or _digests_on_first_read(sessions, storage, download.sha256)

    def on_damage(reason: str) -> None:
        _mark_damaged(sessions, download.sha256, reason)

    return ranged_response(
        request,
        size=digests.size,
        etag=download.sha256,
        media_type=download.mime_type,
        filename=download.filename,
        open_range=lambda start, end: open_verified(
            storage, digests, start, end, on_damage=on_damage
        ),
        inline=inline,
    )


def _digests_on_first_read(
    sessions: sessionmaker[Session], storage: BlobStore, sha256: str
) -> ChunkDigests:
    """A blob stored before digests existed: read it whole once, trust it only if it hashes
    to its key, and record its digests for every later read."""
    measured = measure(storage, sha256)
    if measured.sha256 != sha256:
        reason = f"does not hash to its key (read {measured.size} bytes, {measured.sha256})"
        _mark_damaged(sessions, sha256, reason)
        raise blob_digests.damaged_error(sha256)
    with session_scope(sessions) as session:
        blob_digests.record(session, measured, verified=True)
    return measured


def _mark_damaged(sessions: sessionmaker[Session], sha256: str, reason: str) -> None:
    log.error("blob %s is damaged: %s; restore it from backup", sha256, reason)
    with session_scope(sessions) as session:
        blob_digests.mark_damaged(session, sha256, reason)
