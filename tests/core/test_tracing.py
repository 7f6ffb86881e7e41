"""OpenTelemetry tracing: off by default, and when on, a request leaves a span named by its
route with the HTTP status, and its SQL statements as child spans of the same trace."""

from __future__ import annotations

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from akte.app import create_app
from akte.core import tracing
from tests.client import TestClient
from tests.conftest import embedded_settings

ROUTE = "/api/v1/case-files/{case_file_id}"


def _route_spans(exporter: InMemorySpanExporter) -> list:  # type: ignore[type-arg]
    return [
        s
        for s in exporter.get_finished_spans()
        if s.attributes.get("http.route") == ROUTE and s.kind.name == "SERVER"
    ]


def test_a_request_leaves_a_span_with_its_route_and_status(ctx, world):
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    app = create_app(ctx=ctx, start_worker=False, tracer_provider=provider)
    with TestClient(app) as client:
        headers = world.headers["caseworker_a1"]
        assert (
            client.get(f"/api/v1/case-files/{world.case_a1.id}", headers=headers).status_code == 200
        )
        # another unit's Akte: refused, and the span says so
        assert client.get(
            f"/api/v1/case-files/{world.case_a2.id}", headers=headers
        ).status_code in (403, 404)
        assert client.get("/healthz").status_code == 200
    spans = _route_spans(exporter)
    statuses = [
        s.attributes.get("http.response.status_code", s.attributes.get("http.status_code"))
        for s in spans
    ]
    assert statuses[0] == 200 and statuses[1] in (403, 404), statuses
    assert all(ROUTE in s.name for s in spans)
    trace_id = spans[0].context.trace_id
    sql = [
        s
        for s in exporter.get_finished_spans()
        if s.context.trace_id == trace_id
        and ({"db.statement", "db.query.text"} & set(s.attributes))
    ]
    assert sql, "the request's SQL is traced under the request"
    assert not [
        s
        for s in exporter.get_finished_spans()  # probes are left out
        if any("/healthz" in str(v) for v in [s.name, *s.attributes.values()])
    ]


def test_tracing_is_off_by_default_and_switched_on_by_the_standard_variables(tmp_path, monkeypatch):
    for name in (
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "OTEL_SDK_DISABLED",
        "AKTE_OTEL_ENDPOINT",
    ):
        monkeypatch.delenv(name, raising=False)
    settings = embedded_settings(tmp_path)
    assert tracing.endpoint(settings) is None
    app = create_app(settings)
    assert not [m for m in app.user_middleware if "OpenTelemetry" in str(m.cls)]
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")
    assert tracing.endpoint(settings) == "http://collector:4318"
    own = embedded_settings(tmp_path, otel_endpoint="http://tempo:4318/v1/traces")
    assert tracing.endpoint(own) == "http://tempo:4318/v1/traces"
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    assert tracing.endpoint(own) is None
