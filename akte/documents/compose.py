"""Several photos of one paper become one document: a PDF with a page per photo, in the
order given, while every photo is kept as received.

A citizen photographs a three-page contract: three JPEGs. Filed as three documents, a
caseworker sees three fragments; filed as one, the archive must still hold what was sent.
So the photos are stored as blobs exactly as received (hashed by :func:`intake.scan_file`)
and named by :class:`~akte.documents.models.VersionSource` rows; the version itself is the
composed PDF, which goes through processing (OCR, archive PDF/A, thumbnail) like any PDF.

The PDF is made with img2pdf: a JPEG is embedded as it is (no re-encoding, no loss), a PNG
losslessly; each page is A4, portrait or landscape as the photo is, the photo fitted
inside, turned as its EXIF orientation says (phones store photos sideways and say so). A
PNG with transparency is flattened onto white first (PDF/A forbids transparency).
"""

from __future__ import annotations

import hashlib
import io
import tempfile
import uuid
from dataclasses import dataclass
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from akte.core.errors import Unprocessable
from akte.core.storage import BlobStore
from akte.documents import intake
from akte.documents.models import Document, DocumentSource, DocumentVersion, VersionSource

#: What can be a page of a composed document.
IMAGE_TYPES = {"image/jpeg", "image/png"}
A4_PT = (595.2756, 841.8898)


@dataclass(frozen=True)
class Part:
    """One received file: its name as sent, the bytes (a spooled file) and their scan."""

    filename: str
    fileobj: BinaryIO
    scanned: intake.ScannedFile


def _page_source(part: Part) -> bytes:
    """The bytes img2pdf embeds: the file itself, or a flattened copy of a PNG with alpha
    (img2pdf refuses transparency rather than dropping it silently)."""
    from PIL import Image

    part.fileobj.seek(0)
    data = part.fileobj.read()
    if part.scanned.mime_type != "image/png":
        return data
    with Image.open(io.BytesIO(data)) as image:
        if image.mode not in ("RGBA", "LA", "PA") and "transparency" not in image.info:
            return data
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        out = io.BytesIO()
        flat.save(out, format="PNG")
        return out.getvalue()


def images_to_pdf(parts: list[Part], *, title: str) -> bytes:
    """One A4 page per image, in the order of ``parts``; 422 ``not_an_image`` if a part
    is not a JPEG or PNG, ``unreadable_image`` if img2pdf cannot read it."""
    import img2pdf

    for part in parts:
        if part.scanned.mime_type not in IMAGE_TYPES:
            raise Unprocessable(
                f"{part.filename}: only photos (JPEG, PNG) can be pages of one document",
                code="not_an_image",
            )
    layout = img2pdf.get_layout_fun(A4_PT, fit=img2pdf.FitMode.into, auto_orient=True)
    try:
        return img2pdf.convert(
            [_page_source(p) for p in parts],
            layout_fun=layout,
            rotation=img2pdf.Rotation.ifvalid,
            title=title,
            creator="akte",
            producer="akte",
            nodate=True,
        )
    except Exception as exc:  # img2pdf raises plain exceptions for undecodable images
        raise Unprocessable(
            f"a photo could not be read as an image: {exc}", code="unreadable_image"
        ) from None


def add_composed_document(
    session: Session,
    storage: BlobStore,
    *,
    tenant_id: uuid.UUID,
    case_file_id: uuid.UUID,
    parts: list[Part],
    title: str,
    source: DocumentSource,
    filed: bool = True,
    created_by_id: uuid.UUID | None = None,
) -> tuple[Document, intake.ScannedFile]:
    """Store every part as received, the composed PDF as the document's first version and
    the parts as its sources, in the caller's transaction. Returns the document and the
    scan of the PDF."""
    pdf = images_to_pdf(parts, title=title)
    for part in parts:
        intake.store(storage, part.fileobj, part.scanned)
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as spool:
        spool.write(pdf)
        # each part was within the limit; the PDF holds them and a little structure
        scanned = intake.scan_file(spool, max_bytes=len(pdf) + 1)
        intake.store(storage, spool, scanned)
    stem = title.rsplit(".", 1)[0] or "dokument"
    document = intake.add_document(
        session,
        tenant_id=tenant_id,
        case_file_id=case_file_id,
        scanned=scanned,
        filename=f"{stem}.pdf",
        title=stem,
        source=source,
        filed=filed,
        created_by_id=created_by_id,
    )
    version_id = session.scalar(
        select(DocumentVersion.id).where(
            DocumentVersion.document_id == document.id, DocumentVersion.version_no == 1
        )
    )
    for position, part in enumerate(parts, start=1):
        session.add(
            VersionSource(
                version_id=version_id,
                position=position,
                filename=intake._clean_filename(part.filename, part.scanned.mime_type),
                mime_type=part.scanned.mime_type,
                size=part.scanned.size,
                sha256=part.scanned.sha256,
            )
        )
    session.flush()
    return document, scanned


def add_rendered_document(
    session: Session,
    storage: BlobStore,
    *,
    tenant_id: uuid.UUID,
    case_file_id: uuid.UUID,
    pdf: bytes,
    title: str,
    doc_type: str | None,
    source: DocumentSource,
    sources: list[tuple[str, str, bytes]],
    filed: bool = True,
) -> tuple[Document, intake.ScannedFile]:
    """A document whose version is a PDF rendered by akte (a citizen's form) and whose
    sources are what was really received (``(filename, mime type, bytes)``, e.g. the
    answers as JSON): kept byte for byte beside the rendering, in the caller's
    transaction."""
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as spool:
        spool.write(pdf)
        scanned = intake.scan_file(spool, max_bytes=len(pdf) + 1)
        intake.store(storage, spool, scanned)
    document = intake.add_document(
        session,
        tenant_id=tenant_id,
        case_file_id=case_file_id,
        scanned=scanned,
        filename=f"{title}.pdf",
        title=title,
        doc_type=doc_type,
        source=source,
        filed=filed,
    )
    version_id = session.scalar(
        select(DocumentVersion.id).where(
            DocumentVersion.document_id == document.id, DocumentVersion.version_no == 1
        )
    )
    for position, (filename, mime_type, data) in enumerate(sources, start=1):
        kept = intake.ScannedFile(hashlib.sha256(data).hexdigest(), len(data), mime_type)
        intake.store(storage, io.BytesIO(data), kept)
        session.add(
            VersionSource(
                version_id=version_id,
                position=position,
                filename=filename,
                mime_type=mime_type,
                size=kept.size,
                sha256=kept.sha256,
            )
        )
    session.flush()
    return document, scanned
