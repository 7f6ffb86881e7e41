"""Blobs to and from temporary files for the PDF work (bounded memory, verified)."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

from akte.core.errors import ServiceUnavailable
from akte.core.storage import BlobStore


class BlobMismatch(ServiceUnavailable):
    """A stored file did not match its recorded SHA-256 while being read for an export."""

    code = "blob_damaged"


def fetch(storage: BlobStore, sha256: str, path: Path) -> Path:
    """Copy the blob ``sha256`` to ``path``, re-checking its hash (nothing damaged is
    ever redacted or exported as if it were the document)."""
    digest = hashlib.sha256()
    with path.open("wb") as out:
        for piece in storage.iter_range(sha256):
            digest.update(piece)
            out.write(piece)
    if digest.hexdigest() != sha256:
        raise BlobMismatch(
            f"the stored file {sha256} is damaged (its bytes no longer match their checksum); "
            "restore it from backup, then try again"
        )
    return path


def zip_blob(zf: zipfile.ZipFile, name: str, storage: BlobStore, sha256: str) -> None:
    """Stream a blob into a ZIP, checking its hash (a damaged file never goes out)."""
    digest = hashlib.sha256()
    with zf.open(name, "w", force_zip64=True) as out:
        for piece in storage.iter_range(sha256):
            digest.update(piece)
            out.write(piece)
    if digest.hexdigest() != sha256:
        raise BlobMismatch(f"the stored file {sha256} is damaged; restore it from backup")
