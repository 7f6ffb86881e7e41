"""JSON API for upload codes: issue (the code is in the answer once), list, revoke.

The Akte page (:mod:`akte.web.routes_staff`) calls the same service."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, status

from akte.auth.dependencies import CurrentUser
from akte.core.dependencies import DbSession, get_context
from akte.core.errors import Forbidden, NotAuthenticated, NotFound, responses
from akte.uploads import service as codes
from akte.uploads.schemas import UploadCodeCreate, UploadCodeIssued, UploadCodeRead

router = APIRouter(prefix="/api/v1", tags=["Upload-Codes"])
COMMON = responses(NotAuthenticated, Forbidden, NotFound)


@router.post(
    "/case-files/{case_file_id}/upload-codes",
    status_code=status.HTTP_201_CREATED,
    responses=COMMON,
)
def issue_upload_code(
    case_file_id: uuid.UUID,
    request: Request,
    session: DbSession,
    user: CurrentUser,
    body: UploadCodeCreate | None = None,
) -> UploadCodeIssued:
    """A new upload code for a citizen of this Akte, to print on a letter."""
    issued = codes.issue(
        session, user, case_file_id, valid_days=(body or UploadCodeCreate()).valid_days
    )
    read = UploadCodeRead.model_validate(issued.code)
    url = codes.upload_link(get_context(request).settings, issued.plaintext)
    return UploadCodeIssued(**read.model_dump(), code=issued.plaintext, upload_url=url)


@router.get("/case-files/{case_file_id}/upload-codes", responses=COMMON)
def list_upload_codes(
    case_file_id: uuid.UUID, session: DbSession, user: CurrentUser
) -> list[UploadCodeRead]:
    """The Akte's codes, newest first (without the codes themselves)."""
    return [
        UploadCodeRead.model_validate(c)
        for c in codes.list_for_case_file(session, user, case_file_id)
    ]


@router.post("/upload-codes/{code_id}/revoke", responses=COMMON)
def revoke_upload_code(code_id: uuid.UUID, session: DbSession, user: CurrentUser) -> UploadCodeRead:
    """Revoke a code at once; a citizen session on it ends with the next request."""
    return UploadCodeRead.model_validate(codes.revoke(session, user, code_id))
