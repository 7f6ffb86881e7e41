"""``akte restore SOURCE``: a backup into a fresh installation, then proven.

Order: the database (into an empty database only), then the blobs (each re-hashed against
its name while it is stored, so a damaged backup file is refused, not restored), then the
audit anchors; then jobs that were running at the snapshot are queued again (their workers are gone), then
the search index is rebuilt from the restored database (it is never
backed up: the database is its source of truth). Finally the restore checks itself the
way an auditor would: ``akte fsck`` (every blob the rows need present and matching, no
document waiting for nothing, the index agreeing with the database) and
``akte audit verify`` (the chain intact up to every anchor). The result says which
check failed; nothing is repaired silently.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from akte.audit import anchors as audit_anchors
from akte.core.context import AppContext
from akte.core.settings import Settings
from akte.core.storage import make_blob_store
from akte.core.storage.base import sha256_from_key
from akte.operations import dbdump
from akte.operations.backup import (
    ANCHORS,
    BLOBS,
    SECRET,
    Manifest,
    blob_path,
    key_fingerprint,
)
from akte.operations.dbdump import BackupFailed

Progress = Callable[[str], None]


@dataclass
class RestoreReport:
    manifest: Manifest
    blobs: int = 0
    anchors: int = 0
    #: jobs that were running when the snapshot was taken, queued again
    released_jobs: int = 0
    indexed: int | None = None
    fsck_clean: bool = False
    fsck_problems: list[str] = field(default_factory=list)
    audit_ok: bool = False
    audit_detail: str = ""

    @property
    def ok(self) -> bool:
        return self.fsck_clean and self.audit_ok


def restore(
    settings: Settings, source: Path, *, progress: Progress = lambda _m: None
) -> RestoreReport:
    manifest = Manifest.read(source)
    url = settings.effective_database_url
    dbdump.ensure_empty(url)
    _restore_secret(settings, source, manifest)
    if manifest.anchor_key_fingerprint != key_fingerprint(settings.effective_audit_anchor_key):
        raise BackupFailed(
            "AKTE_AUDIT_ANCHOR_KEY (or the secret key it derives from) differs from the "
            "backed-up installation's: set the same key, or the audit log cannot be verified"
        )
    progress(f"database ({manifest.database_file})")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    dbdump.restore(url, source, manifest.database_file)
    report = RestoreReport(manifest)
    report.blobs = _restore_blobs(settings, source, progress)
    ctx = AppContext.from_settings(settings)
    try:
        report.released_jobs = _release_running_jobs(ctx)
        report.anchors = _restore_anchors(ctx, source)
        report.indexed = _rebuild_index(ctx, progress)
        _verify(ctx, report, progress)
    finally:
        ctx.close()
    return report


def _restore_secret(settings: Settings, source: Path, manifest: Manifest) -> None:
    if not manifest.secret_key_included or settings.secret_key:
        return
    target = settings.data_dir / SECRET
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if target.exists() and target.read_bytes() != (source / SECRET).read_bytes():
        raise BackupFailed(f"{target} holds another key; move it away to restore this backup")
    shutil.copyfile(source / SECRET, target)
    target.chmod(0o600)


def _restore_blobs(settings: Settings, source: Path, progress: Progress) -> int:
    store = make_blob_store(settings)
    count = 0
    root = source / BLOBS
    for path in root.rglob("*"):
        digest = sha256_from_key(path.name)
        if digest is None or not path.is_file():
            continue
        if path != blob_path(source, digest):
            raise BackupFailed(f"{path} is not where a blob named {digest} belongs")
        info = store.stat(digest)
        if info is None or info.size != path.stat().st_size:
            with path.open("rb") as fh:
                try:  # put_file re-hashes and refuses bytes that do not match the name
                    store.put_file(fh, sha256=digest, size=path.stat().st_size)
                except ValueError as exc:
                    raise BackupFailed(f"the backup's copy of {digest} is damaged: {exc}") from exc
        count += 1
        if count % 500 == 0:
            progress(f"blobs {count}")
    progress(f"blobs {count}")
    return count


def _release_running_jobs(ctx: AppContext) -> int:
    """Jobs ``running`` in the snapshot belonged to workers of the old installation, which
    will never finish them: queue them again now instead of waiting out their leases
    (handlers are idempotent, so a job that did finish before the disaster may run twice)."""
    from sqlalchemy import update

    from akte.core.database import session_scope
    from akte.jobs.models import Job

    with session_scope(ctx.session_factory) as session:
        released = session.execute(
            update(Job)
            .where(Job.status == "running")
            .values(status="queued", locked_by=None, locked_until=None)
        )
        return released.rowcount or 0


def _restore_anchors(ctx: AppContext, source: Path) -> int:
    sink = audit_anchors.sink_for(ctx)
    count = 0
    for path in sorted((source / ANCHORS).glob("*.json")):
        sink.write(audit_anchors.Anchor.from_bytes(path.read_bytes()))
        count += 1
    return count


def _rebuild_index(ctx: AppContext, progress: Progress) -> int | None:
    try:
        from search import indexing
    except ImportError:
        return None
    progress("rebuilding the search index from the database")
    return indexing.get(ctx).reindex(ctx, lambda message, _n: progress(message))


def _verify(ctx: AppContext, report: RestoreReport, progress: Progress) -> None:
    from akte.operations.fsck import check

    progress("akte fsck")
    fsck = check(ctx, progress=progress)
    report.fsck_clean = fsck.clean
    report.fsck_problems = [
        *(f"missing blob {d} ({c} of version {v})" for d, c, v in fsck.missing),
        *(f"missing blob {d} ({c} of {r})" for d, c, r in fsck.missing_elsewhere),
        *(f"checksum mismatch {d}" for d in fsck.corrupt),
        *(f"{f.check}: {f.subject}: {f.problem}" for f in fsck.findings),
        *(f"search index {k}: {len(v)}" for k, v in (fsck.index or {}).items() if v),
    ]
    progress("akte audit verify")
    result = audit_anchors.verify(ctx)
    report.audit_ok = result.ok
    report.audit_detail = f"checked {result.checked}" + (
        f": {result.problem}" if result.problem else ""
    )
