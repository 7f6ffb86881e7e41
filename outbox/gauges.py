"""Outbox gauges for ``/metrics`` (collected by :mod:`akte.operations.metrics`).

``akte_outbox_batches{status}`` counts batches; ``akte_outbox_batches_ack_overdue`` counts
batches the provider downloaded but did not acknowledge within the tenant's
``ack_timeout_seconds`` (the offer expired); ``akte_outbox_oldest_unacknowledged_seconds``
is the age of the oldest sealed batch not yet handed over, which also catches a provider
that stopped fetching at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from outbox.models import Batch, BatchStatus


def collect(session: Session, now: datetime) -> Iterator[Metric]:
    batches = GaugeMetricFamily(
        "akte_outbox_batches", "Letter batches by status.", labels=["status"]
    )
    for status, n in session.execute(select(Batch.status, func.count()).group_by(Batch.status)):
        batches.add_metric([str(status)], n)
    yield batches
    overdue = (
        session.scalar(
            select(func.count()).where(
                Batch.status == BatchStatus.ready, Batch.offer_expires_at < now
            )
        )
        or 0
    )
    yield GaugeMetricFamily(
        "akte_outbox_batches_ack_overdue",
        "Downloaded batches whose acknowledgement is overdue.",
        value=overdue,
    )
    oldest = session.scalar(
        select(func.min(Batch.sealed_at)).where(Batch.status == BatchStatus.ready)
    )
    yield GaugeMetricFamily(
        "akte_outbox_oldest_unacknowledged_seconds",
        "Age of the oldest sealed batch not yet handed over.",
        value=max((now - oldest).total_seconds(), 0.0) if oldest else 0.0,
    )
