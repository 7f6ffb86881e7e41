"""Where bytes become a document: the one path every upload, import and letter takes.

1. The caller has the bytes in a local (spooled) file; nothing large is held in memory.
2. They are hashed and sized in one pass and sniffed by content; empty or unsupported files
   are refused before anything is stored.
3. The blob is written to object storage (content-addressed, verified, never overwritten).
4. The ``Document``/``DocumentVersion`` rows and the processing job are added to the
   caller's transaction, so either all of them commit or none does. If storage is down the
   request fails with 503 and no row is left behind; a blob written before a failed commit
   is an orphan that ``akte fsck`` reports, never a row pointing at nothing.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import date
from typing import BinaryIO

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from akte.core.errors import PayloadTooLarge, Unprocessable, UnsupportedMediaType
from akte.core.storage import BlobStore
from akte.core.textsafe import has_controls, strip_controls
from akte.documents.mediatypes import ALIASES, EXTENSIONS, SNIFF_BYTES, is_accepted, sniff
from akte.documents.models import Document, DocumentSource, DocumentVersion
from akte.jobs import repository as jobs
from akte.jobs.models import PRIORITY_BULK, PRIORITY_INTERACTIVE

PROCESS_TASK = "ingest.process_document"
CHUNK = 1024 * 1024
#: Files up to this size are processed in the interactive lane: a letter, a photo of a
#: notice, a few scanned pages (seconds of work). Bigger files take minutes (a 200-page
#: scan) and go to the bulk lane, so they never hold up the small uploads behind them.
INTERACTIVE_MAX_BYTES = 8 * 1024 * 1024


def processing_priority(size: int, source: str) -> int:
    """The job lane for processing a version: delivery imports and big files are bulk."""
    if source == DocumentSource.scan_import.value or size > INTERACTIVE_MAX_BYTES:
        return PRIORITY_BULK
    return PRIORITY_INTERACTIVE


@dataclass(frozen=True)
class ScannedFile:
    sha256: str
    size: int
    mime_type: str


def scan_file(fileobj: BinaryIO, *, max_bytes: int) -> ScannedFile:
    """Hash, size and sniff a file in one streaming pass; refuse what akte cannot take."""
    fileobj.seek(0)
    head = fileobj.read(SNIFF_BYTES)
    digest = hashlib.sha256(head)
    size = len(head)
    while chunk := fileobj.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
        if size > max_bytes:
            raise PayloadTooLarge(f"file is larger than the limit of {max_bytes} bytes")
    fileobj.seek(0)
    if size == 0:
        raise Unprocessable("the file is empty (0 bytes)", code="empty_file")
    mime = sniff(head)
    if not is_accepted(mime):
        raise UnsupportedMediaType(
            f"not a supported file type: {mime} (accepted: PDF, TIFF, JPEG, PNG)"
        )
    return ScannedFile(digest.hexdigest(), size, mime)


def store(storage: BlobStore, fileobj: BinaryIO, scanned: ScannedFile) -> None:
    fileobj.seek(0)
    storage.put_file(fileobj, sha256=scanned.sha256, size=scanned.size)


def check_filename(filename: str | None) -> None:
    """Refuse a client's filename with control characters (422 naming the field)."""
    if filename and has_controls(filename):
        raise Unprocessable(
            "filename: must not contain control characters", code="validation_error"
        )


def _clean_filename(filename: str | None, mime: str) -> str:
    """The name to store: no path, no control characters, and an extension that says what
    the content is (``poly.html`` that sniffs as PDF is stored as ``poly.pdf``), so no
    program later trusts the name over the bytes."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    name = strip_controls("".join(ch for ch in name if ch.isprintable()))[:240].strip()
    extension = EXTENSIONS.get(mime)
    if extension is None:
        return name or "dokument"
    stem, dot, current = name.rpartition(".")
    if not dot or not stem:
        stem = name
    elif f".{current.lower()}" in ALIASES.get(mime, {extension}):
        return name
    return f"{stem or 'dokument'}{extension}"


def add_document(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    case_file_id: uuid.UUID,
    scanned: ScannedFile,
    filename: str | None,
    title: str | None,
    source: DocumentSource,
    doc_type: str | None = None,
    document_date: date | None = None,
    created_by_id: uuid.UUID | None = None,
    filed: bool = True,
    process: bool = True,
) -> Document:
    """Rows for a stored blob, plus its processing job, in the caller's transaction."""
    clean_name = _clean_filename(filename, scanned.mime_type)
    document = Document(
        tenant_id=tenant_id,
        case_file_id=case_file_id,
        title=(title or clean_name).strip()[:300] or clean_name,
        doc_type=doc_type,
        source=source.value,
        document_date=document_date,
        filed=filed,
        created_by_id=created_by_id,
        current_version=1,
    )
    session.add(document)
    session.flush()
    version = add_version(
        session,
        document,
        scanned=scanned,
        filename=clean_name,
        created_by_id=created_by_id,
        process=process,
    )
    assert version.version_no == 1
    return document


def add_version(
    session: Session,
    document: Document,
    *,
    scanned: ScannedFile,
    filename: str | None,
    created_by_id: uuid.UUID | None,
    process: bool = True,
) -> DocumentVersion:
    existing = (
        session.scalar(
            select(func.max(DocumentVersion.version_no)).where(
                DocumentVersion.document_id == document.id
            )
        )
        or 0
    )
    version = DocumentVersion(
        document_id=document.id,
        version_no=existing + 1,
        filename=_clean_filename(filename, scanned.mime_type),
        mime_type=scanned.mime_type,
        size=scanned.size,
        sha256=scanned.sha256,
        created_by_id=created_by_id,
    )
    session.add(version)
    document.current_version = version.version_no
    document.status = "received"
    document.status_reason = None
    session.flush()
    if process:
        jobs.enqueue(
            session,
            PROCESS_TASK,
            {"document_id": str(document.id), "version_no": version.version_no},
            priority=processing_priority(scanned.size, document.source),
        )
    return version
