"""Keep a long job's lease alive while it runs.

The queue hands a ``running`` job to another worker once its lease
(``AKTE_JOB_LEASE_SECONDS``) expires: that is how a killed worker's job is picked up again.
OCR of a long scan can outlast any fixed lease, and a live worker would then see its job
taken over and done twice. While a document is processed, a daemon thread therefore
extends the lease of the job this worker holds, every third of the lease. If the worker
dies (SIGKILL, power loss), the thread dies with it and the lease runs out as before.

The claimed job is found by ``locked_by``: the worker loop claims and runs a job on the same
thread, under :func:`akte.jobs.worker.worker_name`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.exc import SQLAlchemyError

from akte.core.context import AppContext
from akte.core.database import session_scope, utcnow
from akte.jobs.models import Job
from akte.jobs.worker import worker_name

log = logging.getLogger("akte.ingest")


@contextmanager
def kept_alive(ctx: AppContext, kind: str, lease_seconds: float | None = None) -> Iterator[None]:
    lease = lease_seconds or ctx.settings.job_lease_seconds
    holder = worker_name()
    stop = threading.Event()

    def extend() -> None:
        while not stop.wait(max(lease / 3, 0.5)):
            try:
                with session_scope(ctx.session_factory) as session:
                    session.execute(
                        update(Job)
                        .where(Job.locked_by == holder, Job.status == "running", Job.kind == kind)
                        .values(locked_until=utcnow() + timedelta(seconds=lease))
                    )
            except SQLAlchemyError:  # the database is briefly away: try again next beat
                log.warning("could not extend the lease of %s's job", holder)

    beat = threading.Thread(target=extend, name="akte-lease", daemon=True)
    beat.start()
    try:
        yield
    finally:
        stop.set()
        beat.join(timeout=5)
