"""The one ``outbox.seal_due`` job chain that seals batches at the tenants' cut-off times.

The worker has no cron, so the task re-enqueues itself with a delay. Exactly one chain must
be alive: two would only waste work (sealing is safe under concurrency), none would leave
letters lying. The single ``outbox_schedule`` row holds the **token** of the live chain:

* :func:`ensure_chain` (called whenever a letter is queued, and by ``akte outbox
  schedule``) starts a chain when the row's job is not queued or running (none yet, or it
  went ``dead``), and hands it a fresh token with a conditional update;
* the task first checks that its payload token is the row's token; a job from a superseded
  chain (two starters raced) finds a different token and ends without successor;
* after its work the task enqueues its successor with a new token, again by a conditional
  update ``WHERE token = <mine>`` in the same transaction, so only one successor survives.

A failing run is retried by the queue with backoff (same token, chain intact).
"""

from __future__ import annotations

import secrets

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from akte.jobs import repository as jobs
from akte.jobs.models import Job
from outbox.models import Schedule

SEAL_DUE_TASK = "outbox.seal_due"
CHAIN = "seal_due"
INTERVAL_SECONDS = 60


def _start(session: Session, old_token: str | None, delay: float) -> bool:
    token = secrets.token_hex(16)
    job = jobs.enqueue(session, SEAL_DUE_TASK, {"token": token}, delay_seconds=delay)
    if old_token is None:
        try:
            with session.begin_nested():
                session.add(Schedule(name=CHAIN, token=token, job_id=job.id))
        except IntegrityError:
            session.delete(job)
            return False
        return True
    taken = session.execute(
        update(Schedule)
        .where(Schedule.name == CHAIN, Schedule.token == old_token)
        .values(token=token, job_id=job.id)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        session.delete(job)
        return False
    return True


def _live(session: Session, row: Schedule | None) -> bool:
    if row is None or row.job_id is None:
        return False
    status = session.scalar(select(Job.status).where(Job.id == row.job_id))
    return status in {"queued", "running"}


def ensure_chain(session: Session) -> bool:
    """Start the chain unless a live one exists; ``True`` if this call started it.

    The common case (a live chain) reads without locking, so queueing letters does not
    serialise on the schedule row; only a missing or dead chain takes the row lock.
    """
    stmt = select(Schedule).where(Schedule.name == CHAIN)
    if _live(session, session.scalar(stmt)):
        return False
    row = session.scalar(stmt.with_for_update().execution_options(populate_existing=True))
    if _live(session, row):
        return False
    return _start(session, row.token if row else None, delay=0)


def is_current(session: Session, token: str) -> bool:
    return session.scalar(select(Schedule.token).where(Schedule.name == CHAIN)) == token


def continue_chain(session: Session, token: str) -> bool:
    """Enqueue the successor of the run holding ``token`` (no-op for a superseded chain)."""
    return _start(session, token, delay=INTERVAL_SECONDS)
