"""Prometheus metrics: the process-local instruments of :mod:`akte.core.metrics` (summed over
every process of the host in multiprocess mode), plus gauges read from the database when
scraped, so every process reports the same queue depth whichever one Prometheus reaches.

Database gauges (all bounded by job kinds and states, never ids):

* ``akte_jobs{kind,status}``: the queue; ``akte_job_oldest_due_seconds{kind}``: how long
  the oldest job that could run has been waiting (the "queue backing up" signal, which a
  count alone is not); ``akte_jobs_lease_expired{kind}``: running jobs whose worker
  stopped renewing (died) and that nobody has taken over yet;
  ``akte_workers_busy``: distinct workers holding a live lease.
* ``akte_documents{status}``, ``akte_processing_failures``, ``akte_pages{method}``.
* ``akte_audit_oldest_unsealed_seconds``: how long the oldest entry waits for the seal (the
  "seal overdue" signal; a quiet night writes no anchors, so the anchor time is not it);
  ``akte_audit_last_anchor_timestamp_seconds``.
* ``akte_health_check{check}``: the ``/readyz`` checks as 1/0.
* whatever feature packages add in a ``gauges`` module (``collect(session, now)``
  yielding metric families), e.g. the outbox's unacknowledged batches.
* ``akte_database_up``: 0 when the scrape could not read the database; the scrape still
  answers with the process metrics.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import distinct, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from akte.core.context import AppContext
from akte.core.database import session_scope, utcnow

log = logging.getLogger("akte.metrics")
CONTENT_TYPE = CONTENT_TYPE_LATEST


def _gauge(
    name: str,
    help_text: str,
    labels: Iterable[str] = (),
    rows: Iterable[tuple[tuple[str, ...], float]] = (),
) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, help_text, labels=list(labels))
    for values, value in rows:
        family.add_metric(list(values), float(value))
    return family


def _job_gauges(session: Session, now) -> Iterator[Metric]:  # type: ignore[no-untyped-def]
    from akte.jobs.models import Job

    by_status = session.execute(
        select(Job.kind, Job.status, func.count()).group_by(Job.kind, Job.status)
    )
    yield _gauge(
        "akte_jobs",
        "Jobs in the queue by kind and status.",
        ("kind", "status"),
        (((k, s), n) for k, s, n in by_status),
    )
    oldest = session.execute(
        select(Job.kind, func.min(Job.run_after))
        .where(Job.status == "queued", Job.run_after <= now)
        .group_by(Job.kind)
    )
    yield _gauge(
        "akte_job_oldest_due_seconds",
        "Seconds the oldest runnable queued job of each kind has waited.",
        ("kind",),
        (((k,), max((now - t).total_seconds(), 0.0)) for k, t in oldest),
    )
    expired = session.execute(
        select(Job.kind, func.count())
        .where(Job.status == "running", Job.locked_until < now)
        .group_by(Job.kind)
    )
    yield _gauge(
        "akte_jobs_lease_expired",
        "Running jobs whose lease ran out (their worker died) by kind.",
        ("kind",),
        (((k,), n) for k, n in expired),
    )
    busy = (
        session.scalar(
            select(func.count(distinct(Job.locked_by))).where(
                Job.status == "running", Job.locked_until >= now
            )
        )
        or 0
    )
    yield _gauge("akte_workers_busy", "Workers holding a live job lease.", (), [((), busy)])


def _document_gauges(session: Session) -> Iterator[Metric]:
    from akte.documents.models import Document, DocumentPage
    from akte.jobs.models import Job

    docs = dict(
        session.execute(select(Document.status, func.count()).group_by(Document.status)).all()
    )
    yield _gauge(
        "akte_documents",
        "Documents by processing status.",
        ("status",),
        (((str(s),), n) for s, n in docs.items()),
    )
    dead = (
        session.scalar(
            select(func.count()).where(Job.kind == "ingest.process_document", Job.status == "dead")
        )
        or 0
    )
    failed = next((n for s, n in docs.items() if str(s) == "failed"), 0)
    yield _gauge(
        "akte_processing_failures",
        "Documents whose processing failed plus dead processing jobs.",
        (),
        [((), failed + dead)],
    )
    pages = dict(
        session.execute(
            select(DocumentPage.method, func.count()).group_by(DocumentPage.method)
        ).all()
    )
    yield _gauge(
        "akte_pages",
        "Recognised pages by method (ocr, text-layer).",
        ("method",),
        (((m,), pages.get(m, 0)) for m in ("ocr", "text-layer")),
    )


def _audit_gauges(session: Session, now) -> Iterator[Metric]:  # type: ignore[no-untyped-def]
    from akte.audit.models import AuditAnchor, AuditEntry

    oldest = session.scalar(
        select(AuditEntry.at).where(AuditEntry.seq.is_(None)).order_by(AuditEntry.id).limit(1)
    )
    yield _gauge(
        "akte_audit_oldest_unsealed_seconds",
        "Age of the oldest audit entry not yet sealed into the chain (0: none).",
        (),
        [((), max((now - oldest).total_seconds(), 0.0) if oldest else 0.0)],
    )
    last = session.scalar(select(AuditAnchor.at).order_by(AuditAnchor.seq.desc()).limit(1))
    if last is not None:
        yield _gauge(
            "akte_audit_last_anchor_timestamp_seconds",
            "When the audit chain head was last anchored (Unix time).",
            (),
            [((), last.timestamp())],
        )


class DatabaseCollector:
    """Reads the gauges in one short session per scrape."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def collect(self) -> Iterator[Metric]:
        from akte.features import feature_modules

        families: list[Metric] = []
        up = 1
        try:
            with session_scope(self.ctx.session_factory) as session:
                now = utcnow()
                families += _job_gauges(session, now)
                families += _document_gauges(session)
                families += _audit_gauges(session, now)
                for module in feature_modules("gauges"):
                    families += module.collect(session, now)
        except SQLAlchemyError:  # a scrape must answer even when the database is down
            log.warning("metrics: database unreachable", exc_info=True)
            families, up = [], 0
        yield from families
        yield _gauge(
            "akte_database_up", "Whether this scrape could read the database.", (), [((), up)]
        )


class HealthCollector:
    """``akte_health_check{check}``: 1 when a ``/readyz`` check is ok, else 0, so alerts
    can tell search, OCR, outbox, database and storage apart."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def collect(self) -> Iterator[Metric]:
        from akte.core.health import OK, readiness

        result = readiness(self.ctx)
        yield _gauge(
            "akte_health_check",
            "Readiness checks (1 ok, 0 failing or degraded).",
            ("check",),
            (((name,), int(value == OK)) for name, value in sorted(result.checks.items())),
        )


class _ProcessCollector:
    """The default registry of this process (when not in multiprocess mode)."""

    def collect(self) -> Iterator[Metric]:
        return REGISTRY.collect()


def render(ctx: AppContext) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ProcessCollector())  # type: ignore[arg-type]
    registry.register(DatabaseCollector(ctx))  # type: ignore[arg-type]
    registry.register(HealthCollector(ctx))  # type: ignore[arg-type]
    return generate_latest(registry)
