"""Which job failures are outages ("not now") rather than failures of the job's data.

An outage is retried for as long as ``AKTE_JOB_OUTAGE_SECONDS`` allows (two hours by
default) without using up the job's attempts: a storage server that restarts, an S3 that
answers ``SlowDown``, a database failover or a full disk that an operator empties must
not fail documents. Everything else is an ordinary failure with ``max_attempts``.
"""

from __future__ import annotations

from sqlalchemy.exc import DisconnectionError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from akte.core.errors import ServiceUnavailable
from akte.core.storage.faults import classify
from akte.jobs.registry import TransientJobError


def is_transient(exc: BaseException) -> bool:
    if isinstance(
        exc,
        (TransientJobError, ServiceUnavailable, OperationalError, DisconnectionError, PoolTimeout),
    ):
        return True
    return classify(exc) is not None


def describe_outage(seconds: float) -> str:
    """``"2 h"``, ``"45 min"``: how long an outage lasted, for people."""
    if seconds >= 3600:
        hours = round(seconds / 3600, 0 if seconds >= 10 * 3600 else 1)
        return f"{hours:g} h"
    return f"{max(round(seconds / 60), 1)} min"
