"""Wake this process's idle worker loops when a transaction that queued a job commits.

On the embedded default the API and its worker share a process: an upload's processing
job is taken the moment the upload's transaction commits, not at the loop's next poll
(``AKTE_WORKER_POLL_SECONDS``, a second by default, so half a second later on average). A
job queued by another process, or due later (a retry's back-off), is still found by
polling; so are jobs on a separate ``akte worker``.

:func:`akte.jobs.repository.enqueue` marks the session (:func:`note_queued`); the
session's ``after_commit`` rings the bell; a loop waiting in :func:`wait` wakes. A
rolled-back transaction rings nothing.
"""

from __future__ import annotations

import threading

from sqlalchemy import event
from sqlalchemy.orm import Session

_QUEUED = "akte.jobs.queued"
_bell = threading.Condition()
_rings = 0


def note_queued(session: Session) -> None:
    """The session's transaction queued a job: ring when it commits."""
    session.info[_QUEUED] = True


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop(_QUEUED, False):
        ring()


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_QUEUED, None)


def ring() -> None:
    """Wake every loop waiting in :func:`wait` (also used to stop them at once)."""
    global _rings
    with _bell:
        _rings += 1
        _bell.notify_all()


def rings() -> int:
    """How often the bell rang so far: read before looking for work, passed to
    :func:`wait`, so a ring between the look and the wait is not missed."""
    with _bell:
        return _rings


def wait(seen: int, timeout: float) -> None:
    """Until the bell rang since ``seen`` was read, or ``timeout`` seconds passed."""
    with _bell:
        _bell.wait_for(lambda: _rings != seen, timeout)
