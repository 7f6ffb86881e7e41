"""Fault test: a worker killed with SIGKILL in the middle of OCR loses nothing.

A real ``akte worker`` process (the production entry point, configured through ``AKTE_*``
environment variables against the test database and storage) is killed — together with its
Tesseract children — while it OCRs a multi-page scan. The job's short lease expires, a new
worker claims it again and finishes it: the document exists once, with one archive PDF and
one set of page texts.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from sqlalchemy import func, select

from akte.core.context import AppContext
from akte.core.database import session_scope
from akte.documents.models import Document, DocumentPage
from akte.jobs.models import Job
from tests.builders import World
from tests.ingest import samples
from tests.ingest.conftest import add_document, load, worker_env

LEASE_SECONDS = 4
PAGES = 6


def start_worker(ctx: AppContext, cwd: Path) -> subprocess.Popen:
    akte = Path(sys.executable).with_name("akte")
    return subprocess.Popen(
        [str(akte), "worker", "--processes", "1"],
        env=worker_env(ctx, LEASE_SECONDS),
        cwd=cwd,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def ocr_running(worker: subprocess.Popen) -> bool:
    """Whether the worker has a process working for it: a ``tesseract`` child (the command
    line engine) or the child that processes the document (``ingest/isolated.py``), in
    which the long-lived engine reads pages in-process and no ``tesseract`` appears."""
    try:
        children = psutil.Process(worker.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return False
    for child in children:
        try:
            if child.name() == "tesseract" or child.cpu_times().user > 0.5:
                return True
        except psutil.Error:  # it ended between the listing and the look
            continue
    return False


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


@pytest.mark.timeout(180)
def test_sigkilled_worker_leaves_the_job_to_the_next_one(
    ctx: AppContext, world: World, tmp_path: Path
) -> None:
    scan = samples.image_pdf([samples.render_lines(samples.LETTER)] * PAGES)
    document_id = add_document(ctx, world, scan, "akte-scan.pdf")

    first = start_worker(ctx, tmp_path)
    try:
        # Other tests' queued jobs may come first: wait for *this* document's OCR.
        wait_for(
            lambda: load(ctx, document_id)[0].status == "processing" and ocr_running(first),
            120,
            "the first worker to start OCR",
        )
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(10)
    document, current, pages = load(ctx, document_id)
    assert document.status == "processing" and pages == []  # killed mid-job
    assert current.archive_sha256 is None

    second = start_worker(ctx, tmp_path)
    try:
        wait_for(
            lambda: load(ctx, document_id)[0].status in ("ready", "failed"),
            120,
            "the second worker to finish the document",
        )
    finally:
        os.killpg(second.pid, signal.SIGTERM)
        try:
            second.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(second.pid, signal.SIGKILL)
            second.wait(10)

    document, current, pages = load(ctx, document_id)
    assert document.status == "ready", document.status_reason
    assert current.page_count == PAGES
    assert [p.page_no for p in pages] == list(range(1, PAGES + 1))
    assert all("Lohnabrechnungen" in p.text for p in pages)
    assert ctx.storage.stat(current.archive_sha256) is not None
    with session_scope(ctx.session_factory) as session:
        assert (
            session.scalar(
                select(func.count())
                .select_from(Document)
                .where(Document.case_file_id == world.case_a1.id)
            )
            == 1
        )
        assert (
            session.scalar(
                select(func.count())
                .select_from(DocumentPage)
                .where(DocumentPage.version_id == current.id)
            )
            == PAGES
        )
        job = next(
            j
            for j in session.scalars(select(Job).where(Job.kind == "ingest.process_document"))
            if j.payload.get("document_id") == str(document_id)
        )
        assert job.status == "done" and job.attempts == 2
