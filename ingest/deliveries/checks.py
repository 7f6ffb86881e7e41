"""Per-file checks: what a file is, how many pages it has, whether it is what was claimed.

Each failed check becomes a :class:`Rejection` with a stable ``code`` (listed in
``docs/DELIVERY_FORMAT.md``) and a sentence a contractor can act on. Pages are counted
cheaply, without rendering: pdfium for PDF, Pillow's frame count for TIFF.
"""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image, UnidentifiedImageError

from akte.core.database import utcnow
from akte.core.errors import PayloadTooLarge, Unprocessable, UnsupportedMediaType
from akte.documents.intake import ScannedFile, scan_file
from ingest.deliveries.models import DeliveryItem, Outcome
from ingest.pdf import describe_open_error
from ingest.pdfium_lock import PDFIUM_LOCK

#: Rejections a corrected re-upload of the same external id may replace.
FILE_CODES = frozenset(
    {
        "checksum_mismatch",
        "page_count_mismatch",
        "empty_file",
        "unsupported_type",
        "unreadable",
        "too_large",
        "zip_bomb",
        "box_split_mismatch",
    }
)


class Rejection(Exception):
    """A check refused a file; ``code`` is stable, ``message`` is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def reject(item: DeliveryItem, rejection: Rejection) -> None:
    """Mark a delivery item rejected with the check's code and sentence."""
    item.outcome = Outcome.rejected
    item.reason_code = rejection.code
    item.reason = rejection.message
    item.updated_at = utcnow()


def count_pages(path: Path, mime: str) -> int:
    try:
        if mime == "application/pdf":
            with PDFIUM_LOCK:
                pdf = pdfium.PdfDocument(str(path))
                try:
                    return len(pdf)
                finally:
                    pdf.close()
        if mime == "image/tiff":
            with Image.open(path) as image:
                return int(getattr(image, "n_frames", 1))
        return 1
    except pdfium.PdfiumError as exc:  # the same words as the upload's processing
        raise Rejection("unreadable", describe_open_error(exc)) from None
    except (UnidentifiedImageError, OSError, ValueError):
        raise Rejection(
            "unreadable", f"the file cannot be read as {mime}: it is damaged; ask for a new copy"
        ) from None


def inspect(path: Path, *, max_bytes: int) -> ScannedFile:
    """Hash, size and type of a file, or the :class:`Rejection` that refuses it."""
    if path.stat().st_size == 0:
        raise Rejection("empty_file", "the file is empty (0 bytes)")
    try:
        with path.open("rb") as fh:
            return scan_file(fh, max_bytes=max_bytes)
    except PayloadTooLarge as exc:
        raise Rejection("too_large", exc.detail) from None
    except UnsupportedMediaType as exc:
        raise Rejection("unsupported_type", exc.detail) from None
    except Unprocessable as exc:
        raise Rejection("empty_file", exc.detail) from None


def check_checksum(claimed: str | None, actual: str) -> None:
    if claimed and claimed != actual:
        raise Rejection(
            "checksum_mismatch",
            f"the manifest gives SHA-256 {claimed}, the file has {actual}",
        )


def check_pages(claimed: int | None, actual: int) -> None:
    if claimed is not None and claimed != actual:
        raise Rejection(
            "page_count_mismatch", f"the manifest gives {claimed} pages, the file has {actual}"
        )
