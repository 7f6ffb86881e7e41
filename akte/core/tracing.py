"""Optional OpenTelemetry tracing of requests and SQL, off by default.

Operators who already run a tracing backend (Jaeger, Tempo, an OpenTelemetry Collector)
switch it on with ``AKTE_OTEL_ENDPOINT`` (an OTLP/HTTP traces URL, e.g.
``http://otel-collector:4318/v1/traces``) or the standard ``OTEL_EXPORTER_OTLP_ENDPOINT`` /
``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``; ``OTEL_SERVICE_NAME``, ``OTEL_RESOURCE_ATTRIBUTES``
and ``OTEL_TRACES_SAMPLER`` work as the SDK documents them, and ``OTEL_SDK_DISABLED=true``
wins over everything. Without an endpoint nothing is imported or installed: no cost and
no new failure mode for the many installations that do not trace.

The packages are the optional extra ``akte[otel]`` (pinned in constraints.txt); an
endpoint set without them is a configuration error that stops the start, rather than a
silent "tracing is on" that sends nothing. Spans: one per request (FastAPI: route template,
method, status) with the SQL statements below it (SQLAlchemy). Request ids stay in the
JSON log lines; the worker is not traced yet.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from fastapi import FastAPI
from sqlalchemy import Engine

from akte.core.settings import Settings

log = logging.getLogger("akte.tracing")

_ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")


def endpoint(settings: Settings) -> str | None:
    """Where spans go, or None: tracing is off."""
    if os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return None
    if settings.otel_endpoint:
        return settings.otel_endpoint
    for name in _ENDPOINT_VARIABLES:
        if os.environ.get(name):
            return os.environ[name]
    return None


def provider_for(url: str) -> Any:
    """A tracer provider exporting in batches over OTLP/HTTP to ``url``."""
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError as exc:
        raise RuntimeError(
            "tracing is configured (AKTE_OTEL_ENDPOINT/OTEL_EXPORTER_OTLP_*) "
            "but the packages are missing: pip install 'akte[otel]'"
        ) from exc
    resource = Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", "akte")})
    provider = TracerProvider(resource=resource)
    exporter = (
        OTLPSpanExporter(endpoint=url)
        if url.rstrip("/").endswith("/v1/traces")
        else OTLPSpanExporter(endpoint=url.rstrip("/") + "/v1/traces")
    )
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


def instrument_app(app: FastAPI, provider: Any) -> None:
    """Spans for every request (route template as the span name, status as attribute).
    Health and metrics probes are left out: they would drown the requests people make."""
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(
        app, tracer_provider=provider, excluded_urls="healthz,readyz,metrics"
    )


def instrument_engine(engine: Engine, provider: Any) -> None:
    """Spans for this engine's statements. The instrumentor's ``instrument()`` would also
    patch ``create_engine`` process-wide and runs only once per process; an engine tracer
    of its own per engine does neither."""
    from opentelemetry import metrics, trace
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
    from opentelemetry.instrumentation.sqlalchemy.version import __version__

    tracer = trace.get_tracer(
        "opentelemetry.instrumentation.sqlalchemy", __version__, tracer_provider=provider
    )
    usage = metrics.NoOpMeter("akte").create_up_down_counter("db.client.connections.usage")
    EngineTracer(tracer, engine, usage)  # type: ignore[no-untyped-call]


def install(app: FastAPI, settings: Settings, provider: Any = None) -> Any | None:
    """Instrument ``app`` when tracing is configured (or a ``provider`` is given: tests use
    the SDK's in-memory exporter); returns the provider (or None) so the engine, made
    later, is instrumented with the same one."""
    if provider is None:
        url = endpoint(settings)
        if url is None:
            return None
        provider = provider_for(url)
        log.info("tracing on: spans go to %s", url)
    instrument_app(app, provider)
    return provider
