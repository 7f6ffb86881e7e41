"""Tests share one database per backend; the job queue must still be each test's own.

The first test leaves a job of its tenant queued, as an upload through the API does; the
second, run after it on the same backend, drains the queue and must run only its own job.
The apps a module built must not outlive it either.
"""

from __future__ import annotations

import gc
import threading
import weakref

import pytest
from sqlalchemy import select

from akte.app import create_app
from akte.core.database import session_scope
from akte.jobs import repository
from akte.jobs.models import Job
from akte.jobs.registry import task
from akte.jobs.worker import run_until_idle
from tests import isolation
from tests.client import TestClient

ran_for: list[str] = []
#: backend → the tenant whose job the first test left queued
LEFT_BEHIND: dict[str, str] = {}


@task("test.isolation_record")
def _record(ctx, payload):
    ran_for.append(payload["tenant"])


def _enqueue(ctx, tenant) -> int:
    with session_scope(ctx.session_factory) as session:
        return repository.enqueue(session, "test.isolation_record", {"tenant": str(tenant)}).id


def test_a_test_leaves_a_job_of_its_tenant_queued(ctx, world, backend):
    _enqueue(ctx, world.tenant_a.id)
    LEFT_BEHIND[backend] = str(world.tenant_a.id)


def test_the_next_test_runs_only_its_own_jobs(ctx, world, backend):
    if backend not in LEFT_BEHIND:
        pytest.skip("needs the test before it, which leaves a job behind")
    ran_for.clear()
    _enqueue(ctx, world.tenant_b.id)
    run_until_idle(ctx)
    assert ran_for == [str(world.tenant_b.id)]
    with ctx.session_factory() as session:
        kept = session.scalars(select(Job).where(Job.kind == "test.isolation_record"))
        assert LEFT_BEHIND[backend] not in {job.payload["tenant"] for job in kept}


def test_discarding_keeps_finished_jobs_and_older_pending_ones(ctx, world):
    older = _enqueue(ctx, world.tenant_a.id)
    mark = isolation.high_water(ctx)
    newer_pending, newer_dead = _enqueue(ctx, world.tenant_a.id), _enqueue(ctx, world.tenant_a.id)
    with session_scope(ctx.session_factory) as session:
        session.get(Job, newer_dead).status = "dead"
    assert isolation.discard_pending(ctx, after_id=mark) == 1
    with ctx.session_factory() as session:
        assert session.get(Job, newer_pending) is None
        assert session.get(Job, newer_dead).status == "dead"
        assert session.get(Job, older).status == "queued"


@pytest.fixture(scope="module")
def module_job(ctx) -> int:
    """A job a module fixture queues (as a module's shared upload does) for all its tests."""
    with session_scope(ctx.session_factory) as session:
        return repository.enqueue(session, "test.isolation_record", {"tenant": "module"}).id


def test_a_module_fixtures_job_is_queued(ctx, module_job):
    with ctx.session_factory() as session:
        assert session.get(Job, module_job).status == "queued"


def test_a_module_fixtures_job_stays_for_the_modules_next_test(ctx, module_job):
    with ctx.session_factory() as session:
        assert session.get(Job, module_job).status == "queued"


def _an_app_that_served(ctx) -> weakref.ref:
    """A weak reference to an app that answered ``/readyz`` (whose dependency closes over
    it) and was then dropped, as a module's app is when pytest leaves the module.

    Waits for the threads the client started to end: an AnyIO worker thread keeps the call
    it ran last (``readyz``, and so the app) in its frame until its shutdown item arrives,
    and on a busy machine that can come after the collection below."""
    before = set(threading.enumerate())
    app = create_app(ctx=ctx, start_worker=False)
    with TestClient(app) as client:
        assert client.get("/readyz").status_code == 200
    for thread in set(threading.enumerate()) - before:
        thread.join(timeout=10)
    return weakref.ref(app)


def test_apps_of_a_finished_module_are_garbage_once_released(ctx):
    kept = _an_app_that_served(ctx)
    gc.collect()
    # FastAPI's dependency caches hold the app: without release_apps every app a worker
    # built stayed alive (11 million objects by the end of a full run)
    assert kept() is not None
    isolation.release_apps()
    gc.collect()
    assert kept() is None
