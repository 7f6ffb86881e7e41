"""The time akte reads, in one place, so that tests can move it instead of sleeping.

Every deadline akte keeps in its tables (job ``run_after`` and leases, acknowledgement
timeouts, upload codes, sessions, grants) is computed from
:func:`akte.core.database.utcnow`, which reads :data:`CLOCK`, and so is the expiry of
akte's signed tokens (:mod:`akte.core.security`) and of OpenID Connect ID tokens. In
production the clock is the system's; a test calls :meth:`Clock.advance` to let a lease
lapse or a timeout pass at once. The clock moves by an offset rather than standing still,
so threads that wait in real time (a lease's heartbeat) still see time pass.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class Clock:
    def __init__(self) -> None:
        self._offset = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def advance(self, seconds: float) -> None:
        """Move the clock forward, as if ``seconds`` had passed."""
        self._offset += timedelta(seconds=seconds)

    def reset(self) -> None:
        self._offset = timedelta(0)


CLOCK = Clock()
