"""Operations: Prometheus metrics, JSON logs with request ids, graceful worker shutdown."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime

import psutil

from akte.core.database import session_scope
from akte.jobs import repository as jobs
from akte.jobs.models import Job
from akte.operations.logging import JsonFormatter
from tests.trust.helpers import cli_env, upload


def test_metrics_in_prometheus_text_format(client, world):
    doc = upload(client, world)
    client.get(f"/api/v1/documents/{doc['id']}", headers=world.headers["caseworker_a1"])
    client.get(f"/api/v1/documents/{uuid.uuid4()}", headers=world.headers["caseworker_a1"])
    r = client.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    text = r.text
    assert (
        'akte_http_requests_total{method="GET",route="/api/v1/documents/{document_id}",'
        'status="404"}'
    ) in text
    assert (
        'akte_http_request_duration_seconds_bucket{le="+Inf",'
        'route="/api/v1/documents/{document_id}"}' in text
    )
    assert 'akte_jobs{kind="ingest.process_document",status="queued"}' in text
    assert 'akte_pages{method="ocr"}' in text
    assert "akte_processing_failures " in text
    assert str(doc["id"]) not in text  # ids never become labels
    for line in text.splitlines():  # every sample line parses as "name{labels} value"
        if not line.startswith("#"):
            float(line.rsplit(" ", 1)[1])


def test_json_log_lines_carry_the_request_id(client, world, caplog):
    caplog.set_level(logging.INFO, logger="akte.request")
    r = client.get(
        "/api/v1/case-files",
        headers={**world.headers["caseworker_a1"], "X-Request-ID": "trace-me-42"},
    )
    assert r.headers["x-request-id"] == "trace-me-42"
    records = [rec for rec in caplog.records if rec.name == "akte.request"]
    # the formatter runs where the record was made, so read the id the middleware saw
    line = json.loads(JsonFormatter().format(records[-1]))
    assert line["route"] == "/api/v1/case-files" and line["status"] == 200
    assert "duration_ms" in line


def test_request_id_reaches_log_lines_written_during_the_request():
    from akte.operations.logging import request_id_var

    token = request_id_var.set("abc123")
    try:
        record = logging.makeLogRecord(
            {
                "name": "akte.x",
                "msg": "hello %s",
                "args": ("w",),
                "levelno": 20,
                "levelname": "INFO",
            }
        )
        line = json.loads(JsonFormatter().format(record))
    finally:
        request_id_var.reset(token)
    assert line == {**line, "msg": "hello w", "request_id": "abc123", "level": "info"}


def test_sigterm_lets_the_worker_finish_or_release_its_job(ctx, tmp_path):
    """A ``akte worker`` process gets SIGTERM while a slow job runs: the job must end
    ``done`` (finished) or ``queued`` (released), never stuck ``running``. Before that,
    SIGUSR1 writes where each of its processes is (the job's own frame among them) and
    stops nothing."""
    with session_scope(ctx.session_factory) as session:
        job = jobs.enqueue(session, "trust.sleep", {"seconds": 3}, max_attempts=3)
        # first in line, ahead of jobs other tests left queued in the shared database
        job.run_after = datetime(2000, 1, 1, tzinfo=UTC)
        job_id = job.id
    env = {**os.environ, **cli_env(ctx), "PYTHONPATH": os.getcwd()}
    script = (
        "import time\n"
        "from akte.jobs.registry import task\n"
        "@task('trust.sleep')\n"
        "def _sleep(ctx, payload):\n"
        "    time.sleep(payload['seconds'])\n"
        "from akte.cli import main\n"
        "import sys; sys.argv=['akte','worker','--processes','1']; main()\n"
    )
    # output to a file, not a pipe: a worker that logs more than a pipe holds before the
    # test reads it would block mid-transaction and lock the shared database
    log_path = tmp_path / "worker.log"
    log_file = log_path.open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-c", script],
        env=env,
        start_new_session=True,
        stdout=log_file,
        stderr=subprocess.STDOUT,
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
        (worker,) = psutil.Process(proc.pid).children()  # the process running the job
        worker.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + 10
        while b"in _sleep" not in log_path.read_bytes() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert b"in _sleep" in log_path.read_bytes(), log_path.read_text()[-2000:]
        assert proc.poll() is None  # a stack dump ends nothing
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # the worker and its child process
            proc.wait(10)
        log_file.close()
    out = log_path.read_bytes()
    assert proc.returncode == 0, out.decode()[-2000:]
    with session_scope(ctx.session_factory) as session:
        job = session.get(Job, job_id)
        assert job.status in {"done", "queued"}, (job.status, job.last_error)
        assert job.status == "done"  # this worker finishes the job it holds
    logs = [json.loads(line) for line in out.decode().splitlines() if line.startswith("{")]
    assert any("stopped" in entry["msg"] for entry in logs), "structured worker logs"


def test_sigterm_lets_the_api_finish_a_running_download(tmp_path):
    """``akte serve`` gets SIGTERM in the middle of a large download: the download still
    completes byte for byte, new connections are refused, and the process exits."""
    import hashlib

    import httpx

    from akte.core.context import AppContext
    from tests.builders import make_world
    from tests.conftest import embedded_settings
    from tests.infra.ports import free_port, wait_for_health
    from tests.infra.templates import migrated_sqlite

    migrated_sqlite(tmp_path)
    settings = embedded_settings(tmp_path)
    ctx = AppContext.from_settings(settings)
    world = make_world(ctx)
    big = b"%PDF-1.4\n" + os.urandom(24 * 1024 * 1024)
    doc = ctx.storage.put_bytes(big)
    ctx.close()
    port = free_port()
    env = {
        **os.environ,
        "AKTE_ENV": "test",
        "AKTE_DATA_DIR": str(tmp_path),
        "AKTE_SECRET_KEY": settings.effective_secret_key,
        "AKTE_INPROCESS_WORKER": "false",
    }
    proc = subprocess.Popen(
        [sys.executable, "-c", "from akte.cli import main; main()", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(base, proc, timeout=60)
        headers = world.headers["caseworker_a1"]
        r = httpx.post(
            f"{base}/api/v1/case-files/{world.case_a1.id}/documents",
            headers=headers,
            files={"file": ("big.pdf", big, "application/pdf")},
            timeout=120,
        )
        assert r.status_code == 201, r.text
        digest, received = hashlib.sha256(), 0
        with httpx.stream(
            "GET", f"{base}/api/v1/documents/{r.json()['id']}/content", headers=headers, timeout=60
        ) as response:
            for n, chunk in enumerate(response.iter_bytes(64 * 1024)):
                if n == 2:
                    proc.send_signal(signal.SIGTERM)
                    time.sleep(0.5)  # the server is shutting down while we still read
                    refused = False
                    try:
                        httpx.get(f"{base}/healthz", timeout=2)
                    except httpx.HTTPError:
                        refused = True
                digest.update(chunk)
                received += len(chunk)
        assert received == len(big) and digest.hexdigest() == doc.sha256
        assert refused, "a shutting-down server takes no new connections"
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    lines = [json.loads(x) for x in proc.stderr.read().decode().splitlines() if x.startswith("{")]
    assert any("Finished server process" in line["msg"] for line in lines), lines[-5:]
    request_lines = [line for line in lines if line["logger"] == "akte.request"]
    assert request_lines and all(line.get("request_id") for line in request_lines)
    assert {"route", "status", "duration_ms"} <= set(request_lines[0])


#: A second SIGTERM delivered while the first one's handler is inside ``stop.set()``
#: (holding the event's lock), as ``akte worker`` forwarding a group's SIGTERM does by chance.
_SECOND_SIGTERM_INSIDE_SET = """
import os, signal, threading
from akte.jobs.worker import stop_on_signals

stop = threading.Event()
stop_on_signals(stop)
notify_all = stop._cond.notify_all

sent = []

def notify_all_with_a_second_sigterm():
    if not sent:
        sent.append(1)
        os.kill(os.getpid(), signal.SIGTERM)
        for _ in range(10_000):  # the main thread runs pending handlers at a loop's jump
            pass
    notify_all()

stop._cond.notify_all = notify_all_with_a_second_sigterm
os.kill(os.getpid(), signal.SIGTERM)
print("stopped" if stop.wait(20) else "never stopped", flush=True)
"""


def test_a_second_sigterm_inside_the_first_ones_handler_does_not_hang_the_worker():
    """Before, the handler called ``stop.set()`` itself, and a worker whose second SIGTERM
    came while the first handler held the event's lock waited for that lock forever."""
    done = subprocess.run(
        [sys.executable, "-c", _SECOND_SIGTERM_INSIDE_SET],
        capture_output=True,
        text=True,
        timeout=30,  # the old handler hung here for good
        check=False,
    )
    assert done.stdout.strip() == "stopped", (done.returncode, done.stdout, done.stderr[-2000:])
