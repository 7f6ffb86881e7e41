"""A running job's lease is extended while it works, and lapses when its worker is gone."""

from __future__ import annotations

import time
import uuid

from akte.core.context import AppContext
from akte.core.database import session_scope
from akte.jobs import repository as jobs
from akte.jobs.worker import worker_name
from ingest.lease import kept_alive


def claim(ctx: AppContext, kind: str, worker_id: str):
    with session_scope(ctx.session_factory) as session:
        job = jobs.claim(session, worker_id=worker_id, lease_seconds=1, kinds=[kind])
        return None if job is None else job.id


def test_a_long_job_keeps_its_lease_and_loses_it_when_it_stops(ctx: AppContext) -> None:
    kind = f"ingest.test-lease-{uuid.uuid4().hex[:8]}"
    with session_scope(ctx.session_factory) as session:
        jobs.enqueue(session, kind, {})
    assert claim(ctx, kind, worker_name()) is not None
    with kept_alive(ctx, kind, lease_seconds=1.5):
        time.sleep(2.5)  # longer than the claimed 1 s lease
        assert claim(ctx, kind, "another-worker") is None
    time.sleep(1.7)
    job_id = claim(ctx, kind, "another-worker")
    assert job_id is not None
    with session_scope(ctx.session_factory) as session:
        jobs.complete(session, job_id, "another-worker")
