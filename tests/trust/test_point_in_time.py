"""Point-in-time recovery on PostgreSQL, as docs/OPERATIONS.md describes it: WAL archiving
plus a base backup, recovery to a moment between two uploads; then ``akte fsck --repair``
removes the blob of the upload after that moment, and the restored installation is
consistent, with its audit log intact."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

from akte.app import create_app
from akte.audit import anchors
from akte.core.context import AppContext
from akte.core.migrations import upgrade
from akte.operations.fsck import check
from tests.builders import make_world
from tests.client import TestClient
from tests.conftest import embedded_settings
from tests.infra.ports import free_port
from tests.infra.postgres import _pg_binary
from tests.ingest.samples import text_pdf
from tests.trust.pgcluster import Cluster, own_cluster


def _as_postgres(cluster: Cluster, *args: str) -> None:
    subprocess.run([*cluster.run_as, *args], check=True, capture_output=True)


def _upload(client, world, data: bytes) -> str:
    r = client.post(
        f"/api/v1/case-files/{world.case_a1.id}/documents",
        files={"file": ("scan.pdf", data, "application/pdf")},
        headers=world.headers["caseworker_a1"],
    )
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _sql(url: str, statement: str):  # type: ignore[no-untyped-def]
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            return conn.execute(text(statement)).scalar()
    finally:
        engine.dispose()


def test_recovery_to_a_moment_between_two_uploads(tmp_path):
    with own_cluster() as cluster:
        wal = cluster.workdir / "wal"
        wal.mkdir()
        if cluster.run_as:
            shutil.chown(wal, "aktepg")
        cluster.stop()
        with (cluster.workdir / "data" / "postgresql.conf").open("a") as conf:
            conf.write(
                f"\nwal_level = replica\narchive_mode = on\n"
                f"archive_command = 'cp %p {wal}/%f'\narchive_timeout = 0\n"
            )
        cluster.start()
        settings = embedded_settings(tmp_path, database_url=cluster.url)
        # a cluster of its own, made for this test: no template there to copy
        upgrade(settings.effective_database_url)
        base = cluster.workdir / "base"
        _as_postgres(
            cluster,
            _pg_binary("pg_basebackup"),
            "-h",
            "127.0.0.1",
            "-p",
            str(cluster.port),
            "-U",
            "postgres",
            "-D",
            str(base),
            "-X",
            "stream",
            # an immediate checkpoint: the default "spread" one paces its writes over
            # minutes (checkpoint_timeout) and took 25-50 s of this test; what is drilled
            # is the recovery from the backup, not how gently it was taken
            "--checkpoint=fast",
        )

        ctx = AppContext.from_settings(settings)
        try:
            world = make_world(ctx)
            before = text_pdf([[f"vor dem Zeitpunkt {uuid.uuid4().hex}"]])
            after = text_pdf([[f"nach dem Zeitpunkt {uuid.uuid4().hex}"]])
            with TestClient(create_app(ctx=ctx, start_worker=False)) as client:
                kept = _upload(client, world, before)
                anchors.seal_and_anchor(ctx)
                # the target lies strictly between the two uploads' commits (timestamps
                # of the same server clock, in microseconds); a tenth of a second apart
                # on either side is ample
                time.sleep(0.1)
                target = _sql(cluster.url, "SELECT now()::text")
                time.sleep(0.1)
                lost = _upload(client, world, after)
            segment = _sql(cluster.url, "SELECT pg_walfile_name(pg_switch_wal())")
            deadline = time.monotonic() + 60
            while not (wal / segment).exists():  # the archiver copies the finished segment
                assert time.monotonic() < deadline, f"WAL segment {segment} was not archived"
                time.sleep(0.05)
        finally:
            ctx.close()
        cluster.stop()

        recovered = Cluster(
            Path(tempfile.mkdtemp(prefix="akte-pitr-")), free_port(), cluster.run_as
        )
        shutil.copytree(base, recovered.workdir / "data", symlinks=True)
        data = recovered.workdir / "data"
        with (data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"\narchive_mode = off\nrestore_command = 'cp {wal}/%f %p'\n"
                f"recovery_target_time = '{target}'\n"
                "recovery_target_action = 'promote'\n"
            )
        (data / "recovery.signal").touch()
        if cluster.run_as:
            subprocess.run(["chown", "-R", "aktepg", str(recovered.workdir)], check=True)
            data.chmod(0o700)
        recovered.start()
        try:
            deadline = time.monotonic() + 120  # connections are accepted before promotion
            while _sql(recovered.url, "SELECT pg_is_in_recovery()"):
                assert time.monotonic() < deadline, "recovery did not reach its target"
                time.sleep(0.05)
            restored = AppContext.from_settings(
                embedded_settings(tmp_path, database_url=recovered.url)
            )
            try:
                with TestClient(create_app(ctx=restored, start_worker=False)) as client:
                    cw = world.headers["caseworker_a1"]
                    r = client.get(f"/api/v1/documents/{kept}/content", headers=cw)
                    assert r.status_code == 200 and r.content == before
                    assert client.get(f"/api/v1/documents/{lost}", headers=cw).status_code == 404
                report = check(restored, check_index=False)
                assert len(report.orphaned) == 1  # the later upload's blob, no row names it
                check(restored, repair=True, grace_seconds=0, check_index=False)
                assert check(restored, check_index=False).clean
                assert anchors.verify(restored).ok
            finally:
                restored.close()
        finally:
            subprocess.run(
                [*cluster.run_as, _pg_binary("pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                check=False,
                capture_output=True,
            )
            shutil.rmtree(recovered.workdir, ignore_errors=True)
