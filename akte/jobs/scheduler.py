"""Queue each periodic task once per period, whichever and however many workers run.

Every worker calls :func:`tick` between jobs (``akte worker``, the embedded in-process
worker, ``akte worker --once``) when :func:`next_due` said a task is due. In one
transaction it

1. creates the ``job_schedules`` row of a task that has none (``INSERT … ON CONFLICT DO
   NOTHING``: workers starting together create it once);
2. takes the due rows with ``SELECT … FOR UPDATE SKIP LOCKED`` (and rows whose wait is
   longer than a period shortened in the settings): a row another worker holds is skipped, and one it has just moved on no longer matches ``next_run_at <= now``
   (PostgreSQL re-checks the condition on the committed row);
3. queues one job per due task, unless the previous period's job is still queued or
   running (a slow scrub is not stacked up), and moves ``next_run_at`` to the next period
   boundary with a conditional ``UPDATE``. ``last_period`` records the period taken; an
   earlier or equal one is never queued again, so a tick with a stale clock reading
   cannot queue a period twice.

The job and the new ``next_run_at`` commit together, so a period is queued exactly once.
SQLite ignores ``SKIP LOCKED`` but starts every write transaction with ``BEGIN IMMEDIATE``
(:func:`akte.core.database.make_engine`), which serialises ticks; the conditional update
makes a lost race harmless on both. Periods missed while no worker ran are not caught up:
the next tick queues one run and moves on.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from akte.core.database import utcnow
from akte.core.settings import Settings
from akte.jobs import repository
from akte.jobs.models import PRIORITY_PERIODIC, Job, JobSchedule
from akte.jobs.periodic import Periodic, periodic_tasks

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def period_start(now: datetime, every: timedelta) -> datetime:
    """The start of the period ``now`` falls in (periods are aligned to the epoch)."""
    return EPOCH + ((now - EPOCH) // every) * every


@dataclass(frozen=True)
class Queued:
    name: str
    period: datetime
    job_id: int | None  # None: skipped, the previous period's job is still pending


def tick(
    session: Session,
    settings: Settings,
    *,
    now: datetime | None = None,
    names: Collection[str] | None = None,
) -> list[Queued]:
    """Queue the due periodic tasks (all, or those in ``names``) in the caller's
    transaction; what was due, in order."""
    now = now or utcnow()
    enabled = _enabled(settings, names)
    if not enabled:
        return []
    _create_missing(session, enabled, now)
    due = session.scalars(
        select(JobSchedule)
        .where(
            or_(
                *(
                    (JobSchedule.name == name)
                    & ((JobSchedule.next_run_at <= now) | (JobSchedule.next_run_at > now + every))
                    for name, (_, every) in sorted(enabled.items())
                )
            )
        )
        .order_by(JobSchedule.name)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)  # the locked row, not a cached copy
    ).all()
    done = []
    for row in due:
        _, every = enabled[row.name]
        queued = _take(session, row, every, now)
        if queued is not None:
            done.append(queued)
    return done


def next_due(session: Session, settings: Settings) -> datetime | None:
    """When the earliest periodic task enabled in ``settings`` is next due; ``None``: none
    is enabled or none has its row yet.

    A worker ticks again only then (:func:`akte.jobs.worker.run_forever`): a row's
    ``next_run_at`` only ever moves forward, so nothing can fall due earlier. Read in the
    tick's transaction, after its own moves; a row another worker holds locked reads as
    still due, and the worker merely ticks again after its poll interval."""
    enabled = _enabled(settings, None)
    if not enabled:
        return None
    return session.scalar(
        select(func.min(JobSchedule.next_run_at)).where(JobSchedule.name.in_(sorted(enabled)))
    )


def _enabled(
    settings: Settings, names: Collection[str] | None
) -> dict[str, tuple[Periodic, timedelta]]:
    """The periodic tasks the settings switch on (all, or those in ``names``), by name,
    each with its interval."""
    return {
        p.name: (p, every)
        for p in periodic_tasks()
        if (names is None or p.name in names) and (every := p.interval(settings)) is not None
    }


def _create_missing(
    session: Session, enabled: dict[str, tuple[Periodic, timedelta]], now: datetime
) -> None:
    known = set(
        session.scalars(select(JobSchedule.name).where(JobSchedule.name.in_(sorted(enabled))))
    )
    missing = [
        {"name": name, "next_run_at": now if p.start == "now" else period_start(now, every) + every}
        for name, (p, every) in sorted(enabled.items())
        if name not in known
    ]
    if not missing:
        return
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(
        dialect.insert(JobSchedule).values(missing).on_conflict_do_nothing(index_elements=["name"])
    )


def _take(session: Session, row: JobSchedule, every: timedelta, now: datetime) -> Queued | None:
    """Move the row to its next boundary and queue the current period, unless taken.

    A period at or before ``last_period`` is never queued again, and ``next_run_at`` never
    moves back before the boundary after it: a tick whose ``now`` is stale (its process
    was descheduled between reading the clock and taking the row) cannot undo another
    worker's move, not even through the shortened-period rule.
    """
    period = period_start(now, every)
    following = period + every
    if row.last_period is not None:
        following = max(following, period_start(row.last_period, every) + every)
    fresh = row.next_run_at <= now and (row.last_period is None or period > row.last_period)
    if following == row.next_run_at:
        return None
    values: dict[str, object] = {"next_run_at": following}
    if fresh:
        values["last_period"] = period
    moved = session.execute(
        update(JobSchedule)
        .where(JobSchedule.name == row.name, JobSchedule.next_run_at == row.next_run_at)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1 or not fresh:  # another worker took it, or only a shorter wait
        return None
    if _pending(session, row.last_job_id):
        return Queued(row.name, period, None)
    job = repository.enqueue(
        session, row.name, {"period": period.isoformat()}, priority=PRIORITY_PERIODIC
    )
    session.execute(
        update(JobSchedule)
        .where(JobSchedule.name == row.name)
        .values(last_job_id=job.id)
        .execution_options(synchronize_session=False)
    )
    return Queued(row.name, period, job.id)


def _pending(session: Session, job_id: int | None) -> bool:
    if job_id is None:
        return False
    status = session.scalar(select(Job.status).where(Job.id == job_id))
    return status in {"queued", "running"}


def schedules(
    session: Session, settings: Settings
) -> list[tuple[Periodic, timedelta | None, JobSchedule | None]]:
    """Every periodic task with its period here (``None``: off) and its schedule row."""
    rows = {row.name: row for row in session.scalars(select(JobSchedule))}
    return [(p, p.interval(settings), rows.get(p.name)) for p in periodic_tasks()]
