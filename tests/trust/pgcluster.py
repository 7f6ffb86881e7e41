"""A throw-away PostgreSQL cluster this test can stop and start.

The machine's shared PostgreSQL serves other people's tests, so outage tests never touch
it; they run their own cluster (same binaries as :mod:`tests.infra.postgres`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.infra.ports import free_port, wait_for_port
from tests.infra.postgres import _pg_binary


@dataclass
class Cluster:
    workdir: Path
    port: int
    run_as: list[str]

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _ctl(self, *args: str) -> None:
        subprocess.run(
            [*self.run_as, _pg_binary("pg_ctl"), "-D", str(self.workdir / "data"), *args],
            check=True,
            capture_output=True,
        )

    def start(self) -> None:
        self._ctl(
            "-l",
            str(self.workdir / "log"),
            "-o",
            f"-p {self.port} -k {self.workdir} -c listen_addresses=127.0.0.1",
            "-w",
            "start",
        )
        wait_for_port(self.port)

    def stop(self) -> None:
        self._ctl("-m", "fast", "-w", "stop")


@contextmanager
def own_cluster() -> Iterator[Cluster]:
    workdir = Path(tempfile.mkdtemp(prefix="akte-trust-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        subprocess.run(["useradd", "-M", "-r", "aktepg"], check=False, capture_output=True)
        shutil.chown(workdir, "aktepg")
        run_as = ["runuser", "-u", "aktepg", "--"]
    subprocess.run(
        [
            *run_as,
            _pg_binary("initdb"),
            "-D",
            str(workdir / "data"),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
        ],
        check=True,
        capture_output=True,
    )
    cluster = Cluster(workdir, free_port(), run_as)
    cluster.start()
    try:
        yield cluster
    finally:
        subprocess.run(
            [*run_as, _pg_binary("pg_ctl"), "-D", str(workdir / "data"), "-m", "immediate", "stop"],
            check=False,
            capture_output=True,
        )
        shutil.rmtree(workdir, ignore_errors=True)
