"""The worker loop: claim a job, run its handler outside any transaction, record the outcome.

A worker claims only kinds it has a handler for: a job of a feature this installation lacks
stays queued and visible (``akte jobs``) instead of being dropped or failed.

The same code runs as ``akte worker`` (one process per core, any number of machines) and,
on the embedded default, as a thread inside the API process. A handler exception never
ends the loop: the job is retried with backoff or parked as ``dead``; ``SIGTERM`` lets the
current job finish, then the loop stops.

An outage (:func:`akte.jobs.transient.is_transient`) is retried for
``AKTE_JOB_OUTAGE_SECONDS`` without using up attempts. When a job is given up as ``dead``,
its kind's :func:`~akte.jobs.registry.on_dead` hook runs in the same transaction, so the
document it was processing moves to ``failed`` with a reason instead of waiting for ever.

Between jobs the loop also ticks the scheduler (:mod:`akte.jobs.scheduler`), which queues
each periodic task once per period however many workers tick. It ticks when the earliest
periodic task is due, not at every poll: at least ``AKTE_WORKER_POLL_SECONDS`` and at most
:data:`TICK_MAX_WAIT_SECONDS` apart. An idle worker ticking at every poll read the schedule
twice a second for tasks due hours later; in a test run, those ticks cost more than the
index jobs the same loops ran.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
import traceback
from dataclasses import dataclass

from sqlalchemy.orm import Session

from akte.core.context import AppContext
from akte.core.database import session_scope, utcnow
from akte.core.metrics import JOB_DURATION, JOBS_FINISHED
from akte.jobs import repository, scheduler, wakeup
from akte.jobs.models import Job
from akte.jobs.registry import (
    Batch,
    JobDeath,
    PermanentJobError,
    batch_for,
    dead_hook_for,
    handler_for,
    registered_kinds,
)
from akte.jobs.transient import is_transient

log = logging.getLogger("akte.worker")
#: Longest wait between two scheduler ticks of a loop when no periodic task is due sooner:
#: a wall clock set forward (which the loop's monotonic clock does not see) or a schedule
#: row changed by hand is noticed within it.
TICK_MAX_WAIT_SECONDS = 60.0


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def run_one(ctx: AppContext, worker_id: str | None = None, kinds: list[str] | None = None) -> bool:
    """Claim and run one job (with others of its kind, for a kind that runs in batches);
    ``False`` when none was runnable."""
    return run_next(ctx, worker_id, kinds) > 0


def run_next(ctx: AppContext, worker_id: str | None = None, kinds: list[str] | None = None) -> int:
    """Claim and run the next job, and for a :func:`~akte.jobs.registry.batch_task` kind
    the other pending jobs of that kind with it; how many jobs ran (0: none was runnable)."""
    worker_id = worker_id or worker_name()
    with session_scope(ctx.session_factory) as session:
        job = repository.claim(
            session,
            worker_id=worker_id,
            lease_seconds=ctx.settings.job_lease_seconds,
            kinds=kinds or registered_kinds(),
        )
        if job is None:
            return 0
        batch = batch_for(job.kind)
        claimed = [job]
        if batch is not None and batch.size > 1:
            claimed += repository.claim_more(
                session,
                job,
                worker_id=worker_id,
                lease_seconds=ctx.settings.job_lease_seconds,
                limit=batch.size - 1,
            )
        taken = [Claimed(j.id, j.kind, dict(j.payload)) for j in claimed]
    if batch is not None and len(taken) > 1 and _run_batch(ctx, worker_id, batch, taken):
        return len(taken)
    for one in taken:
        _run_alone(ctx, worker_id, one)
    return len(taken)


@dataclass(frozen=True)
class Claimed:
    """A job this worker holds, read before its claim's transaction ended."""

    id: int
    kind: str
    payload: dict


def _run_batch(ctx: AppContext, worker_id: str, batch: Batch, jobs: list[Claimed]) -> bool:
    """Run the jobs in one call and complete them together; ``False`` if the call failed
    (nothing is recorded then: the caller runs each job alone, with its own outcome)."""
    kind = jobs[0].kind
    started = time.perf_counter()
    try:
        batch.handler(ctx, [job.payload for job in jobs])
    except Exception as exc:  # each job then runs alone: only the bad one fails
        log.info("batch of %d %s jobs failed, each runs alone: %s", len(jobs), kind, exc)
        return False
    share = (time.perf_counter() - started) / len(jobs)
    with session_scope(ctx.session_factory) as session:
        repository.complete_all(session, [job.id for job in jobs], worker_id)
    for _job in jobs:
        JOB_DURATION.labels(kind=kind).observe(share)
    JOBS_FINISHED.labels(kind=kind, outcome="done").inc(len(jobs))
    return True


def _run_alone(ctx: AppContext, worker_id: str, job: Claimed) -> None:
    """Run one held job's handler outside any transaction and record the outcome."""
    job_id, kind, payload = job.id, job.kind, job.payload
    handler = handler_for(kind)
    error: str | None = None
    permanent = transient = False
    started = time.perf_counter()
    if handler is None:
        error, permanent = f"no handler for job kind {kind!r}", True
    else:
        try:
            handler(ctx, payload)
        except PermanentJobError as exc:
            error, permanent = str(exc), True
        except Exception as exc:  # a job's failure must never end the worker
            transient = is_transient(exc)
            error = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}"
    JOB_DURATION.labels(kind=kind).observe(time.perf_counter() - started)
    with session_scope(ctx.session_factory) as session:
        if error is None:
            repository.complete(session, job_id, worker_id)
            JOBS_FINISHED.labels(kind=kind, outcome="done").inc()
            return
        status = repository.fail(
            session,
            job_id,
            worker_id,
            error,
            permanent=permanent,
            transient=transient,
            outage_seconds=ctx.settings.job_outage_seconds,
        )
        if status == "dead":
            _after_death(session, job_id, kind, payload, error, transient)
    outcome = {"queued": "outage" if transient else "retry"}.get(status, status)
    JOBS_FINISHED.labels(kind=kind, outcome=outcome).inc()
    # logged after the commit: a slow or blocked log stream must never hold the queue's lock
    log.warning(
        "job %s (%s) failed%s, now %s: %s",
        job_id,
        kind,
        " (outage)" if transient else "",
        status,
        error[:300],
    )


def _after_death(
    session: Session, job_id: int, kind: str, payload: dict, error: str, transient: bool
) -> None:
    """Run the kind's dead-job hook; a failing hook never undoes the job's ``dead``."""
    hook = dead_hook_for(kind)
    job = session.get(Job, job_id)
    if hook is None or job is None:
        return
    death = JobDeath(
        kind=kind,
        error=error.split("\n", 1)[0],
        attempts=job.attempts,
        outage_seconds=repository.outage_seconds_of(job) if transient else None,
    )
    try:
        with session.begin_nested():
            hook(session, payload, death)
    except Exception:  # the hook's trouble is logged; the job stays dead and visible
        log.exception("dead-job hook of %s failed for job %s", kind, job_id)


def run_until_idle(ctx: AppContext, max_jobs: int = 100_000) -> int:
    """Run jobs until none is runnable now; returns how many ran (used by tests and CLI)."""
    ran = 0
    while ran < max_jobs and (n := run_next(ctx)):
        ran += n
    return ran


def tick(ctx: AppContext) -> list[scheduler.Queued]:
    """Queue the periodic tasks that are due (one transaction)."""
    return _tick(ctx)[0]


def _tick(ctx: AppContext) -> tuple[list[scheduler.Queued], float]:
    """Queue what is due; and how many seconds the loop may wait before its next tick:
    until the earliest task is due, at least the poll interval and at most
    :data:`TICK_MAX_WAIT_SECONDS`."""
    with session_scope(ctx.session_factory) as session:
        queued = scheduler.tick(session, ctx.settings)
        due = scheduler.next_due(session, ctx.settings)
    poll = ctx.settings.worker_poll_seconds
    wait = TICK_MAX_WAIT_SECONDS if due is None else (due - utcnow()).total_seconds()
    _log_queued(queued)
    return queued, min(max(wait, poll), max(TICK_MAX_WAIT_SECONDS, poll))


def _log_queued(queued: list[scheduler.Queued]) -> None:
    for item in queued:
        if item.job_id:
            log.info("periodic %s queued for %s", item.name, item.period.isoformat())
        else:
            log.info(
                "periodic %s: period %s skipped, the previous run is still pending",
                item.name,
                item.period.isoformat(),
            )


def stop_on_signals(stop: threading.Event) -> None:
    """SIGTERM and SIGINT set ``stop``: the loop finishes its current job, then ends.

    The handler hands ``stop.set()`` to a thread of its own. A handler runs in the main
    thread between two bytecodes, so a second signal that came while the first handler's
    ``set()`` held the event's lock ran ``set()`` again in that thread, which then waited
    for its own lock forever. Two SIGTERMs at once are the rule: ``akte worker`` passes the
    one it gets on to its processes, and a signal to the process group reaches them too.
    Such a worker hung until SIGKILL; its stack dump showed the two nested ``set`` calls.
    """

    def handle(_signum: int, _frame: object) -> None:
        threading.Thread(target=stop_loops, args=(stop,), name="akte-stop", daemon=True).start()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)


def run_forever(ctx: AppContext, stop: threading.Event) -> None:
    """Run jobs until ``stop`` is set. Idle, the loop waits for the poll interval or until
    this process commits a job (:mod:`akte.jobs.wakeup`). Whoever sets ``stop`` rings the
    bell too (:func:`stop_loops`), or the loop ends after its current wait."""
    worker_id = worker_name()
    log.info("worker %s started", worker_id)
    next_tick = 0.0
    while not stop.is_set():
        seen = wakeup.rings()
        try:
            if time.monotonic() >= next_tick:
                # a tick that fails (database unreachable) is tried again after the poll
                next_tick = time.monotonic() + ctx.settings.worker_poll_seconds
                next_tick = time.monotonic() + _tick(ctx)[1]
            busy = run_one(ctx, worker_id)
        except Exception:  # database briefly unreachable: wait, then try again
            log.exception("worker %s could not reach the queue", worker_id)
            busy = False
        if not busy and not stop.is_set():
            wakeup.wait(seen, ctx.settings.worker_poll_seconds)
    log.info("worker %s stopped", worker_id)


def stop_loops(stop: threading.Event) -> None:
    """Set ``stop`` and wake the loops waiting for work, so they end now."""
    stop.set()
    wakeup.ring()


class BackgroundWorker:
    """The embedded default's in-process worker: ``AKTE_INPROCESS_WORKER_THREADS`` loops
    (default one per core), so a second document does not wait for the first one's last
    page. Each document is processed in its own child process (:mod:`ingest.isolated`);
    the threads only wait for them and write the results."""

    def __init__(self, ctx: AppContext, threads: int | None = None) -> None:
        self._ctx = ctx
        self._stop = threading.Event()
        count = threads or ctx.settings.inprocess_worker_threads or os.cpu_count() or 1
        self._threads = [
            threading.Thread(
                target=run_forever, args=(ctx, self._stop), name=f"akte-worker-{i}", daemon=True
            )
            for i in range(count)
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float = 30) -> None:
        stop_loops(self._stop)
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
