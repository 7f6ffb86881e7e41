"""The job that builds an export: the PDF and package of an Akteneinsicht/Aktenübersendung,
or the xdomea Abgabe package.

Runs with no transaction open while it works (short ones to read the plan, report progress
and finish). Safe to run twice: a ready or failed export is left alone; a rerun after a
crash builds again (blobs are content-addressed). Storage outages propagate (the queue
retries them); anything a person must fix (a damaged blob, a page count that does not add
up, an invalid xdomea message) marks the export ``failed`` with the reason.
"""

from __future__ import annotations

import json
import logging
import re
import tempfile
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from akte.audit import service as audit
from akte.case_files.models import CaseFile
from akte.core.context import AppContext
from akte.core.database import session_scope, utcnow
from akte.core.errors import AkteError, ServiceUnavailable
from akte.documents import repository as documents
from akte.documents.models import Document, DocumentVersion
from akte.tenants.models import Tenant
from akte.users.models import User
from records import blobs, bundle, handover, repository, xdomea
from records.models import Export, ExportKind, ExportStatus

log = logging.getLogger("akte.records")
PROGRESS_EVERY = 10
HEADINGS = {ExportKind.court: "Aktenübersendung", ExportKind.inspection: "Akteneinsicht"}


@dataclass(frozen=True)
class Item:
    document: Document
    version: DocumentVersion
    #: What the PDF shows: the newest redacted copy, else the archive PDF.
    shown_sha256: str
    page_count: int
    redaction_id: uuid.UUID | None


def run(ctx: AppContext, export_id: uuid.UUID) -> None:
    with session_scope(ctx.session_factory) as session:
        export = session.get(Export, export_id)
        if export is None or export.status in (ExportStatus.ready, ExportStatus.failed):
            return
        export.status = ExportStatus.building
        export.progress_done = 0
    try:
        with tempfile.TemporaryDirectory(prefix="akte-export-") as tmp:
            if _kind(ctx, export_id) is ExportKind.xdomea_abgabe:
                result = _build_xdomea(ctx, export_id, Path(tmp))
            else:
                result = _build_bundle(ctx, export_id, Path(tmp))
    except blobs.BlobMismatch as exc:
        _fail(ctx, export_id, str(exc))
        return
    except ServiceUnavailable:
        raise  # an outage: the queue tries again
    except (AkteError, ValueError) as exc:
        _fail(ctx, export_id, str(exc))
        return
    with session_scope(ctx.session_factory) as session:
        export = session.get(Export, export_id)
        if export is None:
            return
        for name, value in result.items():
            setattr(export, name, value)
        export.status = ExportStatus.ready
        export.progress_done = export.progress_total
        export.finished_at = utcnow()
        if export.kind == ExportKind.xdomea_abgabe and export.zip_sha256 and export.zip_name:
            handover.queue_outbox(
                session,
                ctx.settings,
                tenant_id=export.tenant_id,
                name=export.zip_name,
                sha256=export.zip_sha256,
            )
        audit.record(
            session,
            None,
            "records.export.ready",
            tenant_id=export.tenant_id,
            object_type="case_file",
            object_id=export.case_file_id,
            detail={
                "export_id": str(export.id),
                "pages": export.page_count,
                "zip_sha256": export.zip_sha256,
                "pdf_sha256": export.pdf_sha256,
            },
        )


def _kind(ctx: AppContext, export_id: uuid.UUID) -> ExportKind:
    with session_scope(ctx.session_factory) as session:
        export = session.get(Export, export_id)
        assert export is not None
        return ExportKind(export.kind)


def _fail(ctx: AppContext, export_id: uuid.UUID, reason: str) -> None:
    log.warning("export %s failed: %s", export_id, reason)
    with session_scope(ctx.session_factory) as session:
        export = session.get(Export, export_id)
        if export is None:
            return
        export.status = ExportStatus.failed
        export.error = reason
        export.finished_at = utcnow()
        audit.record(
            session,
            None,
            "records.export.failed",
            tenant_id=export.tenant_id,
            object_type="case_file",
            object_id=export.case_file_id,
            outcome="error",
            detail={"export_id": str(export.id), "reason": reason[:500]},
        )


def _progress(ctx: AppContext, export_id: uuid.UUID) -> Callable[[int], None]:
    def report(done: int) -> None:
        if done % PROGRESS_EVERY:
            return
        with session_scope(ctx.session_factory) as session:
            export = session.get(Export, export_id)
            if export is not None:
                export.progress_done = done

    return report


def _plan(ctx: AppContext, export_id: uuid.UUID) -> tuple[Export, CaseFile, str, str, list[Item]]:
    """The export, its Akte, tenant name, creator name and documents (fixed at request
    time; one deleted since is left out). Rows are detached copies for the work."""
    with session_scope(ctx.session_factory) as session:
        export = session.get(Export, export_id)
        assert export is not None
        case_file = session.get(CaseFile, export.case_file_id)
        tenant = session.get(Tenant, export.tenant_id)
        creator = session.get(User, export.created_by_id) if export.created_by_id else None
        assert case_file is not None and tenant is not None
        ids = [uuid.UUID(i) for i in export.document_ids]
        rows = {d.id: d for d in session.scalars(select(Document).where(Document.id.in_(ids)))}
        items: list[Item] = []
        for document_id in ids:
            document = rows.get(document_id)
            if document is None:
                continue
            version = documents.version(session, document.id, document.current_version)
            if version is None or not version.archive_sha256:
                raise ValueError(f"document {document.title!r} has no archive PDF any more")
            redaction = repository.latest_redaction(session, version.id)
            items.append(
                Item(
                    document,
                    version,
                    redaction.redacted_sha256 if redaction else version.archive_sha256,
                    redaction.page_count if redaction else (version.page_count or 0),
                    redaction.id if redaction else None,
                )
            )
        session.expunge_all()
        name = creator.display_name if creator else "–"
        return export, case_file, tenant.name, name, items


def _safe(text: str, limit: int = 60) -> str:
    return re.sub(r"[^A-Za-z0-9ÄÖÜäöüß._-]+", "_", text).strip("_")[:limit] or "dokument"


def _build_bundle(ctx: AppContext, export_id: uuid.UUID, tmp: Path) -> dict[str, object]:
    export, case_file, tenant_name, creator, items = _plan(ctx, export_id)
    kind = ExportKind(export.kind)
    parts = [
        bundle.Part(
            i.document.title,
            i.document.doc_type,
            i.document.document_date,
            i.document.received_at,
            i.page_count,
            i.redaction_id is not None,
        )
        for i in items
    ]
    cover = bundle.Cover(
        HEADINGS[kind],
        case_file.aktenzeichen,
        case_file.betreff,
        export.recipient,
        export.reference,
        creator,
        export.created_at,
        tenant_name,
    )
    front = tmp / "front.pdf"
    front.write_bytes(bundle.front_matter(cover, parts))

    def fetcher(index: int, item: Item) -> Callable[[], Path]:
        return lambda: blobs.fetch(ctx.storage, item.shown_sha256, tmp / f"part-{index}.pdf")

    pdf_path = tmp / "export.pdf"
    pages = bundle.assemble(
        front,
        [fetcher(n, i) for n, i in enumerate(items)],
        pdf_path,
        on_part=_progress(ctx, export_id),
    )
    ranges = bundle.blatt_ranges(parts)
    expected = ranges[-1][1] if ranges else 1 + bundle.toc_pages(len(parts))
    if pages != expected:
        raise ValueError(
            f"the export has {pages} pages, its table of contents counts "
            f"{expected}: a document's page count is out of date (reprocess it)"
        )
    pdf = ctx.storage.put_path(pdf_path)
    stem = f"{_safe(case_file.aktenzeichen)}_{_safe(HEADINGS[kind])}"
    zip_path = tmp / "package.zip"
    documents: list[dict[str, object]] = []
    manifest: dict[str, object] = {
        "export_id": str(export.id),
        "kind": export.kind,
        "aktenzeichen": case_file.aktenzeichen,
        "recipient": export.recipient,
        "reference": export.reference,
        "created_at": export.created_at.isoformat(),
        "created_by": creator,
        "pdf": {"name": f"{stem}.pdf", "sha256": pdf.sha256, "pages": pages},
        "documents": documents,
    }
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_STORED) as zf:
        with zf.open(f"{stem}.pdf", "w", force_zip64=True) as out, pdf_path.open("rb") as src:
            while chunk := src.read(1024 * 1024):
                out.write(chunk)
        for position, (item, (first, last)) in enumerate(zip(items, ranges, strict=True), 1):
            redacted = item.redaction_id is not None
            if redacted:  # never the original of a redacted document
                name = f"dokumente/{position:04d}_{_safe(item.document.title)}_geschwaerzt.pdf"
                sha = item.shown_sha256
            else:
                suffix = Path(item.version.filename).suffix.lower() or ".bin"
                name = f"dokumente/{position:04d}_{_safe(item.document.title)}{suffix}"
                sha = item.version.sha256
            blobs.zip_blob(zf, name, ctx.storage, sha)
            documents.append(
                {
                    "position": position,
                    "document_id": str(item.document.id),
                    "title": item.document.title,
                    "doc_type": item.document.doc_type,
                    "blatt_from": first,
                    "blatt_to": last,
                    "file": name,
                    "sha256": sha,
                    "redacted": redacted,
                    "redaction_id": str(item.redaction_id) if redacted else None,
                }
            )
        zf.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
    package = ctx.storage.put_path(zip_path)
    return {
        "pdf_sha256": pdf.sha256,
        "pdf_size": pdf.size,
        "page_count": pages,
        "zip_sha256": package.sha256,
        "zip_size": package.size,
        "zip_name": f"{stem}.zip",
    }


def _build_xdomea(ctx: AppContext, export_id: uuid.UUID, tmp: Path) -> dict[str, object]:
    export, case_file, tenant_name, _creator, items = _plan(ctx, export_id)
    process_id = str(export.id)
    entries = [
        xdomea.DocumentEntry(
            id=str(i.document.id),
            title=i.document.title,
            doc_type=i.document.doc_type,
            received_at=i.document.received_at,
            document_date=i.document.document_date,
            version_no=i.version.version_no,
            version_id=str(i.version.id),
            filename=i.version.filename,
            mime_type=i.version.mime_type,
            stored_at=i.version.created_at,
        )
        for i in items
    ]
    message = xdomea.abgabe_0401(
        version=export.xdomea_version or xdomea.DEFAULT_VERSION,
        process_id=process_id,
        created_at=utcnow(),
        sender=tenant_name,
        recipient=export.recipient,
        akte=xdomea.AkteEntry(
            str(case_file.id), case_file.aktenzeichen, case_file.betreff, case_file.closed_at
        ),
        documents=entries,
    )
    stem = xdomea.message_name(process_id, "0401")
    zip_path = tmp / f"{stem}.zip"
    report = _progress(ctx, export_id)
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{stem}.xml", message)
        for done, (item, entry) in enumerate(zip(items, entries, strict=True), 1):
            blobs.zip_blob(zf, entry.primary_name, ctx.storage, item.version.sha256)
            report(done)
    package = ctx.storage.put_path(zip_path)
    return {"zip_sha256": package.sha256, "zip_size": package.size, "zip_name": f"{stem}.zip"}
