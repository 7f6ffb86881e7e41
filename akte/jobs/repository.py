"""Queue operations. ``enqueue`` joins the caller's transaction; the rest are the worker's.

Claiming uses ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, so any number of workers
on any number of machines take distinct jobs without a broker. SQLite ignores the locking
clause, but serialises writers, and the conditional ``UPDATE`` below makes a lost race
harmless there too.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, func, or_, select, update
from sqlalchemy.orm import Session

from akte.core.database import utcnow
from akte.jobs import wakeup
from akte.jobs.models import PRIORITY_DEFAULT, Job

BACKOFF_BASE_SECONDS = 5
BACKOFF_MAX_SECONDS = 3600
#: Longest wait between two tries of a job that meets an outage: it resumes within five
#: minutes of storage coming back.
OUTAGE_MAX_DELAY_SECONDS = 300


def enqueue(
    session: Session,
    kind: str,
    payload: dict[str, Any] | None = None,
    *,
    max_attempts: int = 5,
    delay_seconds: float = 0,
    priority: int = PRIORITY_DEFAULT,
) -> Job:
    job = Job(
        kind=kind,
        priority=priority,
        payload=payload or {},
        max_attempts=max_attempts,
        run_after=utcnow() + timedelta(seconds=delay_seconds),
    )
    session.add(job)
    session.flush()
    wakeup.note_queued(session)  # this process's idle workers take it at the commit
    return job


#: The order jobs are claimed in: the lowest priority first, the oldest among equals.
CLAIM_ORDER = (Job.priority, Job.run_after, Job.id)


def _runnable(now: datetime) -> ColumnElement[bool]:
    """Queued and due, or running with an expired lease (its worker died)."""
    return or_(
        (Job.status == "queued") & (Job.run_after <= now),
        (Job.status == "running") & (Job.locked_until < now),
    )


def claim(
    session: Session, *, worker_id: str, lease_seconds: int, kinds: list[str] | None = None
) -> Job | None:
    """Take the runnable job (queued and due, or running with an expired lease) of the
    lowest priority, the oldest among equals."""
    now = utcnow()
    stmt = select(Job).where(_runnable(now)).order_by(*CLAIM_ORDER).limit(1)
    if kinds:
        stmt = stmt.where(Job.kind.in_(kinds))
    job = session.scalar(stmt.with_for_update(skip_locked=True))
    if job is None:
        return None
    taken = session.execute(
        update(Job)
        .where(Job.id == job.id, Job.status == job.status, Job.attempts == job.attempts)
        .values(
            status="running",
            attempts=Job.attempts + 1,
            locked_by=worker_id,
            locked_until=now + timedelta(seconds=lease_seconds),
        )
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        return None
    session.refresh(job)
    return job


def claim_more(
    session: Session, job: Job, *, worker_id: str, lease_seconds: int, limit: int
) -> list[Job]:
    """Take up to ``limit`` more runnable jobs of ``job``'s kind, in claim order, in the
    transaction that claimed ``job`` (for a kind whose handler takes a batch).

    Rows another worker holds are skipped (``SKIP LOCKED``; SQLite's ``BEGIN IMMEDIATE``
    keeps others out of the whole transaction). Each taken job uses up an attempt and gets
    the lease, exactly as if it had been claimed alone."""
    now = utcnow()
    ids = list(
        session.scalars(
            select(Job.id)
            .where(_runnable(now), Job.kind == job.kind, Job.id != job.id)
            .order_by(*CLAIM_ORDER)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if not ids:
        return []
    until = now + timedelta(seconds=lease_seconds)
    session.execute(
        update(Job)
        .where(Job.id.in_(ids), _runnable(now))
        .values(
            status="running",
            attempts=Job.attempts + 1,
            locked_by=worker_id,
            locked_until=until,
        )
        .execution_options(synchronize_session=False)
    )
    return list(
        session.scalars(
            select(Job)
            .where(Job.id.in_(ids), Job.locked_by == worker_id, Job.locked_until == until)
            .order_by(*CLAIM_ORDER)
            .execution_options(populate_existing=True)
        )
    )


def complete_all(session: Session, job_ids: list[int], worker_id: str) -> None:
    """Mark the jobs this worker holds ``done`` (one job, or one batch in one statement)."""
    session.execute(
        update(Job)
        .where(Job.id.in_(job_ids), Job.locked_by == worker_id)
        .values(
            status="done",
            finished_at=utcnow(),
            locked_until=None,
            last_error=None,
            outage_since=None,
        )
        .execution_options(synchronize_session=False)
    )


def complete(session: Session, job_id: int, worker_id: str) -> None:
    """Mark the job ``done`` if this worker still holds it."""
    complete_all(session, [job_id], worker_id)


def fail(
    session: Session,
    job_id: int,
    worker_id: str,
    error: str,
    *,
    permanent: bool,
    transient: bool = False,
    outage_seconds: float = 7200,
) -> str:
    """Back off and retry, or park as ``dead``; returns the new status.

    An ordinary failure uses up one of ``max_attempts``. A ``transient`` one (an outage)
    does not: the job is retried with back-off capped at :data:`OUTAGE_MAX_DELAY_SECONDS`
    until the outage it first met at ``outage_since`` has lasted ``outage_seconds``.
    """
    job = session.get(Job, job_id)
    if job is None or job.locked_by != worker_id:
        return "lost"
    now = utcnow()
    if transient and not permanent:
        job.attempts = max(job.attempts - 1, 0)  # an outage is not the job's fault
        job.outage_since = job.outage_since or now
        waited = (now - job.outage_since).total_seconds()
        if waited >= outage_seconds:
            job.status = "dead"
            job.finished_at = now
        else:
            delay = min(max(BACKOFF_BASE_SECONDS, waited / 2), OUTAGE_MAX_DELAY_SECONDS)
            job.status = "queued"
            job.run_after = now + timedelta(seconds=delay)
    else:
        job.outage_since = None
        if permanent or job.attempts >= job.max_attempts:
            job.status = "dead"
            job.finished_at = now
        else:
            delay = min(BACKOFF_BASE_SECONDS * 2 ** (job.attempts - 1), BACKOFF_MAX_SECONDS)
            job.status = "queued"
            job.run_after = now + timedelta(seconds=delay)
    job.locked_until = None
    job.last_error = error[:4000]
    session.flush()
    return job.status


def outage_seconds_of(job: Job) -> float | None:
    """How long the job has been meeting an outage, or ``None``."""
    if job.outage_since is None:
        return None
    return (utcnow() - job.outage_since).total_seconds()


def retry(session: Session, job_id: int) -> Job | None:
    job = session.get(Job, job_id)
    if job is None:
        return None
    job.status = "queued"
    job.attempts = 0
    job.outage_since = None
    job.run_after = utcnow()
    session.flush()
    return job


def counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(Job.status, func.count()).group_by(Job.status))
    return {status: int(n) for status, n in rows}


def list_jobs(session: Session, *, status: str | None = None, kind: str | None = None):
    stmt = select(Job).order_by(Job.id.desc())
    if status:
        stmt = stmt.where(Job.status == status)
    if kind:
        stmt = stmt.where(Job.kind == kind)
    return stmt


def prune_done(session: Session, *, finished_before: datetime, batch: int) -> int:
    """Delete up to ``batch`` ``done`` jobs finished before the cut-off; how many went.

    ``dead`` jobs are never pruned: they wait for someone to look at them (retry). Rows are
    picked by id in index order (``ix_jobs_finished``), so each batch is a short statement
    and the caller commits between batches.
    """
    ids = list(
        session.scalars(
            select(Job.id)
            .where(Job.status == "done", Job.finished_at < finished_before)
            .order_by(Job.id)
            .limit(batch)
        )
    )
    if not ids:
        return 0
    session.execute(
        delete(Job)
        .where(Job.id.in_(ids), Job.status == "done")
        .execution_options(synchronize_session=False)
    )
    return len(ids)
