"""File types recognised by content, never by name or by what the client claims.

akte accepts what it can turn into searchable text: PDF, TIFF (including multi-page and
CCITT G4 fax), JPEG and PNG. Everything else is refused at the door with 415 and the type
that was found, so the sender knows what to change.
"""

from __future__ import annotations

ACCEPTED = {"application/pdf", "image/tiff", "image/jpeg", "image/png"}

_SIGNATURES: list[tuple[bytes, str]] = [
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"II+\x00", "image/tiff"),  # BigTIFF
    (b"MM\x00+", "image/tiff"),
    (b"PK\x03\x04", "application/zip"),
    (b"PK\x05\x06", "application/zip"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"BM", "image/bmp"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/x-ole-storage"),
    (b"\x1f\x8b", "application/gzip"),
    (b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"),
    (b"Rar!", "application/vnd.rar"),
    (b"\x7fELF", "application/x-executable"),
    (b"MZ", "application/x-msdownload"),
]

EXTENSIONS = {
    "application/pdf": ".pdf",
    "image/tiff": ".tif",
    "image/jpeg": ".jpg",
    "image/png": ".png",
}

#: Extensions a stored filename may keep for its detected type (else it gets EXTENSIONS').
ALIASES = {
    "application/pdf": {".pdf"},
    "image/tiff": {".tif", ".tiff"},
    "image/jpeg": {".jpg", ".jpeg"},
    "image/png": {".png"},
}

SNIFF_BYTES = 2048


def sniff(head: bytes) -> str:
    """The MIME type of a file from its first bytes (at least :data:`SNIFF_BYTES`)."""
    # Magic at offset 0 only. PDF readers would accept "%PDF-" anywhere in the first KiB,
    # but so would an HTML/PDF polyglot: what is stored as a PDF must start as one.
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    for signature, mime in _SIGNATURES:
        if head.startswith(signature):
            return mime
    if head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1"):
        return "image/heic"
    if head[:5].lower() in (b"<?xml", b"<html", b"<!doc"):
        return "text/html" if b"html" in head[:200].lower() else "application/xml"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return "application/octet-stream"
    return "text/plain"


def is_accepted(mime: str) -> bool:
    return mime in ACCEPTED
