"""Periodic tasks: each period is queued exactly once, however many workers tick, and the
queue pruning deletes old finished jobs but keeps dead ones.

The scheduler works on a database of this module's own: its rows are global (one per
task), and these tests move time forward with an explicit ``now``.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from akte.core.context import AppContext
from akte.core.database import session_scope, utcnow
from akte.core.settings import Settings
from akte.jobs import repository, scheduler
from akte.jobs.builtin_tasks import PRUNE, prune
from akte.jobs.models import Job, JobSchedule
from akte.jobs.worker import TICK_MAX_WAIT_SECONDS, run_forever, run_one
from akte.jobs.worker import _tick as _tick_and_wait
from akte.operations.tasks import PERIODIC as SCRUB
from outbox.tasks import SEAL_DUE_TASK
from tests.infra.processes import stop_group
from tests.trust.helpers import cli_env, isolated_context

SEAL = "audit.seal_periodic"
#: A period start in the past, so the explicit ``now`` values never meet the real clock.
T0 = datetime(2021, 3, 3, 9, 0, tzinfo=UTC)
KINDS = (SEAL, SCRUB, PRUNE, SEAL_DUE_TASK)
#: Seconds per period for the real worker processes.
PERIOD = 2


@pytest.fixture(scope="module", params=["embedded", "production"])
def ctx(request, tmp_path_factory) -> Iterator[AppContext]:
    with isolated_context(request, tmp_path_factory.mktemp(request.param), "akte-sched") as c:
        yield c


def _tick(ctx: AppContext, now: datetime, **settings: object) -> dict[str, int | None]:
    config = ctx.settings.model_copy(update=settings) if settings else ctx.settings
    with session_scope(ctx.session_factory) as session:
        return {q.name: q.job_id for q in scheduler.tick(session, config, now=now)}


def _jobs(ctx: AppContext, kind: str) -> list[Job]:
    with ctx.session_factory() as session:
        return list(session.scalars(select(Job).where(Job.kind == kind).order_by(Job.id)))


def _run_all(ctx: AppContext, kind: str) -> None:
    while run_one(ctx, kinds=[kind]):
        pass


def _drain(ctx: AppContext) -> None:
    for kind in KINDS:
        _run_all(ctx, kind)


def test_each_period_is_queued_once(ctx):
    first = _tick(ctx, T0 + timedelta(seconds=1))
    assert SEAL in first and first[SEAL] is not None  # start="now": due on the first tick
    assert SCRUB not in first and PRUNE not in first  # start="next": one period later
    assert _tick(ctx, T0 + timedelta(seconds=2)) == {}
    assert _tick(ctx, T0 + timedelta(seconds=59)) == {}
    [job] = [j for j in _jobs(ctx, SEAL) if j.status == "queued"]
    assert job.payload == {"period": T0.isoformat()}
    _run_all(ctx, SEAL)
    assert _jobs(ctx, SEAL)[-1].status == "done"
    # the run queued no successor of its own: only the scheduler queues
    assert [j for j in _jobs(ctx, SEAL) if j.status == "queued"] == []

    second = _tick(ctx, T0 + timedelta(seconds=61))
    assert second[SEAL] is not None
    assert _jobs(ctx, SEAL)[-1].payload == {"period": (T0 + timedelta(seconds=60)).isoformat()}
    # the next period comes while that run still waits: skipped, not stacked behind it
    third = _tick(ctx, T0 + timedelta(seconds=121))
    assert SEAL in third and third[SEAL] is None
    assert len([j for j in _jobs(ctx, SEAL) if j.status == "queued"]) == 1
    _drain(ctx)


def test_a_tick_with_a_stale_clock_reading_cannot_queue_a_period_twice(ctx):
    """A worker descheduled between reading the clock and taking the row sees another
    worker's move as a wait longer than one period; it must not pull it back."""
    now = T0 + timedelta(minutes=30, seconds=1)
    assert _tick(ctx, now)[SEAL]
    assert SEAL not in _tick(ctx, now - timedelta(seconds=60))  # the stale reading
    assert SEAL not in _tick(ctx, now + timedelta(seconds=1))
    periods = Counter(j.payload.get("period") for j in _jobs(ctx, SEAL))
    assert max(periods.values()) == 1
    _drain(ctx)


def test_workers_ticking_at_once_queue_one_job_per_period(ctx):
    now = T0 + timedelta(hours=1, seconds=5)
    before = len(_jobs(ctx, SEAL))
    results: list[dict[str, int | None]] = []
    start = threading.Barrier(3)

    def worker() -> None:
        start.wait()
        results.append(_tick(ctx, now))

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(results) == 3
    assert sum(SEAL in r for r in results) == 1
    assert len(_jobs(ctx, SEAL)) == before + 1
    _drain(ctx)


def test_a_job_left_by_the_old_self_rescheduling_code_ends_the_old_chain(ctx):
    with session_scope(ctx.session_factory) as session:
        old = repository.enqueue(session, SEAL, {}).id
    before = len(_jobs(ctx, SEAL))
    assert run_one(ctx, kinds=[SEAL])
    jobs = _jobs(ctx, SEAL)
    assert len(jobs) == before and next(j for j in jobs if j.id == old).status == "done"


def test_interval_settings_switch_off_and_shorten(ctx):
    now = T0 + timedelta(hours=2, seconds=1)
    with session_scope(ctx.session_factory) as session:
        session.execute(
            update(JobSchedule)
            .where(JobSchedule.name == SCRUB)
            .values(next_run_at=now - timedelta(seconds=1))
        )
    assert SCRUB not in _tick(ctx, now, scrub_interval_seconds=0)  # off: never queued
    # a long wait (an hour) shortened to 10 s: cut to the next 10 s boundary, then it runs
    with session_scope(ctx.session_factory) as session:
        session.execute(
            update(JobSchedule)
            .where(JobSchedule.name == SCRUB)
            .values(next_run_at=now + timedelta(hours=1))
        )
    assert SCRUB not in _tick(ctx, now, scrub_interval_seconds=10)
    with ctx.session_factory() as session:
        assert session.get(JobSchedule, SCRUB).next_run_at == now + timedelta(seconds=9)
    assert _tick(ctx, now + timedelta(seconds=9), scrub_interval_seconds=10)[SCRUB]
    _run_all(ctx, SCRUB)
    assert _jobs(ctx, SCRUB)[-1].status == "done"
    _drain(ctx)


@pytest.fixture(params=["embedded", "production"])
def quiet(request, tmp_path) -> Iterator[AppContext]:
    """A database of the test's own with no schedule rows yet (the module's database has
    rows the other tests moved to 2021), a worker poll of 50 ms and daily periods (a row
    due in an hour is then not taken as a period shortened in the settings)."""
    daily = {name: 86400.0 for name in Settings.model_fields if name.endswith("_interval_seconds")}
    with isolated_context(request, tmp_path, "akte-tick") as c:
        yield dataclasses.replace(
            c, settings=c.settings.model_copy(update={**daily, "worker_poll_seconds": 0.05})
        )


def _all_due_in(ctx: AppContext, delay: timedelta) -> None:
    with session_scope(ctx.session_factory) as session:
        session.execute(update(JobSchedule).values(next_run_at=utcnow() + delay))


def test_an_idle_worker_reads_the_schedule_when_a_task_is_due_not_at_every_poll(quiet, monkeypatch):
    """One second of an idle worker loop polling every 50 ms, every task due in an hour:
    the schedule is read once, not twenty times."""
    _tick_and_wait(quiet)  # creates the rows
    _all_due_in(quiet, timedelta(hours=1))
    ticks: list[datetime] = []
    real_tick = scheduler.tick

    def counted(session, settings, **kwargs):  # type: ignore[no-untyped-def]
        ticks.append(utcnow())
        return real_tick(session, settings, **kwargs)

    monkeypatch.setattr(scheduler, "tick", counted)
    stop = threading.Event()
    loop = threading.Thread(target=run_forever, args=(quiet, stop))
    loop.start()
    time.sleep(1.0)
    stop.set()
    loop.join(10)
    assert len(ticks) == 1, ticks


def test_the_wait_until_the_next_tick_follows_the_earliest_due_task(quiet):
    _tick_and_wait(quiet)  # creates the rows
    _all_due_in(quiet, timedelta(hours=1))
    assert _tick_and_wait(quiet) == ([], TICK_MAX_WAIT_SECONDS)
    with session_scope(quiet.session_factory) as session:
        session.execute(
            update(JobSchedule)
            .where(JobSchedule.name == SCRUB)
            .values(next_run_at=utcnow() + timedelta(seconds=5))
        )
    queued, wait = _tick_and_wait(quiet)
    assert queued == [] and 3 < wait <= 5
    with session_scope(quiet.session_factory) as session:
        session.execute(
            update(JobSchedule)
            .where(JobSchedule.name == SCRUB)
            .values(next_run_at=utcnow() - timedelta(seconds=1))
        )
    queued, wait = _tick_and_wait(quiet)
    assert [q.name for q in queued] == [SCRUB]
    assert wait > quiet.settings.worker_poll_seconds  # taken: its next period is later


def test_pruning_deletes_old_finished_jobs_and_keeps_dead_ones(ctx):
    old = utcnow() - timedelta(days=ctx.settings.job_keep_done_days + 1)
    with session_scope(ctx.session_factory) as session:
        ids = {}
        for name, status, finished in [
            ("old1", "done", old),
            ("old2", "done", old),
            ("old3", "done", old),
            ("recent", "done", utcnow()),
            ("dead", "dead", old),
            ("queued", "queued", None),
        ]:
            job = repository.enqueue(session, "test.prune_me", {"name": name})
            job.status, job.finished_at = status, finished
            ids[name] = job.id
        session.flush()
    assert prune(ctx, batch=2) >= 3  # three batches of up to two
    with ctx.session_factory() as session:
        left = set(session.scalars(select(Job.id).where(Job.id.in_(ids.values()))))
    assert left == {ids["recent"], ids["dead"], ids["queued"]}


def _start_worker(env: dict[str, str], cwd: Path, n: int) -> subprocess.Popen:
    """A worker logging to a file: an unread pipe fills up and then blocks the worker."""
    akte = Path(sys.executable).with_name("akte")
    with open(cwd / f"worker-{n}.log", "wb") as log:
        return subprocess.Popen(
            [str(akte), "worker", "--processes", "1"],
            env=env,
            cwd=cwd,
            start_new_session=True,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def _stop(proc: subprocess.Popen) -> None:
    stop_group(proc, timeout=30)


def test_real_workers_run_each_task_once_per_period(ctx, tmp_path):
    """Three ``akte worker`` processes started together on PostgreSQL (one on SQLite, which
    has a single writer) with two-second periods: every period runs once, never twice."""
    count = 1 if ctx.settings.is_sqlite else 3
    env = {
        **os.environ,
        **cli_env(ctx),
        "AKTE_WORKER_POLL_SECONDS": "0.2",
        "AKTE_AUDIT_SEAL_INTERVAL_SECONDS": str(PERIOD),
        "AKTE_SCRUB_INTERVAL_SECONDS": str(PERIOD),
        "AKTE_JOB_PRUNE_INTERVAL_SECONDS": str(PERIOD),
        "AKTE_OUTBOX_CUTOFF_INTERVAL_SECONDS": str(PERIOD),
    }
    started = utcnow()
    workers = [_start_worker(env, tmp_path, n) for n in range(count)]
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            runs = _runs_since(ctx, started)
            holders = {holder.split(":")[1] for kind in KINDS for _, holder in runs[kind]}
            # on a loaded machine the first worker up can take the first periods alone:
            # wait until the others have had their share (the check below needs two)
            if all(len(runs[kind]) >= 4 for kind in KINDS) and len(holders) >= min(count, 2):
                break
            assert all(w.poll() is None for w in workers), (tmp_path / "worker-0.log").read_text()[
                -3000:
            ]
            time.sleep(0.5)
        else:
            pytest.fail(f"periodic runs did not happen: {dict(runs)}")
    finally:
        for worker in workers:
            _stop(worker)
    runs = _runs_since(ctx, started)
    for kind in KINDS:
        periods = Counter(p for p, _ in runs[kind])
        assert periods and max(periods.values()) == 1, (kind, periods)
        assert all(datetime.fromisoformat(p).timestamp() % PERIOD == 0 for p in periods)
    if count > 1:  # the runs really were shared between processes
        holders = {holder.split(":")[1] for kind in KINDS for _, holder in runs[kind]}
        assert len(holders) >= 2
    with ctx.session_factory() as session:
        stuck = session.scalar(
            select(func.count()).where(
                Job.kind.in_(KINDS), Job.created_at >= started, Job.status == "dead"
            )
        )
    assert stuck == 0


def _runs_since(ctx: AppContext, started: datetime) -> dict[str, list[tuple[str, str]]]:
    with ctx.session_factory() as session:
        rows = session.execute(
            select(Job.kind, Job.payload, Job.locked_by).where(
                Job.kind.in_(KINDS), Job.created_at >= started, Job.status == "done"
            )
        ).all()
    runs: dict[str, list[tuple[str, str]]] = {kind: [] for kind in KINDS}
    for kind, payload, holder in rows:
        runs[kind].append((payload["period"], holder or ""))
    return runs
