"""The process-local Prometheus instruments (``prometheus_client``), defined once so the
core (requests, jobs, storage) can count without importing the operations package.

With ``PROMETHEUS_MULTIPROC_DIR`` set before this module is first imported (``akte serve``
and ``akte worker`` set it from ``AKTE_METRICS_DIR``), every process writes its values
to files there and one scrape of any API process returns the sum over all processes of the
host: uvicorn workers and ``akte worker`` processes alike. Without it each process counts
for itself (the embedded default: one process).

Labels are bounded: route *templates*, job kinds, outcomes; never ids or tenant names.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

#: Request latency buckets in seconds: a p95 target of 200 ms sits between two of them.
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
#: Job run time buckets in seconds: OCR of a long scan takes minutes.
JOB_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0)

HTTP_REQUESTS = Counter(
    "akte_http_requests_total",
    "HTTP requests by method, route template and status.",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "akte_http_request_duration_seconds",
    "HTTP request latency by route template.",
    ["route"],
    buckets=HTTP_BUCKETS,
)
JOBS_FINISHED = Counter(
    "akte_jobs_finished_total",
    "Job runs by kind and outcome (done, retry, outage, dead, lost).",
    ["kind", "outcome"],
)
JOB_DURATION = Histogram(
    "akte_job_duration_seconds",
    "Run time of a job's handler by kind.",
    ["kind"],
    buckets=JOB_BUCKETS,
)
STORAGE_ERRORS = Counter(
    "akte_storage_errors_total",
    "Object storage calls that failed with an outage (unavailable) or a full store (full).",
    ["kind"],
)
