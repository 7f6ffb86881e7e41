"""``akte scrub`` and the periodic ``operations.scrub`` job re-hash blobs at a bounded rate,
flag damage in the database (downloads then refuse), say what to do, and notice a restore."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import delete, select, update
from typer.testing import CliRunner

from akte.app import create_app
from akte.core.context import AppContext
from akte.core.database import session_scope, utcnow
from akte.core.storage.base import blob_key
from akte.core.storage.digests import BlobDigest
from akte.jobs import scheduler
from akte.jobs.models import Job, JobSchedule
from akte.jobs.worker import run_one
from akte.operations.scrub import MB, Throttle, scrub
from akte.operations.tasks import PERIODIC
from tests.client import TestClient
from tests.trust.helpers import cli_app, cli_env, corrupt_blob, isolated_context, unique_pdf, upload


@pytest.fixture(params=["embedded", "production"])
def ctx(request, tmp_path) -> Iterator[AppContext]:
    """A database and storage of this module's own: a scrub walks every blob that rows name,
    so what other tests leave in the shared ones (made-up hashes, deliberate damage) must
    not decide which blobs a bounded scrub picks."""
    with isolated_context(request, tmp_path, "akte-scrub") as context:
        yield context


@pytest.fixture
def client(ctx: AppContext) -> Iterator[TestClient]:
    with TestClient(create_app(ctx=ctx, start_worker=False)) as test_client:
        yield test_client


def _row(ctx, sha256: str) -> BlobDigest | None:
    with session_scope(ctx.session_factory) as session:
        row = session.get(BlobDigest, sha256)
        if row is not None:
            session.expunge(row)
        return row


def _oldest_first(ctx, *digests: str) -> None:
    """Make these blobs the first a bounded scrub picks: every other one was just verified."""
    with session_scope(ctx.session_factory) as session:
        session.execute(update(BlobDigest).values(verified_at=utcnow()))
        session.execute(
            update(BlobDigest).where(BlobDigest.blob.in_(digests)).values(verified_at=None)
        )


def test_scrub_finds_damage_marks_it_and_notices_the_restore(ctx, client, world):
    good = upload(client, world)
    bad_bytes = unique_pdf("rot")
    bad = upload(client, world, bad_bytes)
    corrupt_blob(ctx, bad["sha256"], bad_bytes[:-1] + b"!")
    _oldest_first(ctx, good["sha256"], bad["sha256"])

    report = scrub(ctx, limit=2)
    assert report.checked == 2
    [finding] = report.findings
    assert finding.sha256 == bad["sha256"] and finding.problem == "damaged"
    assert f"original of document {bad['id']}" in finding.uses[0]
    assert "restore it from backup" in finding.advice()
    assert _row(ctx, bad["sha256"]).damaged_at is not None
    assert _row(ctx, good["sha256"]).verified_at is not None
    download = client.get(
        f"/api/v1/documents/{bad['id']}/content", headers=world.headers["caseworker_a1"]
    )
    assert download.status_code == 503 and download.json()["error"] == "blob_damaged"

    corrupt_blob(ctx, bad["sha256"], bad_bytes)  # restored from backup
    again = scrub(ctx, blobs=[bad["sha256"]])
    assert again.clean and again.restored == [bad["sha256"]]
    assert _row(ctx, bad["sha256"]).damaged_at is None


def test_scrub_records_digests_of_blobs_stored_before_them(ctx, client, world):
    doc = upload(client, world)
    with session_scope(ctx.session_factory) as session:
        session.execute(delete(BlobDigest).where(BlobDigest.blob == doc["sha256"]))
    _oldest_first(ctx)
    report = scrub(ctx, limit=1)  # a blob without digests comes first
    assert report.recorded == 1
    row = _row(ctx, doc["sha256"])
    assert row is not None and row.chunk_size == 64 * 1024 and row.verified_at


def test_missing_blob_is_reported(ctx, client, world):
    data = unique_pdf("missing")
    doc = upload(client, world, data)
    ctx.storage.delete(doc["sha256"])
    report = scrub(ctx, blobs=[doc["sha256"]])
    assert [(f.sha256, f.problem) for f in report.findings] == [(doc["sha256"], "missing")]
    ctx.storage.put_bytes(data)


def test_throttle_bounds_the_read_rate():
    throttle = Throttle(4 * MB)
    started = time.monotonic()
    for _ in range(8):
        throttle.consume(MB // 4)  # 2 MB at 4 MB/s: at least half a second
    assert time.monotonic() - started >= 0.45


def test_scrub_command_prints_what_to_do_and_exits_1(ctx, client, world):
    data = unique_pdf("cli")
    doc = upload(client, world, data)
    corrupt_blob(ctx, doc["sha256"], os.urandom(len(data)))
    _oldest_first(ctx, doc["sha256"])
    result = CliRunner().invoke(
        cli_app(), ["scrub", "--limit", "1", "--rate", "50"], env=cli_env(ctx)
    )
    assert result.exit_code == 1, result.output
    assert blob_key(doc["sha256"]) in result.output
    assert "restore it from backup" in result.output and "DAMAGE: 1 blob(s)" in result.output
    corrupt_blob(ctx, doc["sha256"], data)
    fine = CliRunner().invoke(cli_app(), ["scrub", "--blob", doc["sha256"]], env=cli_env(ctx))
    assert fine.exit_code == 0 and "restored 1" in fine.output


def test_periodic_scrub_runs_once_per_period(ctx, client, world):
    data = unique_pdf("periodic")
    doc = upload(client, world, data)
    corrupt_blob(ctx, doc["sha256"], data[:10])
    _oldest_first(ctx, doc["sha256"])
    with session_scope(ctx.session_factory) as session:
        assert scheduler.tick(session, ctx.settings, names=[PERIODIC]) == [], (
            "a new schedule waits one interval before the first scrub"
        )
        session.execute(
            update(JobSchedule).where(JobSchedule.name == PERIODIC).values(next_run_at=utcnow())
        )
    with session_scope(ctx.session_factory) as session:
        [queued] = scheduler.tick(session, ctx.settings, names=[PERIODIC])
    assert run_one(ctx, kinds=[PERIODIC])
    assert _row(ctx, doc["sha256"]).damaged_at is not None
    with session_scope(ctx.session_factory) as session:
        assert session.get(Job, queued.job_id).status == "done"
        assert not session.scalars(
            select(Job).where(Job.kind == PERIODIC, Job.status == "queued")
        ).all()
        assert session.get(JobSchedule, PERIODIC).next_run_at > utcnow()
    corrupt_blob(ctx, doc["sha256"], data)
