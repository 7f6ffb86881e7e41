"""Each test runs only the jobs it queued, although the tests of a backend share one database.

Uploads through the API queue jobs (OCR, indexing, letters) that most tests never run. Left in
the shared queue, they were run by the next test that calls
:func:`akte.jobs.worker.run_until_idle`: a page test then OCRed the uploads of a hundred
earlier tests (about 200 s in a full run), and a job that backs off for a few seconds ran in
whichever test happened to be running when it fell due.

So pending jobs are discarded when their owner ends:

* after each test, the ``queued`` or ``running`` jobs queued since the test's fixtures of
  wider scope were set up (the test's own and its function fixtures');
* when pytest leaves a module, every pending job (those of the module's fixtures).

Finished jobs (``done``, ``dead``) stay: they are history, never claimed again. Contexts with
a database of their own (a test that builds one) need none of this and are not registered.

Apps built by a module are let go when pytest leaves it (:func:`release_apps`), and what
outlives a module is no longer scanned by the garbage collector (:func:`freeze_survivors`).
"""

from __future__ import annotations

import gc

import fastapi.dependencies.models
from sqlalchemy import delete, func, select

from akte.core.context import AppContext
from akte.core.database import session_scope
from akte.jobs.models import Job

PENDING = ("queued", "running")

_shared: list[AppContext] = []


def share(ctx: AppContext) -> None:
    """Register a context whose database many tests use."""
    _shared.append(ctx)


def forget(ctx: AppContext) -> None:
    if ctx in _shared:
        _shared.remove(ctx)


def shared() -> list[AppContext]:
    return list(_shared)


def high_water(ctx: AppContext) -> int:
    """The newest job id in the queue (0 when it is empty)."""
    with ctx.session_factory() as session:
        return int(session.scalar(select(func.coalesce(func.max(Job.id), 0))) or 0)


def discard_pending(ctx: AppContext, *, after_id: int = 0) -> int:
    """Delete the ``queued`` and ``running`` jobs newer than ``after_id``; how many went."""
    with session_scope(ctx.session_factory) as session:
        result = session.execute(
            delete(Job)
            .where(Job.status.in_(PENDING), Job.id > after_id)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount or 0)


def release_apps() -> None:
    """Let the apps of a finished test module be garbage.

    FastAPI remembers, for each dependency function it has seen, whether it is a generator
    or a coroutine, in ``lru_cache`` wrappers of up to 4,096 functions each
    (``fastapi.dependencies.models``). A dependency defined inside :func:`akte.app.create_app`
    (``readyz``) closes over its app, so every app a test process ever built stayed
    alive: a worker ended a full run with 11 million objects, every full collection took
    about 3 s, and the garbage collector cost 230 s of the run. A server builds one app, so
    this is the test process's problem alone; emptying those caches when a module is done
    is all it takes (each entry is found again on the next request).
    """
    for value in vars(fastapi.dependencies.models).values():
        clear = getattr(value, "cache_clear", None)
        if callable(clear):
            clear()


def freeze_survivors() -> None:
    """Collect the garbage of the modules before, then set what survived aside from the
    garbage collector (``gc.freeze``): imported code, session fixtures, caches.

    Python's full collections scan every object a process holds. In a test worker that is
    about a million objects by the end of a run, scanned again some 95 times: 65-70 s of
    each worker's time went to the collector even once the apps were let go. Frozen
    objects are skipped, so each full collection scans only what the current module made.
    What the module makes is still collected as usual, so a leak a test looks for (a
    searcher, a file) is found as before. The price: a frozen object that becomes garbage
    inside a reference cycle later is never collected, which a test process can afford.
    """
    gc.collect()
    gc.freeze()
