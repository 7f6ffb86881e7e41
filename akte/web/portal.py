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


@dataclass(frozen=True)
class Refusal:
    filename: str
    reason: str  # i18n key: bad_type, too_large, empty


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
) -> tuple[UploadReceipt | None, list[Refusal]]:
    items: list[dict] = []
    refused: list[Refusal] = []
    for incoming in files:
        try:
            scanned = intake.scan_file(incoming.fileobj, max_bytes=limit_bytes)
            if scanned.mime_type not in PORTAL_TYPES:
                raise UnsupportedMediaType(scanned.mime_type)
        except UnsupportedMediaType:
            refused.append(Refusal(incoming.filename, "bad_type"))
            continue
        except PayloadTooLarge:
            refused.append(Refusal(incoming.filename, "too_large"))
            continue
        except Unprocessable:
            refused.append(Refusal(incoming.filename, "empty"))
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
        items.append(
            {
                "document_id": str(document.id),
                "filename": document.title,
                "size": scanned.size,
                "sha256": scanned.sha256,
                "mime_type": scanned.mime_type,
            }
        )
    if not items:
        return None, refused
    receipt = UploadReceipt(
        upload_code_id=code.id,
        tenant_id=code.tenant_id,
        case_file_id=code.case_file_id,
        items=items,
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
    return receipt, refused
