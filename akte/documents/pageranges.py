"""Selected pages of a document as one PDF, cut on the server (``?pages=3-7``).

A caseworker who needs pages 3 to 7 of a 200-page scan (to print them, or to send them on)
should not download the whole file over a home-office line. The pages are taken from the
searchable archive PDF where there is one, else from the original when it is a PDF; other
originals (images) have no pages to cut (404 ``no_pdf``).

The blob is copied to a temporary file while its SHA-256 is computed (content addressed:
the key *is* the digest), so a damaged blob is refused with 503 ``blob_damaged`` instead of
being cut; pypdf then reads the file lazily and writes only the chosen pages. Access is
reading (lent access suffices) and is audited as ``document.download_pages`` with the
range, committed by the caller before the answer is sent.
"""

from __future__ import annotations

import hashlib
import io
import re
import tempfile
import uuid
from dataclasses import dataclass

from pypdf import PdfReader, PdfWriter
from pypdf.errors import PyPdfError
from sqlalchemy.orm import Session

from akte.audit import service as audit
from akte.auth.principal import Principal
from akte.core.errors import NotFound, ServiceUnavailable, Unprocessable
from akte.core.storage import BlobStore
from akte.documents import repository, service

#: ``3``, ``3-7``; at most this many pages in one cut.
PAGES_PATTERN = r"^[1-9][0-9]{0,5}(-[1-9][0-9]{0,5})?$"
MAX_PAGES = 500
_RANGE = re.compile(PAGES_PATTERN)


class BlobDamaged(ServiceUnavailable):
    """The stored file does not match its digest; an administrator restores it from backup."""

    code = "blob_damaged"


@dataclass(frozen=True)
class Cut:
    content: bytes
    filename: str
    first: int
    last: int


def parse(pages: str) -> tuple[int, int]:
    if not _RANGE.match(pages):
        raise Unprocessable("pages: a page or a range such as 3-7", code="invalid_pages")
    first, _, last = pages.partition("-")
    start, end = int(first), int(last or first)
    if end < start:
        raise Unprocessable("pages: the range ends before it starts", code="invalid_pages")
    if end - start + 1 > MAX_PAGES:
        raise Unprocessable(f"pages: at most {MAX_PAGES} pages at once", code="invalid_pages")
    return start, end


def cut(
    session: Session,
    storage: BlobStore,
    principal: Principal,
    document_id: uuid.UUID,
    *,
    pages: str,
) -> Cut:
    start, end = parse(pages)
    document = service.get_visible(session, principal, document_id)
    version = repository.version(session, document.id, document.current_version)
    if version is None:
        raise NotFound("version not found")
    if version.archive_sha256:
        sha256 = version.archive_sha256
    elif version.mime_type == "application/pdf":
        sha256 = version.sha256
    else:
        raise NotFound("this document has no PDF to take pages from yet", code="no_pdf")
    with tempfile.TemporaryFile() as spool:
        _copy_verified(storage, sha256, spool)
        try:
            reader = PdfReader(spool)
            total = len(reader.pages)
            if end > total:
                raise Unprocessable(f"pages: the document has {total} pages", code="invalid_pages")
            writer = PdfWriter()
            for index in range(start - 1, end):
                writer.add_page(reader.pages[index])
            out = io.BytesIO()
            writer.write(out)
        except PyPdfError as exc:
            raise Unprocessable(f"the PDF cannot be cut: {exc}", code="unreadable_pdf") from None
    audit.record(
        session,
        principal,
        "document.download_pages",
        object_type="document",
        object_id=document.id,
        detail={"version_no": version.version_no, "pages": f"{start}-{end}"},
    )
    stem = version.filename.rsplit(".", 1)[0] or "dokument"
    suffix = f"S{start}" if start == end else f"S{start}-{end}"
    return Cut(out.getvalue(), f"{stem}.{suffix}.pdf", start, end)


def _copy_verified(storage: BlobStore, sha256: str, spool: object) -> None:
    if storage.stat(sha256) is None:
        raise ServiceUnavailable("the stored file is missing; an administrator must run akte fsck")
    digest = hashlib.sha256()
    for chunk in storage.iter_range(sha256):
        digest.update(chunk)
        spool.write(chunk)  # type: ignore[attr-defined]
    if digest.hexdigest() != sha256:
        raise BlobDamaged("the stored file is damaged; restore it from backup")
    spool.seek(0)  # type: ignore[attr-defined]
