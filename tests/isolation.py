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
"""

from __future__ import annotations

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
