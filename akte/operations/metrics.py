"""Prometheus metrics without a client library: process-local counters and histograms for
HTTP, and gauges read from the database when scraped (so every process reports the same
queue depth, whichever one Prometheus reaches).

With several API processes each counts its own requests; scrape each, or sum them.
"""

from __future__ import annotations

import threading
from collections import defaultdict

from sqlalchemy import func, select

from akte.core.context import AppContext
from akte.core.database import session_scope

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class HttpMetrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: dict[tuple[str, str, str], int] = defaultdict(int)
        self.buckets: dict[str, list[int]] = defaultdict(lambda: [0] * len(BUCKETS))
        self.sums: dict[str, float] = defaultdict(float)
        self.counts: dict[str, int] = defaultdict(int)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        with self._lock:
            self.requests[(method, route, str(status))] += 1
            counts = self.buckets[route]
            for i, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    counts[i] += 1
            self.sums[route] += seconds
            self.counts[route] += 1

    def render(self) -> list[str]:
        lines = [
            "# HELP akte_http_requests_total HTTP requests by route template and status.",
            "# TYPE akte_http_requests_total counter",
        ]
        with self._lock:
            for (method, route, status), n in sorted(self.requests.items()):
                labels = _labels(method=method, route=route, status=status)
                lines.append(f"akte_http_requests_total{labels} {n}")
            lines += [
                "# HELP akte_http_request_duration_seconds Request latency by route template.",
                "# TYPE akte_http_request_duration_seconds histogram",
            ]
            for route, counts in sorted(self.buckets.items()):
                for bound, n in zip(BUCKETS, counts, strict=True):
                    labels = _labels(route=route, le=str(bound))
                    lines.append(f"akte_http_request_duration_seconds_bucket{labels} {n}")
                inf = _labels(route=route, le="+Inf")
                lines.append(f"akte_http_request_duration_seconds_bucket{inf} {self.counts[route]}")
                lines.append(
                    f"akte_http_request_duration_seconds_sum{_labels(route=route)} "
                    f"{self.sums[route]:.6f}"
                )
                lines.append(
                    f"akte_http_request_duration_seconds_count{_labels(route=route)} "
                    f"{self.counts[route]}"
                )
        return lines


HTTP = HttpMetrics()


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(**labels: str) -> str:
    return "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items()) + "}"


def _gauge(name: str, help_text: str, rows: list[tuple[dict[str, str], float]]) -> list[str]:
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
    lines += [f"{name}{_labels(**labels) if labels else ''} {value:g}" for labels, value in rows]
    return lines


def database_gauges(ctx: AppContext) -> list[str]:
    from akte.documents.models import Document, DocumentPage
    from akte.jobs.models import Job

    with session_scope(ctx.session_factory) as session:
        jobs = session.execute(
            select(Job.kind, Job.status, func.count()).group_by(Job.kind, Job.status)
        )
        docs = session.execute(select(Document.status, func.count()).group_by(Document.status))
        ocr = session.scalar(select(func.count()).where(DocumentPage.method == "ocr")) or 0
        text_layer = (
            session.scalar(select(func.count()).where(DocumentPage.method == "text-layer")) or 0
        )
        dead_processing = (
            session.scalar(
                select(func.count()).where(
                    Job.kind == "ingest.process_document", Job.status == "dead"
                )
            )
            or 0
        )
        job_rows = [({"kind": k, "status": s}, n) for k, s, n in jobs]
        doc_rows = [({"status": s}, n) for s, n in docs]
    failed = next((n for labels, n in doc_rows if labels["status"] == "failed"), 0)
    return [
        *_gauge("akte_jobs", "Jobs in the queue by kind and status.", job_rows),
        *_gauge("akte_documents", "Documents by processing status.", doc_rows),
        *_gauge(
            "akte_processing_failures",
            "Documents whose processing failed (status failed) plus dead processing jobs.",
            [({}, failed + dead_processing)],
        ),
        *_gauge(
            "akte_pages",
            "Recognised pages by method (ocr, text-layer).",
            [({"method": "ocr"}, ocr), ({"method": "text-layer"}, text_layer)],
        ),
    ]


def render(ctx: AppContext) -> str:
    lines = HTTP.render()
    try:
        lines += database_gauges(ctx)
        lines += _gauge(
            "akte_database_up", "Whether the last scrape reached the database.", [({}, 1)]
        )
    except Exception:  # a scrape must answer even when the database is down
        lines += _gauge(
            "akte_database_up", "Whether the last scrape reached the database.", [({}, 0)]
        )
    return "\n".join(lines) + "\n"
