"""``/readyz`` tells "cannot serve" (503) from "degraded" (200, naming what), and
``/metrics`` speaks Prometheus through prometheus_client: bearer token or off in
production, queue age, job outcomes, storage errors, multiprocess sums."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update

from akte.app import create_app
from akte.core.context import AppContext
from akte.core.database import make_engine, session_scope, utcnow
from akte.core.storage import LocalBlobStore
from akte.jobs import repository as jobs
from akte.jobs.models import Job
from akte.jobs.worker import run_until_idle
from outbox import batching
from outbox import settings as outbox_settings
from outbox.models import Batch
from tests.builders import make_world
from tests.client import TestClient
from tests.infra.ports import free_port
from tests.outbox.conftest import make_pdf
from tests.outbox.conftest import upload as upload_letter
from tests.trust.helpers import cli_env, isolated_context, upload
from tests.trust.outage import storage_fault


@pytest.fixture(params=["embedded", "production"])
def ctx(request, tmp_path) -> Iterator[AppContext]:
    """Its own database: readiness and gauges look at every row (overdue batches, queues)."""
    with isolated_context(request, tmp_path, "akte-health") as context:
        yield context


@pytest.fixture
def client(ctx: AppContext) -> Iterator[TestClient]:
    with TestClient(create_app(ctx=ctx, start_worker=False)) as test_client:
        yield test_client


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a scrape by ``(name, sorted labels)``; parsing fails on bad syntax."""
    found = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            found[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return found


def test_ready_when_everything_answers(client):
    r = client.get("/readyz")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok" and body["degraded"] == []
    assert set(body["checks"]) >= {"database", "storage", "search", "ocr", "outbox"}


def test_storage_down_means_cannot_serve(ctx, client, monkeypatch, s3, tmp_path):
    if ctx.settings.is_sqlite:  # the blob volume is gone (unmounted, deleted)
        monkeypatch.setattr(ctx, "storage", LocalBlobStore(tmp_path / "vanishing"))
        shutil.rmtree(tmp_path / "vanishing")
        r = client.get("/readyz")
    else:
        with storage_fault(ctx, monkeypatch, s3) as fault:
            fault.start()
            r = client.get("/readyz")
    assert r.status_code == 503
    body = r.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "ok" and body["checks"]["storage"] != "ok"


def test_database_down_means_cannot_serve_and_says_which(ctx, client, monkeypatch):
    nowhere = make_engine(f"postgresql+psycopg://akte@127.0.0.1:{free_port()}/akte")
    monkeypatch.setattr(ctx, "engine", nowhere)
    r = client.get("/readyz")
    assert r.status_code == 503
    assert r.json()["checks"]["database"].startswith("unreachable")
    assert r.json()["checks"]["storage"] == "ok"


def test_lost_search_index_is_degraded_not_down(ctx, client):
    from search import indexing

    service = indexing.get(ctx)
    format_file = service.backend.format_file
    saved = format_file.read_text()
    format_file.unlink()
    try:
        r = client.get("/readyz")
        assert r.status_code == 200
        assert r.json()["status"] == "degraded" and r.json()["degraded"] == ["search"]
        assert "reindex" in r.json()["checks"]["search"]
    finally:
        format_file.write_text(saved)
    assert client.get("/readyz").json()["status"] == "ok"


def _overdue_batch(ctx, client) -> uuid.UUID:
    world = make_world(ctx)
    with session_scope(ctx.session_factory) as session:
        outbox_settings.put(
            session,
            world.tenant_a.id,
            outbox_settings.TenantOutboxSettings(
                cutoff_times=["14:00"], working_days=[], ack_timeout_seconds=60
            ),
        )
    letter = upload_letter(client, world.headers["caseworker_a1"], world.case_a1.id, make_pdf())
    assert letter.status_code == 201, letter.text
    run_until_idle(ctx)
    (sealed,) = batching.seal(ctx, world.tenant_a.id)
    fetched = client.get(
        f"/api/v1/outbox/batches/{sealed.batch_id}/download", headers=world.headers["provider_a"]
    )
    assert fetched.status_code == 200
    with session_scope(ctx.session_factory) as session:  # the timeout passed unacknowledged
        session.execute(
            update(Batch)
            .where(Batch.id == sealed.batch_id)
            .values(offer_expires_at=utcnow() - timedelta(minutes=5))
        )
    return sealed.batch_id


def test_unacknowledged_batch_is_degraded_and_counted(ctx, client):
    _overdue_batch(ctx, client)
    body = client.get("/readyz").json()
    assert body["status"] == "degraded" and body["degraded"] == ["outbox"]
    found = samples(client.get("/metrics").text)
    assert found[("akte_outbox_batches_ack_overdue", ())] == 1
    assert found[("akte_outbox_oldest_unacknowledged_seconds", ())] > 0


def test_metrics_token_is_required_when_set(ctx, client, monkeypatch):
    monkeypatch.setattr(ctx.settings, "metrics_token", "scrape-" + uuid.uuid4().hex)
    refused = client.get("/metrics")
    assert refused.status_code == 401 and refused.json()["error"] == "not_authenticated"
    wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and "akte_jobs" not in wrong.text
    ok = client.get("/metrics", headers={"Authorization": f"Bearer {ctx.settings.metrics_token}"})
    assert ok.status_code == 200 and "akte_database_up 1.0" in ok.text


def test_metrics_are_off_in_production_without_a_token(ctx, client, monkeypatch):
    monkeypatch.setattr(ctx.settings, "env", "production")
    r = client.get("/metrics")
    assert r.status_code == 403 and r.json()["error"] == "metrics_disabled"


def test_queue_age_job_outcomes_and_storage_errors(ctx, client, monkeypatch, s3, tmp_path):
    world = make_world(ctx)
    before = samples(client.get("/metrics").text)
    with session_scope(ctx.session_factory) as session:
        jobs.enqueue(session, "test.never_handled", {})
        session.execute(
            update(Job)
            .where(Job.kind == "test.never_handled")
            .values(run_after=utcnow() - timedelta(minutes=10))
        )
    upload(client, world)
    run_until_idle(ctx)
    with storage_fault(ctx, monkeypatch, s3) as fault:
        fault.start()
        failed = client.post(
            f"/api/v1/case-files/{world.case_a1.id}/documents",
            files={"file": ("a.pdf", b"%PDF-1.4\n" + uuid.uuid4().bytes * 400, "application/pdf")},
            headers=world.headers["caseworker_a1"],
        )
        assert failed.status_code in (503, 507)
    after = samples(client.get("/metrics").text)
    assert after[("akte_job_oldest_due_seconds", (("kind", "test.never_handled"),))] >= 590
    done = ("akte_jobs_finished_total", (("kind", "ingest.process_document"), ("outcome", "done")))
    assert after[done] >= before.get(done, 0) + 1
    errors = sum(v for (name, _labels), v in after.items() if name == "akte_storage_errors_total")
    assert (
        errors
        >= sum(v for (name, _labels), v in before.items() if name == "akte_storage_errors_total")
        + 1
    )


RECORD = """
from akte.core.metrics import HTTP_REQUESTS
HTTP_REQUESTS.labels(method="GET", route="/probe", status="200").inc(3)
"""
SCRAPE = """
from akte.core.context import AppContext
from akte.core.settings import get_settings
from akte.operations.metrics import render
ctx = AppContext.from_settings(get_settings())
print(render(ctx).decode())
ctx.close()
"""


def test_one_scrape_sums_every_process_in_multiprocess_mode(ctx, tmp_path):
    env = {**cli_env(ctx), "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prom")}
    (tmp_path / "prom").mkdir()
    for _ in range(2):  # two uvicorn workers (or worker processes) that each served 3
        subprocess.run([sys.executable, "-c", RECORD], env=env, check=True, timeout=60)
    out = subprocess.run(
        [sys.executable, "-c", SCRAPE],
        env=env,
        check=True,
        timeout=120,
        capture_output=True,
        text=True,
    ).stdout
    found = samples(out)
    key = ("akte_http_requests_total", (("method", "GET"), ("route", "/probe"), ("status", "200")))
    assert found[key] == 6
    assert found[("akte_database_up", ())] == 1


ROOT = Path(__file__).resolve().parents[2]


def _exported_names(scrape: str) -> set[str]:
    names = set()
    for line in scrape.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            names.add(name)
            if kind == "histogram":
                names.update({f"{name}_bucket", f"{name}_sum", f"{name}_count"})
    return names


def test_alerts_and_dashboard_use_only_metrics_akte_exports(client):
    exported = _exported_names(client.get("/metrics").text)
    rules = yaml.safe_load((ROOT / "deploy/prometheus/akte-alerts.yml").read_text())
    alerts = [rule for group in rules["groups"] for rule in group["rules"]]
    dashboard = json.loads((ROOT / "deploy/grafana/akte-dashboard.json").read_text())
    exprs = [rule["expr"] for rule in alerts] + [
        target["expr"] for panel in dashboard["panels"] for target in panel["targets"]
    ]
    used = {name for expr in exprs for name in re.findall(r"\bakte_[a-z_]+", expr)}
    assert used and used <= exported, used - exported
    guide = (ROOT / "docs/OPERATIONS.md").read_text()
    undocumented = [rule["alert"] for rule in alerts if f"`{rule['alert']}`" not in guide]
    assert not undocumented
