"""Deleting a document for good: rows, index entry, blobs, and an audit record of it.

Two phases, because blob storage is not part of the database transaction:

1. :func:`delete_document_rows` (in the caller's transaction) removes the document with its
   versions and page texts, queues the index removal and records *what* was deleted (title,
   Dokumentart, hashes) and *why*. It returns the hashes the document used.
2. After commit, :func:`delete_unreferenced_blobs` (the ``retention.delete_blobs`` job
   queued in the same transaction, so it is retried while storage is down) removes each
   of those blobs that no row names any more (blobs are content-addressed and shared; see
   :mod:`akte.operations.blobrefs`).

Until phase 2 has run, the leftover blobs are orphans (``akte fsck`` lists them); nothing
is ever left pointing at a deleted blob.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from akte.audit import service as audit
from akte.auth.principal import Principal
from akte.core.database import session_scope
from akte.core.storage import BlobStore
from akte.documents import events
from akte.documents.models import Document, DocumentPage, DocumentVersion, VersionSource
from akte.jobs import repository as jobs
from akte.operations import blobrefs


def delete_document_rows(
    session: Session,
    principal: Principal | None,
    document: Document,
    *,
    reason: str,
    action: str = "document.delete",
) -> set[str]:
    versions = list(
        session.scalars(select(DocumentVersion).where(DocumentVersion.document_id == document.id))
    )
    digests = {d for v in versions for d in (v.sha256, v.archive_sha256, v.thumbnail_sha256) if d}
    version_ids = [v.id for v in versions]
    if version_ids:
        # the photos a composed version was made from go with it (akte/documents/compose.py)
        sources = select(VersionSource.sha256).where(VersionSource.version_id.in_(version_ids))
        digests.update(session.scalars(sources))
        session.execute(delete(VersionSource).where(VersionSource.version_id.in_(version_ids)))
        session.execute(delete(DocumentPage).where(DocumentPage.version_id.in_(version_ids)))
        session.execute(delete(DocumentVersion).where(DocumentVersion.id.in_(version_ids)))
    audit.record(
        session,
        principal,
        action,
        object_type="document",
        object_id=document.id,
        tenant_id=document.tenant_id,
        detail={
            "reason": reason,
            "case_file_id": str(document.case_file_id),
            "title": document.title,
            "doc_type": document.doc_type,
            "versions": len(versions),
            "sha256": sorted(digests),
        },
    )
    session.delete(document)
    session.flush()
    events.document_removed(session, document.id)
    if digests:
        jobs.enqueue(session, "retention.delete_blobs", {"sha256": sorted(digests)})
    return digests


def delete_unreferenced_blobs(
    factory: sessionmaker[Session], storage: BlobStore, digests: Iterable[str]
) -> list[str]:
    """Delete those blobs no row names; returns the deleted hashes."""
    digests = set(digests)
    with session_scope(factory) as session:
        still_used = blobrefs.referenced(session, digests)
    deleted = []
    for digest in sorted(digests - still_used):
        storage.delete(digest)
        deleted.append(digest)
    return deleted


def document_ids(session: Session, case_file_id: uuid.UUID) -> list[uuid.UUID]:
    return list(session.scalars(select(Document.id).where(Document.case_file_id == case_file_id)))
