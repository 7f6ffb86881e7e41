"""The database job queue: claiming, retries with backoff, dead jobs, expired leases."""

from __future__ import annotations

import dataclasses
import threading
import time
import uuid
from datetime import timedelta

from akte.core.database import session_scope, utcnow
from akte.jobs import repository
from akte.jobs.models import Job
from akte.jobs.registry import PermanentJobError, batch_task, task
from akte.jobs.worker import BackgroundWorker, run_next, run_one

CALLS: dict[str, list] = {}


@task("test.record")
def _record(ctx, payload):
    CALLS.setdefault(payload["key"], []).append(payload)


@task("test.flaky")
def _flaky(ctx, payload):
    CALLS.setdefault(payload["key"], []).append(payload)
    raise RuntimeError("storage hiccup")


@task("test.bad_input")
def _bad_input(ctx, payload):
    raise PermanentJobError("PDF is password-protected")


TOGETHER = threading.Barrier(2, timeout=30)


@task("test.together")
def _together(ctx, payload):
    TOGETHER.wait()  # returns only when a second job is running at the same time
    CALLS.setdefault(payload["key"], []).append(threading.current_thread().name)


#: The keys each call of the batch handler got, in order.
BATCHES: list[list[str]] = []


@batch_task("test.batched", size=4)
def _batched(ctx, payloads):
    BATCHES.append([p["key"] for p in payloads])
    if any(p.get("bad") for p in payloads):
        raise PermanentJobError("one payload is bad")


def _enqueue(ctx, kind: str, **payload) -> int:
    with session_scope(ctx.session_factory) as session:
        return repository.enqueue(session, kind, payload, max_attempts=3).id


def _job(ctx, job_id: int) -> Job:
    with ctx.session_factory() as session:
        return session.get(Job, job_id)


def _run_only(ctx, kind: str) -> bool:
    return run_one(ctx, kinds=[kind])


def test_a_job_runs_once_and_is_done(ctx):
    key = uuid.uuid4().hex
    job_id = _enqueue(ctx, "test.record", key=key)
    while _run_only(ctx, "test.record"):
        pass
    assert len(CALLS[key]) == 1
    assert _job(ctx, job_id).status == "done"


def test_failures_back_off_then_park_as_dead(ctx):
    key = uuid.uuid4().hex
    job_id = _enqueue(ctx, "test.flaky", key=key)
    assert _run_only(ctx, "test.flaky")
    job = _job(ctx, job_id)
    assert job.status == "queued" and job.attempts == 1
    assert job.run_after > utcnow() + timedelta(seconds=3)
    assert "storage hiccup" in job.last_error
    for _ in range(2):
        with session_scope(ctx.session_factory) as session:
            session.get(Job, job_id).run_after = utcnow()
        assert _run_only(ctx, "test.flaky")
    job = _job(ctx, job_id)
    assert job.status == "dead" and job.attempts == 3
    assert len(CALLS[key]) == 3


def test_permanent_error_goes_dead_at_once(ctx):
    job_id = _enqueue(ctx, "test.bad_input")
    assert _run_only(ctx, "test.bad_input")
    job = _job(ctx, job_id)
    assert job.status == "dead" and job.attempts == 1
    assert "password-protected" in job.last_error


def test_a_dead_workers_job_is_claimed_again_after_its_lease(ctx):
    key = uuid.uuid4().hex
    job_id = _enqueue(ctx, "test.record", key=key)
    with session_scope(ctx.session_factory) as session:
        claimed = repository.claim(
            session, worker_id="crashed", lease_seconds=600, kinds=["test.record"]
        )
        assert claimed.id == job_id
    assert not _run_only(ctx, "test.record")  # still leased to the crashed worker
    with session_scope(ctx.session_factory) as session:
        session.get(Job, job_id).locked_until = utcnow() - timedelta(seconds=1)
    assert _run_only(ctx, "test.record")
    job = _job(ctx, job_id)
    assert job.status == "done" and job.attempts == 2
    assert len(CALLS[key]) == 1


def test_concurrent_workers_never_take_the_same_job(ctx):
    keys = [uuid.uuid4().hex for _ in range(30)]
    for key in keys:
        _enqueue(ctx, "test.record", key=key)
    errors: list[BaseException] = []

    def drain() -> None:
        try:
            while _run_only(ctx, "test.record"):
                pass
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=drain) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert all(len(CALLS[key]) == 1 for key in keys)


def test_jobs_of_unknown_kinds_wait_instead_of_failing(ctx):
    job_id = _enqueue(ctx, "feature.not_installed")
    run_one(ctx)
    assert _job(ctx, job_id).status == "queued"


def test_a_small_upload_queued_after_a_big_scan_is_processed_first(client, ctx, world):
    """Lanes: the 200-page scan (here: a file over the interactive size) was queued first,
    yet a worker takes the citizen's one-page upload before it; the scan follows."""
    from akte.documents.intake import INTERACTIVE_MAX_BYTES, PROCESS_TASK

    def upload(data: bytes, name: str) -> str:
        response = client.post(
            f"/api/v1/case-files/{world.case_a1.id}/documents",
            files={"file": (name, data, "application/pdf")},
            headers=world.headers["caseworker_a1"],
        )
        assert response.status_code == 201, response.text
        return response.json()["id"]

    body = b"1 0 obj << /Type /Catalog >> endobj\n"
    big = upload(
        b"%PDF-1.4\n" + body * (INTERACTIVE_MAX_BYTES // len(body) + 10) + b"%%EOF\n",
        "scan-200-seiten.pdf",
    )
    small = upload(
        b"%PDF-1.4\n" + body * 20 + uuid.uuid4().hex.encode() + b"\n%%EOF\n", "bescheid.pdf"
    )
    taken: list[str] = []
    worker = f"lane-test-{uuid.uuid4().hex[:6]}"
    while len({big, small} & set(taken)) < 2:
        with session_scope(ctx.session_factory) as session:
            job = repository.claim(
                session, worker_id=worker, lease_seconds=60, kinds=[PROCESS_TASK]
            )
            assert job is not None, f"the queue ran dry having taken {taken}"
            taken.append(job.payload["document_id"])
    assert taken.index(small) < taken.index(big)


def test_the_embedded_worker_runs_two_documents_side_by_side(ctx):
    """The in-process worker of ``akte serve`` takes a second job while the first one is
    still running (one loop per core, ``AKTE_INPROCESS_WORKER_THREADS``): each job here
    waits until another one runs beside it, so one loop alone would fail both."""
    TOGETHER.reset()
    key = uuid.uuid4().hex
    job_ids = [_enqueue(ctx, "test.together", key=key) for _ in range(2)]
    worker = BackgroundWorker(ctx, threads=2)
    worker.start()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and any(
            _job(ctx, job_id).status != "done" for job_id in job_ids
        ):
            time.sleep(0.2)
    finally:
        worker.stop()
    assert [_job(ctx, job_id).status for job_id in job_ids] == ["done", "done"]
    assert len(set(CALLS[key])) == 2


def test_a_processed_document_is_indexed_before_the_next_upload_is_processed(client, ctx, world):
    """Uploads arriving faster than they are processed must not keep the ones already
    ``ready`` out of search: the index job of a processed document is taken before the
    processing of uploads queued earlier."""
    from akte.documents import events
    from akte.documents.intake import PROCESS_TASK

    queued = []
    for n in range(3):
        response = client.post(
            f"/api/v1/case-files/{world.case_a1.id}/documents",
            files={"file": (f"brief-{n}.pdf", _small_pdf(), "application/pdf")},
            headers=world.headers["caseworker_a1"],
        )
        assert response.status_code == 201, response.text
        queued.append(response.json()["id"])
    with session_scope(ctx.session_factory) as session:  # what processing the first does
        events.document_changed(session, uuid.UUID(queued[0]))
    with session_scope(ctx.session_factory) as session:
        job = repository.claim(
            session,
            worker_id=f"lane-{uuid.uuid4().hex[:6]}",
            lease_seconds=60,
            kinds=[PROCESS_TASK, events.INDEX_DOCUMENT],
        )
        assert job is not None
        assert (job.kind, job.payload["document_id"]) == (events.INDEX_DOCUMENT, queued[0])


def _small_pdf() -> bytes:
    body = b"1 0 obj << /Type /Catalog >> endobj\n"
    return b"%PDF-1.4\n" + body * 20 + uuid.uuid4().hex.encode() + b"\n%%EOF\n"


def test_pending_jobs_of_a_batch_kind_run_in_one_call_up_to_the_batch_size(ctx):
    keys = [uuid.uuid4().hex for _ in range(6)]
    ids = [_enqueue(ctx, "test.batched", key=k) for k in keys]
    assert run_next(ctx, kinds=["test.batched"]) == 4
    assert run_next(ctx, kinds=["test.batched"]) == 2
    assert run_next(ctx, kinds=["test.batched"]) == 0
    assert BATCHES[-2:] == [keys[:4], keys[4:]]
    for job_id in ids:
        job = _job(ctx, job_id)
        assert (job.status, job.attempts, job.locked_until) == ("done", 1, None)


def test_a_failing_batch_runs_each_job_alone_and_only_the_bad_one_fails(ctx):
    keys = [uuid.uuid4().hex for _ in range(4)]
    ids = [_enqueue(ctx, "test.batched", key=k, bad=(n == 1)) for n, k in enumerate(keys)]
    assert run_next(ctx, kinds=["test.batched"]) == 4
    assert BATCHES[-5:] == [keys, *([k] for k in keys)]  # the batch, then each alone
    assert [_job(ctx, i).status for i in ids] == ["done", "dead", "done", "done"]
    assert "one payload is bad" in _job(ctx, ids[1]).last_error
    assert [_job(ctx, i).attempts for i in ids] == [1, 1, 1, 1]


def test_a_batch_takes_only_due_jobs_of_its_kind_that_no_other_worker_holds(ctx):
    held = _enqueue(ctx, "test.batched", key=uuid.uuid4().hex)
    with session_scope(ctx.session_factory) as session:
        claimed = repository.claim(
            session, worker_id="elsewhere", lease_seconds=600, kinds=["test.batched"]
        )
        assert claimed is not None and claimed.id == held
    due = _enqueue(ctx, "test.batched", key=uuid.uuid4().hex)
    with session_scope(ctx.session_factory) as session:
        later = repository.enqueue(
            session, "test.batched", {"key": uuid.uuid4().hex}, delay_seconds=3600
        ).id
    other = _enqueue(ctx, "test.record", key=uuid.uuid4().hex)
    try:
        assert run_next(ctx, kinds=["test.batched", "test.record"]) == 1
        assert _job(ctx, due).status == "done"
        assert _job(ctx, held).locked_by == "elsewhere" and _job(ctx, held).status == "running"
        assert _job(ctx, later).status == "queued"
        assert _job(ctx, other).status == "queued"
    finally:
        with session_scope(ctx.session_factory) as session:
            repository.complete(session, held, "elsewhere")
            session.get(Job, later).run_after = utcnow()
        while _run_only(ctx, "test.batched") or _run_only(ctx, "test.record"):
            pass


def test_an_idle_embedded_worker_takes_a_job_the_moment_its_transaction_commits(ctx):
    """The in-process worker polls every 30 s here. A job this process commits (an upload
    on the embedded default) is taken at once, not at the next poll; and stopping the
    worker does not wait for the poll either."""
    slow = dataclasses.replace(
        ctx, settings=ctx.settings.model_copy(update={"worker_poll_seconds": 30.0})
    )
    worker = BackgroundWorker(slow, threads=1)
    worker.start()
    try:
        time.sleep(1.0)  # the loop has looked for work and waits
        key = uuid.uuid4().hex
        job_id = _enqueue(ctx, "test.record", key=key)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _job(ctx, job_id).status != "done":
            time.sleep(0.05)
        assert _job(ctx, job_id).status == "done"
        assert len(CALLS[key]) == 1
    finally:
        started = time.monotonic()
        worker.stop()
        stopped_in = time.monotonic() - started
    assert stopped_in < 5
