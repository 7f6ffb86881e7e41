"""The one way a document's bytes leave akte over HTTP, for the API and the web pages alike.

Access is checked and the download audited (``service.resolve_download``); the audit entry
is committed before the first byte is streamed, so no download goes unrecorded.
"""

from __future__ import annotations

import uuid

from fastapi import Request, Response
from sqlalchemy.orm import Session

from akte.auth.principal import Principal
from akte.core.ranges import ranged_response
from akte.core.storage import BlobStore
from akte.documents import service
from akte.documents.schemas import Rendition


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
) -> Response:
    download = service.resolve_download(
        session, storage, principal, document_id, version_no=version_no, rendition=rendition
    )
    session.commit()
    return ranged_response(
        request,
        size=download.size,
        etag=download.sha256,
        media_type=download.mime_type,
        filename=download.filename,
        open_range=lambda start, end: storage.iter_range(download.sha256, start, end),
        inline=inline,
    )
