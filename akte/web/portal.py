"""What a citizen's upload does: every file through the one intake path, one receipt.

Files land in the code's Akte as ``citizen-upload`` documents with ``filed=False``, so they
wait in the Posteingang until a caseworker checks them. Files that are refused (type, size,
empty) are reported by name and do not stop the others. The receipt lists exactly what was
stored, with SHA-256, so the citizen can prove later what they handed in. Open
Wiedervorlagen set by a letter's deadline are marked "Unterlagen eingegangen"
(:mod:`akte.casework.deadlines`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

from sqlalchemy.orm import Session

from akte.audit import service as audit
from akte.casework import deadlines
from akte.core.errors import PayloadTooLarge, Unprocessable, UnsupportedMediaType
from akte.core.storage import BlobStore
from akte.documents import intake
from akte.documents.models import DocumentSource
from akte.web.models import UploadCode, UploadReceipt

#: Citizens send phone photos and scans; what the portal announces up front.
MAX_FILES = 20
#: All uploads with one code together: a code that leaked cannot fill the Posteingang.
MAX_FILES_PER_CODE = 100
MAX_FILE_MB = 25
PORTAL_TYPES = {"application/pdf", "image/jpeg", "image/png"}
ACCEPT = "application/pdf,image/jpeg,image/png,.pdf,.jpg,.jpeg,.png"


@dataclass(frozen=True)
class IncomingFile:
    filename: str
    fileobj: BinaryIO
    #: Position in the request, so the script can tell which of its files an answer is about
    #: (names repeat: three photos from one phone may all be called ``image.jpg``).
    index: int = 0


@dataclass(frozen=True)
class Refusal:
    filename: str
    reason: str  # i18n key: bad_type, too_large, empty
    index: int = 0


@dataclass(frozen=True)
class Stored:
    index: int
    item: dict


@dataclass(frozen=True)
class UploadResult:
    """What became of each file: the receipt (``None`` when nothing was stored), the stored
    files with their receipt entries, and the refused ones with their reason."""

    receipt: UploadReceipt | None
    stored: list[Stored]
    refused: list[Refusal]


REASONS = ("bad_type", "too_large", "empty")


def declined_files(names: list[str], reasons: list[str]) -> list[Refusal]:
    """The page's own refusals as reported with an upload: known reasons only, bounded."""
    return [
        Refusal(name[:300], reason)
        for name, reason in list(zip(names, reasons, strict=False))[:MAX_FILES]
        if reason in REASONS and name
    ]


def max_bytes(settings_max: int) -> int:
    return min(settings_max, MAX_FILE_MB * 1024 * 1024)


def upload(
    session: Session,
    storage: BlobStore,
    code: UploadCode,
    files: list[IncomingFile],
    *,
    limit_bytes: int,
    ip: str | None,
    declined: list[Refusal] = (),  # type: ignore[assignment]
) -> UploadResult:
    """Store what the portal takes; ``declined`` are files the page refused before sending
    (type, size), listed on the receipt with the files refused here."""
    stored: list[Stored] = []
    refused: list[Refusal] = []
    for incoming in files:
        try:
            scanned = intake.scan_file(incoming.fileobj, max_bytes=limit_bytes)
            if scanned.mime_type not in PORTAL_TYPES:
                raise UnsupportedMediaType(scanned.mime_type)
        except UnsupportedMediaType:
            refused.append(Refusal(incoming.filename, "bad_type", incoming.index))
            continue
        except PayloadTooLarge:
            refused.append(Refusal(incoming.filename, "too_large", incoming.index))
            continue
        except Unprocessable:
            refused.append(Refusal(incoming.filename, "empty", incoming.index))
            continue
        intake.store(storage, incoming.fileobj, scanned)
        document = intake.add_document(
            session,
            tenant_id=code.tenant_id,
            case_file_id=code.case_file_id,
            scanned=scanned,
            filename=incoming.filename,
            title=None,
            source=DocumentSource.citizen_upload,
            filed=False,
        )
        item = {
            "document_id": str(document.id),
            "filename": document.title,
            "size": scanned.size,
            "sha256": scanned.sha256,
            "mime_type": scanned.mime_type,
        }
        stored.append(Stored(incoming.index, item))
    if not stored:
        return UploadResult(None, [], refused)
    items = [s.item for s in stored]
    receipt = UploadReceipt(
        upload_code_id=code.id,
        tenant_id=code.tenant_id,
        case_file_id=code.case_file_id,
        items=items,
        refused=[{"filename": r.filename, "reason": r.reason} for r in [*declined, *refused]],
    )
    session.add(receipt)
    code.files_uploaded += len(items)
    session.flush()
    audit.record(
        session,
        None,
        "document.citizen_upload",
        tenant_id=code.tenant_id,
        object_type="case_file",
        object_id=code.case_file_id,
        ip=ip,
        detail={
            "upload_code_id": str(code.id),
            "receipt_id": str(receipt.id),
            "sha256": [i["sha256"] for i in items],
        },
    )
    deadlines.papers_received(session, case_file_id=code.case_file_id, upload_code_id=code.id,
                              filenames=[i["filename"] for i in items], ip=ip)
    return UploadResult(receipt, stored, refused)
