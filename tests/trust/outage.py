"""Storage faults that come and go, for the outage and fsck tests on both pairs.

``production``: the S3 server is reached through :class:`~tests.infra.fault_proxy.FaultyS3Proxy`,
which answers 500 while the fault lasts (a SeaweedFS shutting down). ``embedded``: the
blob folder is a small tmpfs that a ballast file fills to the last byte (a full disk while
the archive PDF is written: the original is read, nothing new can be stored).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, update

from akte.core.database import session_scope, utcnow
from akte.core.storage import LocalBlobStore, S3BlobStore
from akte.jobs.models import Job
from tests.infra.fault_proxy import FaultyS3Proxy, faulty_s3, fill, full_disk


class StorageFault:
    """Switch a real storage fault on and off."""

    def __init__(
        self, proxy: FaultyS3Proxy | None = None, volume: Path | None = None, status: int = 500
    ) -> None:
        self._proxy, self._volume, self._status = proxy, volume, status
        self._ballast: Path | None = None

    def start(self) -> None:
        if self._proxy is not None:
            self._proxy.failing = self._status
        else:
            assert self._volume is not None
            self._ballast = fill(self._volume, leave_bytes=0)

    def end(self) -> None:
        if self._proxy is not None:
            self._proxy.failing = None
        elif self._ballast is not None:
            self._ballast.unlink()
            self._ballast = None


@contextmanager
def storage_fault(ctx, monkeypatch, s3=None, status: int = 500) -> Iterator[StorageFault]:
    """Point ``ctx.storage`` at storage that can be broken for real, for one test."""
    if ctx.settings.is_sqlite:
        with full_disk(4096) as volume:
            monkeypatch.setattr(ctx, "storage", LocalBlobStore(volume / "blobs"))
            yield StorageFault(volume=volume)
        return
    with faulty_s3(s3.endpoint) as proxy:
        s = ctx.settings
        monkeypatch.setattr(
            ctx,
            "storage",
            S3BlobStore(
                endpoint=proxy.endpoint,
                access_key=s.s3_access_key,
                secret_key=s.s3_secret_key,
                bucket=s.s3_bucket,
            ),
        )
        yield StorageFault(proxy=proxy, status=status)


def process_jobs(ctx, document_ids) -> list[Job]:
    """The processing jobs of these documents (any state), oldest first."""
    ids = {str(d) for d in document_ids}
    with session_scope(ctx.session_factory) as session:
        jobs = session.scalars(
            select(Job).where(Job.kind == "ingest.process_document").order_by(Job.id)
        ).all()
        found = [j for j in jobs if str(j.payload.get("document_id")) in ids]
        session.expunge_all()
        return found


def outage_lasted(ctx, document_ids, seconds: float) -> None:
    """Time passes: the documents' queued jobs met the outage ``seconds`` ago and are due."""
    ids = [j.id for j in process_jobs(ctx, document_ids) if j.status == "queued"]
    with session_scope(ctx.session_factory) as session:
        session.execute(
            update(Job)
            .where(Job.id.in_(ids))
            .values(outage_since=utcnow() - timedelta(seconds=seconds), run_after=utcnow())
        )
