"""Scrub: re-hash stored blobs at a bounded read rate and record what is damaged.

Downloads verify what they send, but a blob nobody downloads can rot unnoticed until the
day it is needed, and then the backup that still had it may be gone. The scrub reads every
blob a row needs (least recently verified first, so repeated bounded runs cover the whole
store), at most ``rate`` MB/s so it never starves requests of I/O, and compares it with
its key (whole SHA-256) and size:

* intact: ``blob_digests.verified_at`` is set, a damage flag from earlier is cleared (the
  blob was restored), and a blob stored before digests existed gets its chunk digests;
* damaged (wrong bytes, truncated, longer): flagged in ``blob_digests`` with the reason;
  downloads refuse it anyway (they check the recorded chunk digests);
* missing: reported.

Each finding is printed with what a person must do (:func:`advice`): an original or a
feature's file (letter, batch, Transfervermerk) can only be restored from backup; an
archive PDF or thumbnail is re-made from the original by ``akte fsck --repair``.

Run by ``akte scrub`` and by the periodic job ``operations.scrub`` (see ``tasks.py``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import select, update

from akte.core.context import AppContext
from akte.core.database import session_scope, utcnow
from akte.core.storage import digests as blob_digests
from akte.core.storage.base import blob_key
from akte.core.storage.chunks import ChunkDigests, ChunkHasher
from akte.core.storage.digests import BlobDigest
from akte.core.storage.faults import s3_error_code
from akte.documents.models import DocumentVersion
from akte.operations import blobrefs

Progress = Callable[[str], None]
MB = 1_000_000
#: Intact blobs whose verification is committed together.
BATCH = 100


class Throttle:
    """Sleeps so that the bytes passed through :meth:`consume` never exceed ``rate`` per
    second on average since the start (a token bucket with no burst beyond one chunk)."""

    def __init__(self, bytes_per_second: float | None) -> None:
        self.rate = bytes_per_second
        self.started = time.monotonic()
        self.total = 0

    def consume(self, n: int) -> None:
        self.total += n
        if not self.rate:
            return
        ahead = self.total / self.rate - (time.monotonic() - self.started)
        if ahead > 0:
            time.sleep(ahead)


@dataclass
class Finding:
    sha256: str
    problem: str  # "damaged" | "missing"
    reason: str
    uses: list[str] = field(default_factory=list)

    def advice(self) -> str:
        return advice(self)


@dataclass
class ScrubReport:
    checked: int = 0
    bytes_read: int = 0
    seconds: float = 0.0
    recorded: int = 0  # blobs that got their chunk digests now
    restored: list[str] = field(default_factory=list)  # damaged before, intact now
    findings: list[Finding] = field(default_factory=list)

    @property
    def mb_per_second(self) -> float:
        return self.bytes_read / MB / self.seconds if self.seconds else 0.0

    @property
    def clean(self) -> bool:
        return not self.findings


def advice(finding: Finding) -> str:
    key = blob_key(finding.sha256)
    derived = finding.uses and all(u.startswith(("archive", "thumbnail")) for u in finding.uses)
    if derived:
        return (
            f"{key} ({', '.join(finding.uses)}) is {finding.problem}: run "
            "`akte fsck --repair` to re-make it from the original"
        )
    used = f" ({', '.join(finding.uses)})" if finding.uses else ""
    return (
        f"{key}{used} is {finding.problem} ({finding.reason}): restore it from backup, "
        f"then confirm with `akte scrub --blob {finding.sha256}`"
    )


def _candidates(ctx: AppContext, limit: int | None) -> list[str]:
    """Blobs that rows need, never verified first, then the longest ago verified."""
    with session_scope(ctx.session_factory) as session:
        needed = blobrefs.all_referenced(session)
        verified: dict[str, datetime | None] = dict(
            session.execute(select(BlobDigest.blob, BlobDigest.verified_at)).all()
        )
    floor = datetime.min.replace(tzinfo=None)

    def order(sha: str) -> tuple[int, datetime, str]:
        when = verified.get(sha)
        return (0, floor, sha) if when is None else (1, when.replace(tzinfo=None), sha)

    ordered = sorted(needed, key=order)
    return ordered if limit is None else ordered[:limit]


def _uses(ctx: AppContext, digests: Iterable[str]) -> dict[str, list[str]]:
    wanted = set(digests)
    found: dict[str, list[str]] = {d: [] for d in wanted}
    if not wanted:
        return found
    names = {"sha256": "original", "archive_sha256": "archive", "thumbnail_sha256": "thumbnail"}
    with session_scope(ctx.session_factory) as session:
        for column in blobrefs.REQUIRED_COLUMNS:
            rows = session.execute(
                select(column, DocumentVersion.document_id, DocumentVersion.version_no).where(
                    column.in_(sorted(wanted))
                )
            )
            for sha, document_id, version_no in rows:
                found[sha].append(f"{names[column.key]} of document {document_id} v{version_no}")
    for column in blobrefs.feature_required_columns():
        what = f"{column.class_.__tablename__}.{column.key}"
        with session_scope(ctx.session_factory) as session:
            for sha in session.scalars(select(column).where(column.in_(sorted(wanted)))):
                found[sha].append(what)
    return found


def _read(ctx: AppContext, sha256: str, throttle: Throttle) -> ChunkHasher | None:
    """Hash what storage holds under ``sha256``; ``None`` if it holds nothing."""
    hasher = ChunkHasher()
    try:
        for piece in ctx.storage.iter_range(sha256):
            throttle.consume(len(piece))
            hasher.update(piece)
    except FileNotFoundError:
        return None
    except Exception as exc:
        if s3_error_code(exc) in {"NoSuchKey", "NoSuchObject", "NotFound"}:
            return None
        raise
    return hasher


@dataclass(frozen=True)
class ChunkDigestsRead:
    """What one read of the blob stored as ``sha256`` found (``whole``: its real hash)."""

    sha256: str
    whole: str
    size: int
    digests: ChunkDigests


def _settle(ctx: AppContext, measured: list[ChunkDigestsRead], report: ScrubReport) -> None:
    """Record what a batch of reads found, in one transaction (a commit per blob would
    cost more than hashing a small blob)."""
    if not measured:
        return
    with session_scope(ctx.session_factory) as session:
        rows = {
            r.blob: r
            for r in session.scalars(
                select(BlobDigest).where(BlobDigest.blob.in_([m.sha256 for m in measured]))
            )
        }
        intact = []
        for m in measured:
            sha256, row = m.sha256, rows.get(m.sha256)
            if m.whole != sha256:
                expected = f"{row.size} bytes expected, " if row and row.chunk_size else ""
                reason = f"{expected}{m.size} bytes read that do not hash to the key"
                blob_digests.mark_damaged(session, sha256, reason)
                report.findings.append(Finding(sha256, "damaged", reason))
                continue
            if row is None or row.chunk_size == 0:
                blob_digests.record(session, m.digests, verified=True)
                report.recorded += 1
            elif row.chunks != m.digests.digests or row.size != m.digests.size:
                # the bytes are right (they hash to the key): the recorded digests are not
                row.chunks, row.size = m.digests.digests, m.digests.size
                row.chunk_size = m.digests.chunk_size
            if row is not None and row.damaged_at is not None:
                report.restored.append(sha256)
            intact.append(sha256)
        session.flush()
        if intact:
            session.execute(
                update(BlobDigest)
                .where(BlobDigest.blob.in_(intact))
                .values(verified_at=utcnow(), damaged_at=None, damage=None)
            )


def scrub(
    ctx: AppContext,
    *,
    rate_mb_s: float | None = None,
    limit: int | None = None,
    blobs: Iterable[str] | None = None,
    progress: Progress = lambda _m: None,
) -> ScrubReport:
    """Re-hash up to ``limit`` blobs at most ``rate_mb_s`` MB/s (``None``: unbounded);
    ``blobs`` names exactly which (e.g. to confirm a restore)."""
    report = ScrubReport()
    todo = list(blobs) if blobs is not None else _candidates(ctx, limit)
    progress(
        f"scrubbing {len(todo)} blob(s)" + (f" at most {rate_mb_s:g} MB/s" if rate_mb_s else "")
    )
    throttle = Throttle(rate_mb_s * MB if rate_mb_s else None)
    started = time.monotonic()
    batch: list[ChunkDigestsRead] = []
    settled = time.monotonic()
    for n, sha256 in enumerate(todo, 1):
        hasher = _read(ctx, sha256, throttle)
        report.checked += 1
        if hasher is None:
            report.findings.append(Finding(sha256, "missing", "not in storage"))
            continue
        report.bytes_read += hasher.size
        result = hasher.result()
        batch.append(
            ChunkDigestsRead(sha256, result.sha256, result.size, replace(result, sha256=sha256))
        )
        # damage is recorded at once; intact blobs in batches
        if result.sha256 != sha256 or len(batch) >= BATCH or time.monotonic() - settled > 2:
            _settle(ctx, batch, report)
            batch, settled = [], time.monotonic()
        if n % 200 == 0:
            progress(
                f"{n}/{len(todo)} blobs, {report.bytes_read / MB:.0f} MB, "
                f"{len(report.findings)} problem(s)"
            )
    _settle(ctx, batch, report)
    report.seconds = time.monotonic() - started
    uses = _uses(ctx, [f.sha256 for f in report.findings])
    for finding in report.findings:
        finding.uses = uses.get(finding.sha256, [])
    return report
