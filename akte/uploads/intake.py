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
from typing import Any, BinaryIO

from sqlalchemy.orm import Session

from akte.audit import service as audit
from akte.casework import deadlines
from akte.core.errors import PayloadTooLarge, Unprocessable, UnsupportedMediaType
from akte.core.storage import BlobStore
from akte.documents import compose, intake
from akte.documents.models import DocumentSource
from akte.uploads.models import UploadCode, UploadReceipt

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
    item: dict[str, Any]


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


def parse_bundles(values: list[str], indices: set[int]) -> list[list[int]] | None:
    """The page's ``bundle`` fields ("2,0,1": these files are pages of one paper, in this
    order) as lists of request positions; ``None`` if any names a file not in the request
    or a file twice (the upload is then refused as a whole: nothing is guessed)."""
    bundles: list[list[int]] = []
    seen: set[int] = set()
    for value in values[:MAX_FILES]:
        try:
            bundle = [int(part) for part in value.split(",") if part.strip()]
        except ValueError:
            return None
        if not bundle or seen.intersection(bundle) or len(set(bundle)) != len(bundle):
            return None
        if not set(bundle) <= indices:
            return None
        seen.update(bundle)
        bundles.append(bundle)
    return bundles


def _stored_item(document_id: object, filename: str, scanned: intake.ScannedFile) -> dict[str, Any]:
    return {
        "document_id": str(document_id),
        "filename": filename,
        "size": scanned.size,
        "sha256": scanned.sha256,
        "mime_type": scanned.mime_type,
    }


def upload(
    session: Session,
    storage: BlobStore,
    code: UploadCode,
    files: list[IncomingFile],
    *,
    limit_bytes: int,
    ip: str | None,
    declined: list[Refusal] = (),  # type: ignore[assignment]
    bundles: list[list[int]] = (),  # type: ignore[assignment]
) -> UploadResult:
    """Store what the portal takes; ``declined`` are files the page refused before sending
    (type, size), listed on the receipt with the files refused here. Each of ``bundles``
    (request positions, in page order) becomes one PDF document of its accepted photos
    (:mod:`akte.documents.compose`), the photos kept as received; a PDF in a bundle, or a
    bundle left with one photo, is stored as a document of its own. ``stored`` then lists
    every file sent, each with the document it went into and its own SHA-256."""
    stored: list[Stored] = []
    refused: list[Refusal] = []
    items: list[dict[str, Any]] = []
    accepted: dict[int, tuple[IncomingFile, intake.ScannedFile]] = {}
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
        accepted[incoming.index] = (incoming, scanned)
    pages_of: dict[int, list[int]] = {}  # first photo's position -> the bundle's photos
    for bundle in bundles:
        photos = [
            i for i in bundle if i in accepted and accepted[i][1].mime_type in compose.IMAGE_TYPES
        ]
        if len(photos) >= 2:
            pages_of[photos[0]] = photos
    in_bundle = {i for photos in pages_of.values() for i in photos}
    for index, (incoming, scanned) in accepted.items():
        if index in pages_of:
            parts = [accepted[i] for i in pages_of[index]]
            stem = incoming.filename.rsplit(".", 1)[0].strip() or "Fotos"
            document, pdf = compose.add_composed_document(
                session,
                storage,
                tenant_id=code.tenant_id,
                case_file_id=code.case_file_id,
                parts=[compose.Part(f.filename, f.fileobj, sc) for f, sc in parts],
                title=f"{stem} ({len(parts)} Seiten)",
                source=DocumentSource.citizen_upload,
                filed=False,
            )
            item = _stored_item(document.id, f"{stem}.pdf", pdf)
            item["pages"] = [
                {
                    k: v
                    for k, v in _stored_item(document.id, f.filename, sc).items()
                    if k != "document_id"
                }
                for f, sc in parts
            ]
            items.append(item)
            stored += [
                Stored(f.index, _stored_item(document.id, f.filename, sc)) for f, sc in parts
            ]
            continue
        if index in in_bundle:
            continue  # a later page of a bundle: stored with its first
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
        item = _stored_item(document.id, document.title, scanned)
        items.append(item)
        stored.append(Stored(incoming.index, item))
    stored.sort(key=lambda s: s.index)
    if not stored:
        return UploadResult(None, [], refused)
    receipt = UploadReceipt(
        upload_code_id=code.id,
        tenant_id=code.tenant_id,
        case_file_id=code.case_file_id,
        items=items,
        refused=[{"filename": r.filename, "reason": r.reason} for r in [*declined, *refused]],
    )
    session.add(receipt)
    code.files_uploaded += len(stored)  # files sent, as the per-code limit counts them
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
            "photo_sha256": [p["sha256"] for i in items for p in i.get("pages", ())],
        },
    )
    deadlines.papers_received(
        session,
        case_file_id=code.case_file_id,
        upload_code_id=code.id,
        filenames=[i["filename"] for i in items],
        ip=ip,
    )
    return UploadResult(receipt, stored, refused)
