"""Helpers for ``records`` tests: documents that are really processed, PDF inspection."""

from __future__ import annotations

import hashlib
import io
import subprocess
import uuid
from pathlib import Path

import pdfplumber
from PIL import Image
from pypdf import PdfReader

from akte.core.context import AppContext
from akte.core.database import session_scope
from akte.documents import intake
from akte.documents.models import Document, DocumentSource
from akte.jobs.worker import run_until_idle


def add_processed(
    ctx: AppContext, tenant_id: uuid.UUID, case_file_id: uuid.UUID, data: bytes, title: str
) -> uuid.UUID:
    """Store ``data`` as an upload would and run processing (text layer, archive PDF)."""
    scanned = intake.scan_file(io.BytesIO(data), max_bytes=ctx.settings.max_upload_bytes)
    ctx.storage.put_bytes(data)
    with session_scope(ctx.session_factory) as session:
        document = intake.add_document(
            session,
            tenant_id=tenant_id,
            case_file_id=case_file_id,
            scanned=scanned,
            filename=f"{title}.pdf",
            title=title,
            source=DocumentSource.staff_upload,
        )
        document_id = document.id
    run_until_idle(ctx)
    with session_scope(ctx.session_factory) as session:
        document = session.get(Document, document_id)
        assert document is not None and document.status == "ready", document.status_reason
    return document_id


def pdftotext(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def plumber_texts(path: Path) -> list[str]:
    with pdfplumber.open(path) as pdf:
        return [page.extract_text() or "" for page in pdf.pages]


def render(path: Path, page: int, tmp: Path, dpi: int = 72) -> Image.Image:
    """Page ``page`` (1-based) as pixels, by poppler (another engine than the one that
    redacted); at 72 dpi a pixel is a point."""
    prefix = tmp / f"render-{path.stem}-{page}"
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            str(dpi),
            "-f",
            str(page),
            "-l",
            str(page),
            "-png",
            "-singlefile",
            str(path),
            str(prefix),
        ],
        check=True,
    )
    return Image.open(f"{prefix}.png").convert("RGB")


def all_pdf_strings(path: Path) -> bytes:
    """Every decoded stream and string of every object, for a search the viewer cannot do."""
    reader = PdfReader(path)
    found: list[bytes] = []
    size = int(reader.trailer["/Size"])
    for number in range(1, size):
        try:
            obj = reader.get_object(number)
        except Exception:  # noqa: S112 - free object numbers
            continue
        if obj is None:
            continue
        if hasattr(obj, "get_data"):
            try:
                found.append(obj.get_data())
            except Exception:  # noqa: S112 - image filters pypdf cannot decode are pixels
                continue
        found.append(repr(obj).encode("utf-8", "replace"))
    for value in (reader.metadata or {}).values():
        found.append(str(value).encode())
    if reader.xmp_metadata is not None:
        found.append(b"xmp")
    return b"\n".join(found)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
