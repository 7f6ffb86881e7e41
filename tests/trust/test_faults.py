"""Faults: storage and database outages, a killed worker, a lost search index. Each test
ends with fsck finding nothing wrong with its documents, and every accepted document
present exactly once."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid

import pytest
from sqlalchemy import update

from akte.app import create_app
from akte.core.database import session_scope
from akte.jobs import repository as jobs
from akte.jobs.models import Job
from akte.jobs.registry import task
from akte.jobs.worker import run_until_idle
from tests.client import TestClient
from tests.trust.helpers import (
    assert_consistent,
    cli_env,
    copies_of,
    document_count,
    fsck,
    make_jobs_due,
    status_of,
    text_pdf,
    upload,
)


@pytest.mark.parametrize("ctx", ["production"], indirect=True)
def test_s3_stopped_during_upload_and_processing(ctx, client, world, s3):
    if s3.process is None:
        pytest.fail("the test S3 server is external; cannot stop it")
    first = upload(client, world, text_pdf(f"Lohnabrechnung {uuid.uuid4()}"))
    second_bytes = text_pdf(f"Kontoauszug {uuid.uuid4()}")
    before = document_count(ctx, world.case_a1.id)
    s3.stop()
    try:
        r = client.post(
            f"/api/v1/case-files/{world.case_a1.id}/documents",
            files={"file": ("k.pdf", second_bytes, "application/pdf")},
            headers=world.headers["caseworker_a1"],
        )
        assert r.status_code == 503, r.text
        assert document_count(ctx, world.case_a1.id) == before
        run_until_idle(ctx)  # processing the first document cannot fetch it: retried later
        assert status_of(ctx, first["id"]) != "ready"
        with session_scope(ctx.session_factory) as session:
            job = session.scalars(jobs.list_jobs(session, kind="ingest.process_document")).first()
            assert job is not None
    finally:
        s3.start()
    second = upload(client, world, second_bytes)
    make_jobs_due(ctx, [first["id"]])
    run_until_idle(ctx)
    assert status_of(ctx, first["id"]) == "ready"
    assert status_of(ctx, second["id"]) == "ready"
    for doc in (first, second):
        assert copies_of(ctx, doc["sha256"]) == 1
    assert_consistent(fsck(ctx), [first["sha256"], second["sha256"]], [first["id"], second["id"]])


@task("trust.sleep")
def _sleep(ctx, payload) -> None:
    time.sleep(float(payload.get("seconds", 0)) if payload.get("in_subprocess") else 0)


def test_worker_sigkilled_mid_job_the_job_runs_again(ctx, client, world, clock):
    """The lease of a killed worker's job expires; another worker takes the job over, and
    a document accepted meanwhile is processed all the same."""
    doc = upload(client, world, text_pdf(f"Mietvertrag {uuid.uuid4()}"))
    with session_scope(ctx.session_factory) as session:
        job_id = jobs.enqueue(session, "trust.sleep", {"seconds": 30, "in_subprocess": True}).id
    env = {**os.environ, **cli_env(ctx), "AKTE_JOB_LEASE_SECONDS": "1", "PYTHONPATH": os.getcwd()}
    script = (
        "import tests.trust.test_faults\n"
        "from akte.cli import main\n"
        "import sys; sys.argv=['akte','worker','--processes','1']; main()\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script],
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with session_scope(ctx.session_factory) as session:
                if session.get(Job, job_id).status == "running":
                    break
            time.sleep(0.1)
        else:
            raise AssertionError("the worker never took the job")
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the worker and its child process, mid-job
        proc.wait(10)
    with session_scope(ctx.session_factory) as session:
        assert session.get(Job, job_id).status == "running"  # stuck until the lease ends
        session.execute(update(Job).where(Job.id == job_id).values(payload={"seconds": 0}))
    clock.advance(1.2)  # past the dead worker's 1 s lease
    run_until_idle(ctx)
    with session_scope(ctx.session_factory) as session:
        job = session.get(Job, job_id)
        assert job.status == "done" and job.attempts == 2
    assert status_of(ctx, doc["id"]) == "ready"
    assert copies_of(ctx, doc["sha256"]) == 1
    assert_consistent(fsck(ctx, sample=0), [doc["sha256"]], [doc["id"]])


def test_search_index_deleted_reports_degraded_and_rebuild_restores(ctx, world, tmp_path):
    try:
        from search import indexing
    except ImportError:
        pytest.skip("no search package in this installation")
    from tests.search.conftest import search_context

    # an index of the test's own: deleting the session's would break every later search test
    own = search_context(ctx, tmp_path / "index")
    word = f"Heizkosten{uuid.uuid4().hex[:8]}"
    with TestClient(create_app(ctx=own, start_worker=False)) as client:
        doc = upload(client, world, text_pdf(f"Nachweis {word}"))
        run_until_idle(own)
        headers = world.headers["caseworker_a1"]
        hits = client.get("/api/v1/search", params={"q": word}, headers=headers)
        assert hits.status_code == 200, hits.text
        assert hits.json()["total"] == 1
        service = indexing.get(own)
        service.close()
        shutil.rmtree(tmp_path / "index")
        r = client.get("/api/v1/search", params={"q": word}, headers=headers)
        assert r.status_code == 503 and r.json()["error"] == "search_degraded", r.text
        service.reindex(own)
        hits = client.get("/api/v1/search", params={"q": word}, headers=headers)
        assert hits.status_code == 200 and hits.json()["total"] == 1
        assert copies_of(ctx, doc["sha256"]) == 1
        assert_consistent(fsck(own, sample=0), [doc["sha256"]], [doc["id"]])
        service.close()


def test_a_process_starting_while_s3_restarts_waits_for_it(s3):
    """The object store is down when a process starts (compose brings both up at once,
    or S3 restarts): creating the bucket waits for it instead of failing the start,
    within a bound; a store that stays down still fails the start with an outage."""
    import threading

    from akte.core.errors import StorageUnavailable
    from akte.core.storage.s3 import S3BlobStore

    if s3.process is None:
        pytest.fail("the test S3 server is external; cannot stop it")
    bucket = f"akte-start-{uuid.uuid4().hex[:12]}"
    store = S3BlobStore(
        endpoint=s3.endpoint,
        access_key=s3.access_key,
        secret_key=s3.secret_key,
        bucket=bucket,
        secure=False,
        region="us-east-1",
    )
    s3.stop()
    try:
        started = time.monotonic()
        with pytest.raises(StorageUnavailable):
            store.ensure_bucket(wait_seconds=1.5)
        assert time.monotonic() - started >= 1.0, "asked again before giving up"

        outcome: list[BaseException | None] = []

        def start_process() -> None:
            try:
                store.ensure_bucket(wait_seconds=90)
                outcome.append(None)
            except BaseException as exc:  # reported by the assertion below
                outcome.append(exc)

        starting = threading.Thread(target=start_process)
        starting.start()
        time.sleep(2)
        assert starting.is_alive() and not outcome, "still waiting for the store"
    finally:
        s3.start()
    starting.join(120)
    assert outcome == [None]
    assert store.client.bucket_exists(bucket)
