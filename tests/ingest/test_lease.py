"""A running job's lease is extended while it works, and lapses when its worker is gone.

Time passes on akte's clock (``clock.advance``), not in sleeps: only the heartbeat's own beat
(half a second of real time at the shortest) is waited for.
"""

from __future__ import annotations

import time
import uuid

from akte.core.clock import Clock
from akte.core.context import AppContext
from akte.core.database import session_scope, utcnow
from akte.jobs import repository as jobs
from akte.jobs.models import Job
from akte.jobs.worker import worker_name
from ingest.lease import kept_alive


def claim(ctx: AppContext, kind: str, worker_id: str):
    with session_scope(ctx.session_factory) as session:
        job = jobs.claim(session, worker_id=worker_id, lease_seconds=1, kinds=[kind])
        return None if job is None else job.id


def wait_for_heartbeat(ctx: AppContext, job_id: int, timeout: float = 10) -> None:
    """Until the lease reaches past akte's (advanced) now, i.e. the heartbeat extended it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with ctx.session_factory() as session:
            locked_until = session.get(Job, job_id).locked_until
        if locked_until is not None and locked_until > utcnow():
            return
        time.sleep(0.05)
    raise AssertionError("the lease was not extended")


def test_a_long_job_keeps_its_lease_and_loses_it_when_it_stops(
    ctx: AppContext, clock: Clock
) -> None:
    kind = f"ingest.test-lease-{uuid.uuid4().hex[:8]}"
    with session_scope(ctx.session_factory) as session:
        job_id = jobs.enqueue(session, kind, {}).id
    assert claim(ctx, kind, worker_name()) == job_id
    with kept_alive(ctx, kind, lease_seconds=1.5):
        clock.advance(2.5)  # longer than the claimed 1 s lease
        wait_for_heartbeat(ctx, job_id)
        assert claim(ctx, kind, "another-worker") is None
    clock.advance(1.7)  # longer than the last extension (1.5 s): nobody extends it now
    assert claim(ctx, kind, "another-worker") == job_id
    with session_scope(ctx.session_factory) as session:
        jobs.complete(session, job_id, "another-worker")


def test_without_a_heartbeat_the_lease_lapses(ctx: AppContext, clock: Clock) -> None:
    kind = f"ingest.test-lease-{uuid.uuid4().hex[:8]}"
    with session_scope(ctx.session_factory) as session:
        job_id = jobs.enqueue(session, kind, {}).id
    assert claim(ctx, kind, worker_name()) == job_id
    clock.advance(2.5)
    assert claim(ctx, kind, "another-worker") == job_id
    with session_scope(ctx.session_factory) as session:
        jobs.complete(session, job_id, "another-worker")
