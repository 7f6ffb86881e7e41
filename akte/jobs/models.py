"""A job is a row written in the same transaction as the data it acts on.

States: ``queued`` → ``running`` → ``done``; a failure goes back to ``queued`` with a later
``run_after`` (exponential backoff) until ``max_attempts``, then ``dead``. A ``running`` job
whose lease expired (its worker died) is claimable again. An outage ("not now": storage or
database unreachable, disk full) does not use up attempts: ``outage_since`` records when the
job first met it, and the job is retried until the outage has lasted longer than
``AKTE_JOB_OUTAGE_SECONDS``.

Lanes: every job has a ``priority`` and workers claim the runnable job with the lowest one
first (then the oldest), so a citizen's one-page upload is not queued behind a 200-page scan
or a delivery import, and indexing not behind any processing. Strict order: a bulk job waits while
interactive work is due (interactive work is short and rare compared with bulk).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Index, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from akte.core.database import Base, BigIntPK, UTCDateTime, utcnow

#: Periodic tasks (seal, outbox cut-off): due at a fixed time, so first.
PRIORITY_PERIODIC = 0
#: Search index updates: a fraction of a second each, and a document shown ``ready`` is not
#: findable before its update. Ahead of processing: with uploads arriving faster than they
#: are processed, index jobs behind them waited until the whole batch was through (seen:
#: 753 documents ready, none findable).
PRIORITY_INDEX = 5
#: Processing of a small upload someone is waiting for (portal, web, API).
PRIORITY_INTERACTIVE = 10
#: Everything else.
PRIORITY_DEFAULT = 50
#: Processing of big files and delivery imports: long, nobody waits at the screen.
PRIORITY_BULK = 90


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_claim", "status", "run_after"),
        Index("ix_jobs_claim_priority", "status", "priority", "run_after"),
        Index("ix_jobs_finished", "status", "finished_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    #: Lower is claimed first (``PRIORITY_*``).
    priority: Mapped[int] = mapped_column(
        SmallInteger, default=PRIORITY_DEFAULT, server_default=str(PRIORITY_DEFAULT)
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    run_after: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    locked_by: Mapped[str | None] = mapped_column(String(200))
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    outage_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class JobSchedule(Base):
    """When a periodic task (:mod:`akte.jobs.periodic`) is next due.

    One row per task name. A worker that finds the row due takes it with ``FOR UPDATE SKIP
    LOCKED``, queues one job for the current period and moves ``next_run_at`` to the next
    period boundary in the same transaction, so each period is queued exactly once however
    many workers look at the same moment.
    """

    __tablename__ = "job_schedules"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    next_run_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: The job queued for the last period; while it is queued or running, a new period is
    #: skipped rather than stacked behind it.
    last_job_id: Mapped[int | None] = mapped_column(BigInteger)
    #: Start of the last period taken; an earlier or equal one is never queued again.
    last_period: Mapped[datetime | None] = mapped_column(UTCDateTime())
