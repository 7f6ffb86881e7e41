"""``akte fsck``: does the database agree with object storage, the job queue and the index?

Checks, each reported with what to do about it:

* **orphaned blobs**: stored, but no row names them (a failed upload's leftovers, a
  deletion whose blob clean-up has not run). Repair deletes them, after re-checking that
  still no row names them and waiting ``grace_seconds``, because an upload in flight has
  written its blob but not yet committed its row.
* **missing blobs**: a document version names a blob storage does not have. An archive PDF
  or thumbnail is derived, so repair forgets it and re-queues processing; a missing
  *original* cannot be re-made: repair marks the document ``failed`` with what to do, and
  fsck keeps reporting it (exit 1) until the blob is restored from backup.
* **missing feature blobs**: a letter's PDF, a sealed batch's ZIP or a delivery's
  Transfervermerk that storage lacks. Nothing can re-make them: reported (restore them
  from backup), never repaired.
* **corrupt blobs**: bytes that no longer hash to their key (re-hashed; ``sample`` limits
  how many for large stores). Repair deletes a corrupt derived file and re-queues
  processing; a corrupt original is treated like a missing one.
* **document states** (:mod:`.document_states`): ``received``/``processing`` without a live
  processing job, ``ready`` without an archive PDF or page texts. Repair re-queues them.
  A document failed for a missing or damaged original whose blob is back (restored from
  backup) is re-queued too.
* **damaged page texts**: text rows that no longer match their digest
  (:mod:`akte.operations.pagecheck`, a registered check); repair re-processes from the
  original.
* **index drift**: delegated to the search package's own check (any engine) when it is
  installed; it runs after the repairs above, so documents fsck just failed leave the
  index in the same run.

Convergence: a repair changes something only if it is still needed (a document already
failed for its lost original is not failed again), so a second ``--repair`` run reports
nothing new and repairs nothing. What only a person can fix is listed in
:attr:`FsckReport.needs_person` with the action, and keeps the exit code at 1.

Further checks register with :func:`register_check`: a function
``(ctx, report, *, repair, progress)`` that appends :class:`Finding` rows to
``report.findings`` (and, when it repairs something, a line to ``report.repaired``).
"""

from __future__ import annotations

import hashlib
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from akte.core.context import AppContext
from akte.core.database import session_scope
from akte.core.errors import AkteError
from akte.core.storage import blob_key
from akte.documents import events
from akte.documents.intake import PROCESS_TASK
from akte.documents.models import Document, DocumentStatus, DocumentVersion
from akte.jobs import repository as jobs
from akte.operations import blobrefs, document_states

Progress = Callable[[str], None]

#: Every reason given to a document whose original is missing or damaged contains this, so
#: ``--repair`` can re-queue the document once the original is restored.
RESTORE_HINT = "aus der Sicherung wiederherstellen"


def original_lost_reason(sha256: str, *, missing: bool) -> str:
    """The status reason of a document whose original cannot be read (and what to do)."""
    state = "fehlt" if missing else "ist beschädigt"
    return f"Original {blob_key(sha256)} {state}: {RESTORE_HINT}, dann `akte fsck --repair`"


def restore_action(sha256: str) -> str:
    return f"restore blob {blob_key(sha256)} from backup, then `akte fsck --repair`"


@dataclass(frozen=True)
class Finding:
    """One problem: what is affected, what is wrong, and what a person must do (empty when
    ``--repair`` fixes it)."""

    check: str
    subject: str
    problem: str
    action: str = ""

    @property
    def needs_person(self) -> bool:
        return bool(self.action)


class Check(Protocol):
    def __call__(
        self, ctx: AppContext, report: FsckReport, *, repair: bool, progress: Progress
    ) -> None: ...


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
    #: ``(document id, status)``: received/processing without a live processing job
    stuck: list[tuple[str, str]] = field(default_factory=list)
    #: ready documents without an archive PDF or page texts
    incomplete: list[str] = field(default_factory=list)
    #: failed for a lost original that storage has again
    restored: list[str] = field(default_factory=list)
    #: findings of registered checks
    findings: list[Finding] = field(default_factory=list)
    #: versions whose page texts no longer match their digests (``pagecheck``)
    damaged_texts: list = field(default_factory=list)
    #: ``None``: the index was not checked (no search package); else its findings.
    index: dict[str, list[str]] | None = None
    repaired: list[str] = field(default_factory=list)

    @property
    def index_clean(self) -> bool:
        return self.index is None or not any(self.index.values())

    @property
    def clean(self) -> bool:
        return (
            not (
                self.orphaned
                or self.missing
                or self.missing_elsewhere
                or self.corrupt
                or self.stuck
                or self.incomplete
                or self.restored
                or self.findings
                or self.damaged_texts
            )
            and self.index_clean
        )

    @property
    def lost_originals(self) -> list[str]:
        """Originals that are missing or corrupt: only a backup brings them back."""
        missing = {d for d, column, _v in self.missing if column == "sha256"}
        return sorted(missing | (set(self.corrupt) & self._originals))

    _originals: set[str] = field(default_factory=set, repr=False)

    @property
    def needs_person(self) -> list[tuple[str, str]]:
        """``(problem, what to do)`` for everything ``--repair`` cannot fix."""
        todo = [
            (f"original {blob_key(d)} missing or damaged", restore_action(d))
            for d in self.lost_originals
        ]
        todo += [
            (f"{what} of {row}: blob {blob_key(d)} missing", restore_action(d))
            for d, what, row in self.missing_elsewhere
        ]
        todo += [
            (f"{f.check} {f.subject}: {f.problem}", f.action)
            for f in self.findings
            if f.needs_person
        ]
        if self.index and self.index.get("unreadable"):
            todo.append(("search index unreadable", "run `akte search reindex`"))
        return todo


_CHECKS: list[Check] = []


def register_check(check: Check) -> Check:
    """Add a check that runs after the built-in ones (before the index check)."""
    if check not in _CHECKS:
        _CHECKS.append(check)
    return check


@register_check
def _page_texts(ctx: AppContext, report: FsckReport, *, repair: bool, progress: Progress) -> None:
    from akte.operations import pagecheck

    report.damaged_texts = pagecheck.check(ctx, progress=progress)
    if repair:
        report.repaired.extend(pagecheck.repair(ctx, report.damaged_texts))


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
    _check_blobs(ctx, report, sample=sample, progress=progress)
    _check_states(ctx, report)
    if repair:
        _repair_blobs(ctx, report, grace_seconds=grace_seconds)
        _repair_states(ctx, report)
    for extra in list(_CHECKS):
        extra(ctx, report, repair=repair, progress=progress)
    if check_index:
        report.index = _check_index(ctx, report, repair=repair)
    for line in report.repaired:
        progress(line)
    return report


def _check_blobs(
    ctx: AppContext, report: FsckReport, *, sample: int | None, progress: Progress
) -> None:
    stored = set(ctx.storage.iter_blobs())
    report.blobs = len(stored)
    progress(f"{len(stored)} blobs in storage")
    with session_scope(ctx.session_factory) as session:
        referenced = blobrefs.all_referenced(session)
        required = list(blobrefs.required(session))
        elsewhere = list(blobrefs.required_by_features(session))
    report.rows = len(required)
    report._originals = {d for d, column, _v in required if column == "sha256"}
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


def _check_states(ctx: AppContext, report: FsckReport) -> None:
    lost = set(report.lost_originals)
    with session_scope(ctx.session_factory) as session:
        lost_docs = _documents_with_original(session, lost)
        report.stuck = [
            (str(d), s) for d, s in document_states.stuck(session) if d not in lost_docs
        ]
        report.incomplete = [
            str(d) for d in document_states.incomplete(session) if d not in lost_docs
        ]
        failed_for_original = session.execute(
            select(Document.id, DocumentVersion.sha256)
            .join(
                DocumentVersion,
                (DocumentVersion.document_id == Document.id)
                & (DocumentVersion.version_no == Document.current_version),
            )
            .where(
                Document.status == DocumentStatus.failed,
                Document.status_reason.contains(RESTORE_HINT),
            )
        ).all()
    # re-hashed whatever the sample: re-queueing a still damaged original would only fail
    # it again, and the next run would re-queue it again
    report.restored = sorted(
        str(doc_id)
        for doc_id, sha in failed_for_original
        if sha not in lost and ctx.storage.stat(sha) is not None and _rehash(ctx, sha)
    )


def _documents_with_original(session: Session, digests: set[str]) -> set[uuid.UUID]:
    """Documents whose current version's original is one of ``digests``."""
    found: set[uuid.UUID] = set()
    wanted = sorted(digests)
    for start in range(0, len(wanted), 500):
        found.update(
            session.scalars(
                select(Document.id)
                .join(
                    DocumentVersion,
                    (DocumentVersion.document_id == Document.id)
                    & (DocumentVersion.version_no == Document.current_version),
                )
                .where(DocumentVersion.sha256.in_(wanted[start : start + 500]))
            )
        )
    return found


def _check_index(
    ctx: AppContext, report: FsckReport, *, repair: bool
) -> dict[str, list[str]] | None:
    """The search package's own check, through its engine-neutral interface: with
    ``repair`` it indexes what is missing or stale and removes what is not ``ready``
    (failed, deleted) from whichever engine is configured."""
    try:
        from search import indexing
    except ImportError:
        return None
    try:
        result = indexing.get(ctx).check(ctx, repair=repair)
    except AkteError as exc:  # e.g. the index folder is gone: drift of everything
        return {"unreadable": [exc.detail]}
    if repair and not result.clean:
        report.repaired.append(
            f"search index: indexed {len(result.missing) + len(result.stale)}, "
            f"removed {len(result.orphaned)} (failed or deleted documents)"
        )
    return {
        "missing": [str(i) for i in result.missing],
        "stale": [str(i) for i in result.stale],
        "orphaned": [str(i) for i in result.orphaned],
    }


def _repair_blobs(ctx: AppContext, report: FsckReport, *, grace_seconds: float) -> None:
    if report.orphaned:
        time.sleep(grace_seconds)
        with session_scope(ctx.session_factory) as session:
            still = blobrefs.referenced(session, report.orphaned)
        for digest in report.orphaned:
            if digest not in still:
                ctx.storage.delete(digest)
                report.repaired.append(f"deleted orphaned blob {digest}")
    uses = _uses(ctx, set(report.corrupt))
    originals = {d for d, column, _v in uses if column == "sha256"} | report._originals
    derived = [u for u in uses if u[1] != "sha256" and u[0] not in originals]
    for digest in {d for d, _c, _v in derived}:
        ctx.storage.delete(digest)
    lost = [(d, "sha256", v) for d, column, v in [*report.missing, *uses] if column == "sha256"]
    for digest, column, version_id in [*report.missing, *derived]:
        if column != "sha256":
            _forget_derived(ctx, digest, column, uuid.UUID(version_id), report)
    for digest, _column, version_id in lost:
        _fail_for_lost_original(
            ctx, digest, uuid.UUID(version_id), report, missing=digest not in report.corrupt
        )


def _uses(ctx: AppContext, digests: set[str]) -> list[tuple[str, str, str]]:
    if not digests:
        return []
    with session_scope(ctx.session_factory) as session:
        return [r for r in blobrefs.required(session) if r[0] in digests]


def _forget_derived(
    ctx: AppContext, digest: str, column: str, version_id: uuid.UUID, report: FsckReport
) -> None:
    with session_scope(ctx.session_factory) as session:
        version = session.get(DocumentVersion, version_id)
        if version is None:
            return
        session.execute(
            update(DocumentVersion).where(DocumentVersion.id == version.id).values({column: None})
        )
        jobs.enqueue(
            session,
            PROCESS_TASK,
            {"document_id": str(version.document_id), "version_no": version.version_no},
        )
        report.repaired.append(f"re-queued processing of {version.document_id} ({column} {digest})")


def _fail_for_lost_original(
    ctx: AppContext, digest: str, version_id: uuid.UUID, report: FsckReport, *, missing: bool
) -> None:
    """Mark the document ``failed`` with what to do, unless it already says so."""
    with session_scope(ctx.session_factory) as session:
        version = session.get(DocumentVersion, version_id)
        document = version and session.get(Document, version.document_id)
        if document is None or document.current_version != version.version_no:
            return
        if document.status == DocumentStatus.failed and RESTORE_HINT in (
            document.status_reason or ""
        ):
            return  # done by an earlier run: nothing new
        document.status = DocumentStatus.failed
        document.status_reason = original_lost_reason(digest, missing=missing)
        session.flush()
        events.document_changed(session, document.id)  # leaves the search index
        report.repaired.append(f"marked document {document.id} failed (original {digest})")


def _repair_states(ctx: AppContext, report: FsckReport) -> None:
    todo = [(d, f"was {status} without a processing job") for d, status in report.stuck]
    todo += [(d, "was ready without archive PDF or page texts") for d in report.incomplete]
    todo += [(d, "original is back") for d in report.restored]
    for document_id, why in todo:
        with session_scope(ctx.session_factory) as session:
            if document_states.requeue(session, uuid.UUID(document_id)):
                report.repaired.append(f"re-queued processing of {document_id} ({why})")
