"""Anchors: the sealed chain head, kept where a database writer cannot rewrite it.

The hash chain alone shows an edited row, but not a chain whose last rows were deleted
(truncation) or one recomputed with :func:`akte.audit.service.entry_hash` from an edited
row onwards: both are internally consistent. After each seal the head ``(seq, hash, at)``
is therefore written as an *anchor*:

* with an HMAC under ``AKTE_AUDIT_ANCHOR_KEY`` (by default derived from the secret key),
  a key that is never in the database, so nobody with database access forges one;
* to object storage: on S3 a bucket with Object Lock, each anchor under COMPLIANCE
  retention (``AKTE_AUDIT_ANCHOR_RETENTION_DAYS``), so it can be neither deleted nor
  overwritten (a second write only adds a version, and every version is checked); in the
  blob folder of the embedded default, read-only files created exclusively;
* and as a row of ``audit_anchors``, a convenient copy that is only believed if its HMAC
  holds.

:func:`verify` reads every anchor, refuses any whose HMAC fails, and walks the chain:
at every anchored ``seq`` the chain's hash must be the anchored one (a recomputed chain is
not), and the chain must reach the highest anchored ``seq`` (a truncated chain does not).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
import json
import logging
import os
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from sqlalchemy import select, text

from akte.audit import service as audit
from akte.audit.models import AuditAnchor, AuditEntry
from akte.core.context import AppContext
from akte.core.database import session_scope, utcnow
from akte.core.errors import ServiceUnavailable

log = logging.getLogger("akte.audit")
PREFIX = "anchors/"


@dataclass(frozen=True)
class Anchor:
    seq: int
    hash: str
    at: dt.datetime
    mac: str

    @staticmethod
    def message(seq: int, hash_: str, at: dt.datetime) -> bytes:
        return json.dumps(
            {"seq": seq, "hash": hash_, "at": at.isoformat()}, sort_keys=True, separators=(",", ":")
        ).encode()

    @classmethod
    def sign(cls, key: bytes, seq: int, hash_: str, at: dt.datetime) -> Anchor:
        mac = hmac.new(key, cls.message(seq, hash_, at), hashlib.sha256).hexdigest()
        return cls(seq, hash_, at, mac)

    def is_authentic(self, key: bytes) -> bool:
        expected = hmac.new(key, self.message(self.seq, self.hash, self.at), hashlib.sha256)
        return hmac.compare_digest(expected.hexdigest(), self.mac)

    def to_bytes(self) -> bytes:
        return json.dumps(
            {"seq": self.seq, "hash": self.hash, "at": self.at.isoformat(), "mac": self.mac},
            sort_keys=True,
        ).encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> Anchor:
        data = json.loads(raw)
        return cls(
            int(data["seq"]),
            str(data["hash"]),
            dt.datetime.fromisoformat(data["at"]),
            str(data["mac"]),
        )


def _name(seq: int) -> str:
    return f"{PREFIX}{seq:016d}.json"


class AnchorSink(Protocol):
    """Where anchors are written outside the database."""

    #: ``True`` when the backend itself refuses to delete or overwrite an anchor.
    locked: bool

    def write(self, anchor: Anchor) -> str:
        """Store the anchor; returns where it went."""
        ...

    def read_all(self) -> Iterator[tuple[str, bytes]]:
        """Every stored anchor (every version of it), as ``(location, bytes)``."""
        ...


class FolderAnchors:
    """Anchors as read-only files under the blob folder (embedded default)."""

    locked = False

    def __init__(self, root: Path) -> None:
        self.root = root

    def write(self, anchor: Anchor) -> str:
        path = self.root / _name(anchor.seq)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
        except FileExistsError:
            return str(path)  # anchored before (another sealer); that anchor stays
        with os.fdopen(fd, "wb") as fh:
            fh.write(anchor.to_bytes())
            fh.flush()
            os.fsync(fh.fileno())
        return str(path)

    def read_all(self) -> Iterator[tuple[str, bytes]]:
        folder = self.root / PREFIX
        if folder.exists():
            for path in sorted(folder.glob("*.json")):
                yield str(path), path.read_bytes()


class S3Anchors:
    """Anchors in their own bucket, created with Object Lock where the server supports it."""

    def __init__(self, client, bucket: str, retention_days: int) -> None:
        from minio.error import S3Error

        self.client, self.bucket, self.retention_days = client, bucket, retention_days
        try:
            if not client.bucket_exists(bucket):
                try:
                    client.make_bucket(bucket, object_lock=True)
                except S3Error as exc:
                    if exc.code in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                        pass
                    else:  # no Object Lock on this server: anchors are still HMAC'd
                        log.warning("S3 bucket %s without Object Lock: %s", bucket, exc.code)
                        client.make_bucket(bucket)
            try:
                client.get_object_lock_config(bucket)
                self.locked = True
            except S3Error:
                self.locked = False
        except OSError as exc:
            raise ServiceUnavailable(f"object storage is not reachable: {exc}") from exc

    def write(self, anchor: Anchor) -> str:
        from minio.commonconfig import COMPLIANCE
        from minio.retention import Retention

        data = anchor.to_bytes()
        retention = None
        if self.locked:
            until = utcnow() + dt.timedelta(days=self.retention_days)
            retention = Retention(COMPLIANCE, until)
        try:
            self.client.put_object(
                self.bucket,
                _name(anchor.seq),
                io.BytesIO(data),
                len(data),
                content_type="application/json",
                retention=retention,
            )
        except OSError as exc:
            raise ServiceUnavailable(f"object storage is not reachable: {exc}") from exc
        return f"s3://{self.bucket}/{_name(anchor.seq)}"

    def read_all(self) -> Iterator[tuple[str, bytes]]:
        objects = self.client.list_objects(
            self.bucket, prefix=PREFIX, recursive=True, include_version=True
        )
        for obj in objects:
            if obj.is_delete_marker:
                continue
            response = self.client.get_object(
                self.bucket, obj.object_name, version_id=obj.version_id
            )
            try:
                yield (
                    f"s3://{self.bucket}/{obj.object_name}?versionId={obj.version_id}",
                    response.read(),
                )
            finally:
                response.close()
                response.release_conn()


def sink_for(ctx: AppContext) -> AnchorSink:
    settings = ctx.settings
    if settings.storage_backend == "s3":
        bucket = settings.audit_anchor_bucket or f"{settings.s3_bucket}-audit"
        return S3Anchors(ctx.storage.client, bucket, settings.audit_anchor_retention_days)
    return FolderAnchors(settings.blob_dir / "audit-anchors")


def _lock(session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(4242001)"))


def anchor_head(ctx: AppContext, sink: AnchorSink | None = None) -> Anchor | None:
    """Anchor the committed chain head unless it already is; ``None`` if nothing to do.

    Runs after the seal has committed, so an anchor never names a head that was rolled
    back. Storage first: if it fails, no row is written and the next seal tries again.
    """
    sink = sink or sink_for(ctx)
    key = ctx.settings.effective_audit_anchor_key
    with session_scope(ctx.session_factory) as session:
        _lock(session)
        head = session.scalar(
            select(AuditEntry)
            .where(AuditEntry.seq.is_not(None))
            .order_by(AuditEntry.seq.desc())
            .limit(1)
        )
        if head is None or head.hash is None or session.get(AuditAnchor, head.seq):
            return None
        anchor = Anchor.sign(key, head.seq, head.hash, utcnow())
        location = sink.write(anchor)
        session.add(
            AuditAnchor(
                seq=anchor.seq, hash=anchor.hash, at=anchor.at, mac=anchor.mac, location=location
            )
        )
    return anchor


def seal_and_anchor(ctx: AppContext) -> tuple[int, Anchor | None]:
    """Chain new entries (one transaction), then anchor the head; what ``akte audit seal``
    and the periodic job do."""
    with session_scope(ctx.session_factory) as session:
        sealed = audit.seal(session)
    return sealed, anchor_head(ctx)


@dataclass(frozen=True)
class AnchorSet:
    hashes: dict[int, set[str]]
    problem: str | None = None
    count: int = 0


def collect(ctx: AppContext, sink: AnchorSink | None = None) -> AnchorSet:
    """Every authentic anchor by ``seq``; the first inauthentic one is the problem."""
    sink = sink or sink_for(ctx)
    key = ctx.settings.effective_audit_anchor_key
    hashes: dict[int, set[str]] = defaultdict(set)
    count = 0

    def take(location: str, anchor: Anchor) -> str | None:
        nonlocal count
        if not anchor.is_authentic(key):
            return f"anchor {location} is not authentic (forged or altered)"
        hashes[anchor.seq].add(anchor.hash)
        count += 1
        return None

    for location, raw in sink.read_all():
        try:
            anchor = Anchor.from_bytes(raw)
        except (ValueError, KeyError, TypeError):
            return AnchorSet(hashes, f"anchor {location} is unreadable", count)
        if not location.split("?")[0].endswith(_name(anchor.seq)):
            return AnchorSet(hashes, f"anchor {location} names seq {anchor.seq}", count)
        if problem := take(location, anchor):
            return AnchorSet(hashes, problem, count)
    with session_scope(ctx.session_factory) as session:
        for row in session.scalars(select(AuditAnchor).order_by(AuditAnchor.seq)):
            anchor = Anchor(row.seq, row.hash, row.at, row.mac)
            if problem := take(f"row seq {row.seq} of audit_anchors", anchor):
                return AnchorSet(hashes, problem, count)
    return AnchorSet(dict(hashes), None, count)


def verify(ctx: AppContext) -> audit.VerifyResult:
    """The chain checked against itself and against every anchor."""
    anchors = collect(ctx)
    if anchors.problem:
        return audit.VerifyResult(False, 0, anchors.problem)
    with session_scope(ctx.session_factory) as session:
        return audit.verify(session, anchors=anchors.hashes)
