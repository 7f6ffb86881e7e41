"""``akte fsck``: does the database agree with object storage and the search index?

Checks, each reported with what to do about it:

* **orphaned blobs**: stored, but no row names them (a failed upload's leftovers, a
  deletion whose blob clean-up has not run). Repair deletes them, after re-checking that
  still no row names them and waiting ``grace_seconds``, because an upload in flight has
  written its blob but not yet committed its row.
* **missing blobs**: a document version names a blob storage does not have. An archive PDF
  or thumbnail is derived, so repair forgets it and re-queues processing; a missing
  *original* cannot be re-made: repair marks the document ``failed`` with the reason.
* **missing feature blobs**: a letter's PDF, a sealed batch's ZIP or a delivery's
  Transfervermerk that storage lacks. Nothing can re-make them: reported (restore them
  from backup), never repaired.
* **corrupt blobs**: bytes that no longer hash to their key (re-hashed; ``sample`` limits
  how many for large stores). Repair deletes a corrupt derived file and re-queues
  processing; a corrupt original is reported (restore it from backup).
* **index drift**: delegated to the search package's own check when it is installed.
* **damaged page texts**: text rows that no longer match their digest
  (:mod:`akte.operations.pagecheck`); repair re-processes from the original.
"""

from __future__ import annotations

import hashlib
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import update

from akte.core.context import AppContext
from akte.core.database import session_scope
from akte.core.errors import AkteError
from akte.core.storage import blob_key
from akte.documents.intake import PROCESS_TASK
from akte.documents.models import Document, DocumentVersion
from akte.jobs import repository as jobs
from akte.operations import blobrefs, pagecheck

Progress = Callable[[str], None]

#: Every reason given to a document whose original is missing or damaged contains this, so
#: ``--repair`` can re-queue the document once the original is restored.
RESTORE_HINT = "aus der Sicherung wiederherstellen"


def original_lost_reason(sha256: str, *, missing: bool) -> str:
    """The status reason of a document whose original cannot be read (and what to do)."""
    state = "fehlt" if missing else "ist beschädigt"
    return (f"Original {blob_key(sha256)} {state}: {RESTORE_HINT}, "
            "dann `akte fsck --repair`")


@dataclass
class FsckReport:
    blobs: int = 0
    rows: int = 0
    hashed: int = 0
    orphaned: list[str] = field(default_factory=list)
    #: ``(sha256, column, document version id)``
    missing: list[tuple[str, str, str]] = field(default_factory=list)
    #: ``(sha256, "table.column", row id)`` of letters, batches, deliveries
    missing_elsewhere: list[tuple[str, str, str]] = field(default_factory=list)
    corrupt: list[str] = field(default_factory=list)
    #: ``None``: the index was not checked (no search package); else its findings.
    index: dict[str, list[str]] | None = None
    repaired: list[str] = field(default_factory=list)
    #: versions whose page texts no longer match their digests (``pagecheck``)
    damaged_texts: list = field(default_factory=list)

    @property
    def index_clean(self) -> bool:
        return self.index is None or not any(self.index.values())

    @property
    def clean(self) -> bool:
        return (not (self.orphaned or self.missing or self.missing_elsewhere or self.corrupt)
                and self.index_clean and not self.damaged_texts)


def _rehash(ctx: AppContext, sha256: str) -> bool:
    digest = hashlib.sha256()
    for chunk in ctx.storage.iter_range(sha256):
        digest.update(chunk)
    return digest.hexdigest() == sha256


def check(
    ctx: AppContext,
    *,
    repair: bool = False,
    sample: int | None = None,
    check_index: bool = True,
    grace_seconds: float = 5.0,
    progress: Progress = lambda _m: None,
) -> FsckReport:
    report = FsckReport()
    stored = set(ctx.storage.iter_blobs())
    report.blobs = len(stored)
    progress(f"{len(stored)} blobs in storage")
    with session_scope(ctx.session_factory) as session:
        referenced = blobrefs.all_referenced(session)
        required = list(blobrefs.required(session))
        elsewhere = list(blobrefs.required_by_features(session))
    report.rows = len(required)
    report.orphaned = sorted(stored - referenced)
    report.missing = sorted(r for r in required if r[0] not in stored)
    report.missing_elsewhere = sorted(r for r in elsewhere if r[0] not in stored)
    to_hash = sorted(stored & referenced)
    if sample is not None and sample < len(to_hash):
        to_hash = random.sample(to_hash, sample)
    for n, digest in enumerate(to_hash, 1):
        if not _rehash(ctx, digest):
            report.corrupt.append(digest)
        if n % 500 == 0:
            progress(f"re-hashed {n}/{len(to_hash)}")
    report.hashed = len(to_hash)
    if check_index:
        report.index = _check_index(ctx, repair=repair)
    report.damaged_texts = pagecheck.check(ctx, progress=progress)
    if repair:
        _repair(ctx, report, grace_seconds=grace_seconds, progress=progress)
        report.repaired.extend(pagecheck.repair(ctx, report.damaged_texts))
    return report


def _check_index(ctx: AppContext, *, repair: bool) -> dict[str, list[str]] | None:
    try:
        from search import indexing
    except ImportError:
        return None
    try:
        result = indexing.get(ctx).check(ctx, repair=repair)
    except AkteError as exc:  # e.g. the index folder is gone: drift of everything
        return {"unreadable": [exc.detail]}
    return {
        "missing": [str(i) for i in result.missing],
        "stale": [str(i) for i in result.stale],
        "orphaned": [str(i) for i in result.orphaned],
    }


def _repair(
    ctx: AppContext, report: FsckReport, *, grace_seconds: float, progress: Progress
) -> None:
    if report.orphaned:
        time.sleep(grace_seconds)
        with session_scope(ctx.session_factory) as session:
            still = blobrefs.referenced(session, report.orphaned)
        for digest in report.orphaned:
            if digest not in still:
                ctx.storage.delete(digest)
                report.repaired.append(f"deleted orphaned blob {digest}")
    uses = _uses(ctx, set(report.corrupt))
    broken = [u for u in uses if u[1] == "sha256"]
    derived = [u for u in uses if u[1] != "sha256"]
    for digest in {d for d, _c, _v in derived}:
        ctx.storage.delete(digest)
    for digest, column, version_id in [*report.missing, *derived, *broken]:
        _repair_version(ctx, digest, column, uuid.UUID(version_id), report)
    for line in report.repaired:
        progress(line)


def _uses(ctx: AppContext, digests: set[str]) -> list[tuple[str, str, str]]:
    if not digests:
        return []
    with session_scope(ctx.session_factory) as session:
        return [r for r in blobrefs.required(session) if r[0] in digests]


def _repair_version(
    ctx: AppContext, digest: str, column: str, version_id: uuid.UUID, report: FsckReport
) -> None:
    with session_scope(ctx.session_factory) as session:
        version = session.get(DocumentVersion, version_id)
        if version is None:
            return
        document = session.get(Document, version.document_id)
        if document is None:
            return
        if column == "sha256":
            document.status = "failed"
            document.status_reason = (
                f"Original {digest[:12]}… fehlt oder ist beschädigt: aus der Sicherung "
                "wiederherstellen, dann neu verarbeiten"
            )
            report.repaired.append(f"marked document {document.id} failed (original {digest})")
            return
        session.execute(
            update(DocumentVersion).where(DocumentVersion.id == version.id).values({column: None})
        )
        jobs.enqueue(
            session,
            PROCESS_TASK,
            {"document_id": str(document.id), "version_no": version.version_no},
        )
        report.repaired.append(f"re-queued processing of {document.id} ({column} {digest})")
