"""``akte backup DEST``: database, the blobs it names and the audit anchors, consistently.

Order, and why it is consistent while uploads and processing continue:

1. The database first, as one snapshot (:mod:`.dbdump`). Bytes are written to storage
   *before* the row naming them commits, and a blob is never overwritten, so every blob the
   snapshot names already exists when the snapshot is taken.
2. Then exactly the blobs that snapshot names (every ``*sha256`` column, read through the
   snapshot itself), streamed from storage and re-hashed on the way: a blob that does not
   match its name is never written into a backup. Blobs uploaded after the snapshot are not
   copied (their rows are not in the dump). The blob folder of the backup is
   content-addressed like the store, so a second backup into the same folder copies only
   new blobs.
3. Then the audit anchors up to the snapshot's sealed head: an anchor newer than the dumped
   chain would make the restored log look truncated.

A blob a row of the snapshot *needs* (``fsck``'s required blobs) that is gone by step 2
(deleted by a retention run that started after the snapshot) makes the backup fail: run it
again. A hash a row merely names without the bytes ever having arrived (a delivery
manifest's claim for a file still to come) is not copied and not an error. ``manifest.json`` is written last;
a folder without one is not a backup.

On the embedded default the data folder's generated ``secret_key`` is copied too: the
audit anchors' HMAC key derives from it. In production the keys come from the environment
and belong in the operator's secret store, not in the backup; the manifest keeps only a
fingerprint of the anchor key so a restore can tell a wrong key from a broken log.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlalchemy import func, select, text, union
from sqlalchemy.orm import Session

from akte import __version__
from akte.audit import anchors as audit_anchors
from akte.audit.models import AuditEntry
from akte.core.context import AppContext
from akte.core.storage.base import blob_key
from akte.operations import blobrefs, dbdump
from akte.operations.dbdump import BackupFailed

FORMAT = 1
MANIFEST = "manifest.json"
BLOBS = "blobs"
ANCHORS = "audit-anchors"
SECRET = "secret_key"  # noqa: S105 (a file name, not a secret)
Progress = Callable[[str], None]


@dataclass
class Manifest:
    format: int
    akte_version: str
    created_at: str
    database: str
    database_file: str
    migrations: list[str]
    blobs: int
    blob_bytes: int
    blobs_copied: int
    audit_head_seq: int | None
    anchors: int
    anchor_key_fingerprint: str
    secret_key_included: bool
    missing_blobs: list[str] = field(default_factory=list)

    def write(self, dest: Path) -> None:
        tmp = dest / (MANIFEST + ".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2, sort_keys=True))
        os.replace(tmp, dest / MANIFEST)

    @classmethod
    def read(cls, source: Path) -> Manifest:
        try:
            data = json.loads((source / MANIFEST).read_text())
        except FileNotFoundError:
            raise BackupFailed(f"{source} is no complete backup (no {MANIFEST})") from None
        if data.get("format") != FORMAT:
            raise BackupFailed(f"backup format {data.get('format')} is not {FORMAT}")
        return cls(**data)


def key_fingerprint(key: bytes) -> str:
    """Tells whether two installations share the anchor key without revealing it."""
    return hmac.new(key, b"akte-backup-key-fingerprint", hashlib.sha256).hexdigest()[:16]


def create(ctx: AppContext, dest: Path, *, progress: Progress = lambda _m: None) -> Manifest:
    dest.mkdir(parents=True, exist_ok=True)
    (dest / MANIFEST).unlink(missing_ok=True)
    url = ctx.settings.effective_database_url
    progress("database snapshot")
    copied, skipped, size, missing = 0, 0, 0, []
    with dbdump.snapshot(url, dest) as (session, dump_name):
        head = session.scalar(select(func.max(AuditEntry.seq)))
        migrations = _migrations(session)
        progress(f"database dumped ({dump_name}); copying the blobs it names")
        # streamed from the snapshot (the database de-duplicates): bounded memory however
        # many blobs there are; the snapshot stays open while they are copied
        for n, digest in enumerate(_referenced(session), 1):
            try:
                wrote, nbytes = _copy_blob(ctx, digest, dest)
            except FileNotFoundError:
                if _required(session, digest):  # else only named, never stored (a claim)
                    missing.append(digest)
                continue
            copied += wrote
            skipped += 1 - wrote
            size += nbytes
            if n % 500 == 0:
                progress(f"blobs {n} ({copied} new)")
    anchor_count = _copy_anchors(ctx, dest, head)
    secret = _copy_secret(ctx, dest)
    manifest = Manifest(
        format=FORMAT,
        akte_version=__version__,
        created_at=dt.datetime.now(dt.UTC).isoformat(),
        database="sqlite" if ctx.settings.is_sqlite else "postgresql",
        database_file=dump_name,
        migrations=migrations,
        blobs=copied + skipped,
        blob_bytes=size,
        blobs_copied=copied,
        audit_head_seq=head,
        anchors=anchor_count,
        anchor_key_fingerprint=key_fingerprint(ctx.settings.effective_audit_anchor_key),
        secret_key_included=secret,
        missing_blobs=missing,
    )
    if missing:
        raise BackupFailed(
            f"{len(missing)} blobs the database snapshot names were deleted while the backup "
            f"ran (a retention run?), e.g. {missing[0]}: run akte backup again"
        )
    manifest.write(dest)
    return manifest


def _referenced(session: Session) -> Iterator[str]:
    columns = blobrefs.reference_columns()
    if not columns:
        return iter(())
    stmt = union(*[select(c.label("h")).where(c.is_not(None)) for c in columns])
    return session.execute(stmt.execution_options(yield_per=1000)).scalars()


def _required(session: Session, digest: str) -> bool:
    """Whether a row needs these bytes (what fsck reports missing), not merely names them."""
    columns = [*blobrefs.REQUIRED_COLUMNS, *blobrefs.feature_required_columns()]
    return any(
        session.scalar(select(column).where(column == digest).limit(1)) for column in columns
    )


def _migrations(session: Session) -> list[str]:
    return sorted(session.scalars(text("SELECT version_num FROM alembic_version")))


def blob_path(root: Path, digest: str) -> Path:
    return root / BLOBS / blob_key(digest)


def _copy_blob(ctx: AppContext, digest: str, dest: Path) -> tuple[int, int]:
    """Copy one blob, re-hashed on the way; ``(1 if written, size)``. Raises
    ``FileNotFoundError`` when storage no longer has it."""
    target = blob_path(dest, digest)
    info = ctx.storage.stat(digest)
    if info is None:
        raise FileNotFoundError(digest)
    if target.exists() and target.stat().st_size == info.size:
        return 0, info.size  # content-addressed: an earlier backup copied these bytes
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".part")
    sha = hashlib.sha256()
    with tmp.open("wb") as out:
        for chunk in ctx.storage.iter_range(digest):
            sha.update(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    if sha.hexdigest() != digest:
        tmp.unlink()
        raise BackupFailed(
            f"blob {digest} in storage does not match its hash: run akte scrub --blob "
            f"{digest} and restore it from an older backup before backing up"
        )
    os.replace(tmp, target)
    return 1, info.size


def _copy_anchors(ctx: AppContext, dest: Path, head: int | None) -> int:
    folder = dest / ANCHORS
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    count = 0
    seen: set[bytes] = set()
    for _location, raw in audit_anchors.sink_for(ctx).read_all():
        anchor = audit_anchors.Anchor.from_bytes(raw)
        if head is None or anchor.seq > head or raw in seen:
            continue  # newer than the dumped chain
        seen.add(raw)
        count += 1
        (folder / f"{anchor.seq:016d}-{count}.json").write_bytes(raw)
    return count


def _copy_secret(ctx: AppContext, dest: Path) -> bool:
    """The generated key of the embedded default (not one from the environment)."""
    source = ctx.settings.data_dir / SECRET
    if ctx.settings.secret_key or not source.exists():
        return False
    target = dest / SECRET
    shutil.copyfile(source, target)
    target.chmod(0o600)
    return True
