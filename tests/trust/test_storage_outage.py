"""A storage outage during processing is waited out, never a document failure; one that
outlasts the outage budget ends the job dead and the document ``failed`` with a reason
that says so, and ``akte reprocess --failed`` brings it back once storage is.

Faults are real (see :mod:`tests.trust.outage`): on the production pair the S3 server
answers HTTP 500 through a proxy, on the embedded pair the blob folder (a tmpfs) is full
while the archive PDF is written. Time is the only thing simulated: a job's
``outage_since`` is set back instead of waiting two hours.
"""

from __future__ import annotations

import uuid

from typer.testing import CliRunner

from akte.jobs.worker import run_until_idle
from ingest.cli import app as reprocess_app
from tests.ingest.conftest import worker_env
from tests.trust.helpers import make_jobs_due, status_of, text_pdf, upload
from tests.trust.outage import outage_lasted, process_jobs, storage_fault


def _reason(ctx, document_id) -> str:
    from akte.core.database import session_scope
    from akte.documents.models import Document

    with session_scope(ctx.session_factory) as session:
        return session.get(Document, uuid.UUID(str(document_id))).status_reason or ""


def test_outage_of_an_hour_is_waited_out_without_failing(ctx, client, world, monkeypatch, request):
    s3 = request.getfixturevalue("s3") if not ctx.settings.is_sqlite else None
    with storage_fault(ctx, monkeypatch, s3) as fault:
        doc = upload(client, world, text_pdf(f"Lohnabrechnung {uuid.uuid4()}"))
        fault.start()
        try:
            run_until_idle(ctx)
            for minutes in (1, 20, 61):  # retries over more than an hour of outage
                [job] = process_jobs(ctx, [doc["id"]])
                assert job.status == "queued" and job.outage_since is not None
                assert job.attempts == 0, "an outage must not use up attempts"
                assert status_of(ctx, doc["id"]) == "processing"
                outage_lasted(ctx, [doc["id"]], minutes * 60)
                run_until_idle(ctx)
            [job] = process_jobs(ctx, [doc["id"]])
            assert job.status == "queued"
            assert "Storage" in job.last_error or "storage" in job.last_error
        finally:
            fault.end()
        make_jobs_due(ctx, [doc["id"]])
        run_until_idle(ctx)
        assert status_of(ctx, doc["id"]) == "ready"
        [job] = process_jobs(ctx, [doc["id"]])
        assert job.status == "done" and job.outage_since is None


def test_outage_longer_than_the_budget_fails_the_document_with_a_way_forward(
    ctx, client, world, monkeypatch, request
):
    s3 = request.getfixturevalue("s3") if not ctx.settings.is_sqlite else None
    with storage_fault(ctx, monkeypatch, s3) as fault:
        doc = upload(client, world, text_pdf(f"Kontoauszug {uuid.uuid4()}"))
        fault.start()
        try:
            run_until_idle(ctx)
            outage_lasted(ctx, [doc["id"]], 2 * 3600 + 5)
            run_until_idle(ctx)
            [job] = process_jobs(ctx, [doc["id"]])
            assert job.status == "dead"
            assert status_of(ctx, doc["id"]) == "failed"  # not "processing" for ever
            reason = _reason(ctx, doc["id"])
            what = "blob storage full" if ctx.settings.is_sqlite else "storage unavailable"
            assert reason == (
                f"processing could not finish: {what} for 2 h — `akte reprocess` will retry"
            ), reason
        finally:
            fault.end()
        out = CliRunner().invoke(
            reprocess_app,
            ["--failed", "--tenant", world.tenant_a.slug],
            env=worker_env(ctx),
            catch_exceptions=False,
        )
        assert out.exit_code == 0, out.output
        assert status_of(ctx, doc["id"]) == "received"
        run_until_idle(ctx)
        assert status_of(ctx, doc["id"]) == "ready"


def test_s3_slowdown_is_retried_like_any_outage(ctx, client, world, monkeypatch, request):
    if ctx.settings.is_sqlite:
        return  # SlowDown is an S3 answer; the embedded pair's disk is covered above
    with storage_fault(ctx, monkeypatch, request.getfixturevalue("s3"), status=503) as fault:
        doc = upload(client, world, text_pdf(f"Mietvertrag {uuid.uuid4()}"))
        fault.start()
        try:
            run_until_idle(ctx)
            [job] = process_jobs(ctx, [doc["id"]])
            assert job.status == "queued" and job.attempts == 0
            assert status_of(ctx, doc["id"]) == "processing"
        finally:
            fault.end()
        make_jobs_due(ctx, [doc["id"]])
        run_until_idle(ctx)
        assert status_of(ctx, doc["id"]) == "ready"


def test_job_that_dies_of_an_ordinary_error_fails_its_document(ctx, client, world, monkeypatch):
    """Not an outage (Tesseract is missing): the attempts run out, the job is dead, and
    the document says so instead of staying ``processing``."""
    from sqlalchemy import update

    from akte.core.database import session_scope
    from akte.jobs.models import Job
    from tests.ingest import samples

    scan = samples.png_bytes(samples.render_lines(["Bewilligungsbescheid"]))
    r = client.post(
        f"/api/v1/case-files/{world.case_a1.id}/documents",
        files={"file": ("scan.png", scan, "image/png")},
        headers=world.headers["caseworker_a1"],
    )
    assert r.status_code == 201, r.text
    doc = r.json()
    [job] = process_jobs(ctx, [doc["id"]])
    with session_scope(ctx.session_factory) as session:
        session.execute(update(Job).where(Job.id == job.id).values(max_attempts=2))
    # no tesseract on this worker: what starting it raised before the long-lived engine,
    # which reads pages without the program, so the missing program is simulated here
    from ingest import isolated

    def no_tesseract(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise FileNotFoundError(2, "No such file or directory", "tesseract")

    monkeypatch.setattr(isolated, "process", no_tesseract)
    for _ in range(2):
        make_jobs_due(ctx, [doc["id"]])
        run_until_idle(ctx)
    [job] = process_jobs(ctx, [doc["id"]])
    assert job.status == "dead" and job.outage_since is None
    assert status_of(ctx, doc["id"]) == "failed"
    reason = _reason(ctx, doc["id"])
    assert reason.startswith("processing could not finish after 2 attempts ("), reason
    assert reason.endswith("— `akte reprocess` will retry")
    monkeypatch.undo()
    out = CliRunner().invoke(
        reprocess_app, [doc["id"]], env=worker_env(ctx), catch_exceptions=False
    )
    assert "queued 1 documents" in out.output
    run_until_idle(ctx)
    assert status_of(ctx, doc["id"]) == "ready"


def test_web_and_portal_uploads_answer_the_outage_and_store_nothing(
    ctx, world, monkeypatch, request
):
    """The caseworker's multi-file upload and the citizen portal refuse the whole request
    with 503/507 and Retry-After (not "400, file refused"), and work once storage does."""
    from tests.web.conftest import browser, csrf_of, login
    from tests.web.test_security import citizen_with_upload

    s3 = request.getfixturevalue("s3") if not ctx.settings.is_sqlite else None
    expected = 507 if ctx.settings.is_sqlite else 503
    with storage_fault(ctx, monkeypatch, s3) as fault:
        staff = browser(ctx)
        login(staff, world.users["caseworker_a1"].username)
        case_url = f"/app/akten/{world.case_a1.id}"
        citizen, _receipt = citizen_with_upload(ctx, world, f"vorher-{uuid.uuid4().hex}.pdf")
        fault.start()
        try:
            data = text_pdf(f"Bescheinigung {uuid.uuid4()}")
            name = f"ausfall-{uuid.uuid4().hex[:8]}.pdf"
            refused = staff.post(
                f"{case_url}/upload",
                data={"csrf_token": csrf_of(staff.get(case_url).text)},
                files=[("files", (name, data, "application/pdf"))],
            )
            assert refused.status_code == expected, refused.text
            assert "Retry-After" in refused.headers
            portal = citizen.post(
                "/upload/files",
                data={"csrf_token": csrf_of(citizen.get("/upload/files").text)},
                files=[("files", ("c.pdf", data, "application/pdf"))],
            )
            assert portal.status_code == expected, portal.text
            assert "Retry-After" in portal.headers
            assert name not in staff.get(case_url).text
        finally:
            fault.end()
        stored = staff.post(
            f"{case_url}/upload",
            data={"csrf_token": csrf_of(staff.get(case_url).text)},
            files=[("files", (name, data, "application/pdf"))],
            headers={"Accept": "application/json"},
        )
        assert stored.status_code == 201 and stored.json()["stored"] == 1, stored.text


def test_full_work_folder_is_an_outage_not_a_failure(ctx, client, world, monkeypatch):
    """The worker's temporary folder (a full tmpfs here) is storage too: processing waits
    for space instead of failing the document."""
    import tempfile

    from tests.infra.fault_proxy import fill, full_disk

    doc = upload(client, world, text_pdf(f"Heizkostenabrechnung {uuid.uuid4()}"))
    with full_disk(1024) as volume:
        ballast = fill(volume, leave_bytes=0)
        monkeypatch.setattr(tempfile, "tempdir", str(volume))
        run_until_idle(ctx)
        [job] = process_jobs(ctx, [doc["id"]])
        assert job.status == "queued" and job.outage_since is not None and job.attempts == 0
        assert status_of(ctx, doc["id"]) == "processing"
        ballast.unlink()  # space is back
        make_jobs_due(ctx, [doc["id"]])
        run_until_idle(ctx)
        monkeypatch.undo()
    assert status_of(ctx, doc["id"]) == "ready"
