"""PostgreSQL restarted while the API and its worker run: requests get 503 (never 500)
during the outage, and everything accepted is processed once it is back."""

from __future__ import annotations

import time
import uuid

from akte.app import create_app
from akte.core.context import AppContext
from akte.core.migrations import upgrade
from tests.builders import make_world
from tests.client import TestClient
from tests.conftest import embedded_settings
from tests.trust.helpers import assert_consistent, copies_of, fsck, status_of, text_pdf
from tests.trust.pgcluster import own_cluster


def test_postgres_restart_gives_503_then_recovers(tmp_path):
    with own_cluster() as cluster:
        # a job whose outcome could not be written during the outage stays ``running``
        # until its lease ends, then any worker takes it again: keep the lease short here
        settings = embedded_settings(
            tmp_path, database_url=cluster.url, worker_poll_seconds=0.2, job_lease_seconds=3
        )
        # a cluster of its own, made for this test: no template there to copy
        upgrade(settings.effective_database_url)
        ctx = AppContext.from_settings(settings)
        try:
            world = make_world(ctx)
            app = create_app(ctx=ctx, start_worker=True)
            with TestClient(app) as client:
                _scenario(ctx, client, world, cluster)
        finally:
            ctx.close()


def _post(client, world, data: bytes):
    return client.post(
        f"/api/v1/case-files/{world.case_a1.id}/documents",
        files={"file": ("a.pdf", data, "application/pdf")},
        headers=world.headers["caseworker_a1"],
    )


def _scenario(ctx, client, world, cluster) -> None:
    first = _post(client, world, text_pdf(f"vorher {uuid.uuid4()}"))
    assert first.status_code == 201, first.text
    second_bytes = text_pdf(f"nachher {uuid.uuid4()}")
    cluster.stop()
    try:
        r = client.get("/api/v1/case-files", headers=world.headers["caseworker_a1"])
        assert r.status_code == 503, r.text
        assert r.json()["error"] == "service_unavailable"
        assert _post(client, world, second_bytes).status_code == 503
        assert client.get("/readyz").status_code == 503
        assert client.get("/metrics").status_code == 200  # monitoring still answers
    finally:
        cluster.start()
    second = _post(client, world, second_bytes)
    assert second.status_code == 201, second.text
    ids = [first.json()["id"], second.json()["id"]]
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:  # the in-process worker carried on by itself
        if all(status_of(ctx, i) == "ready" for i in ids):
            break
        time.sleep(0.5)
    assert [status_of(ctx, i) for i in ids] == ["ready", "ready"]
    digests = [first.json()["sha256"], second.json()["sha256"]]
    assert [copies_of(ctx, d) for d in digests] == [1, 1]
    report = fsck(ctx)
    assert_consistent(report, digests, ids)
    assert report.clean, report  # this database is ours alone: nothing else may be wrong
