"""A PostgreSQL server for the tests: the machine's (127.0.0.1:5432) or one we start.

``AKTE_TEST_PG_URL`` names a server explicitly. Otherwise the local server is tried, and if
none answers a throw-away cluster is made with ``initdb`` and started with ``pg_ctl`` in a
temporary folder. Each test session gets its own freshly created database.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from tests.infra.leftovers import mark_owned
from tests.infra.ports import free_port, wait_for_port


def _reachable(dsn: str) -> bool:
    try:
        with psycopg.connect(dsn, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


def _pg_binary(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not candidates:
        raise RuntimeError(f"{name} not found: install PostgreSQL (apt-get install postgresql)")
    return candidates[-1]


@contextmanager
def _own_cluster() -> Iterator[str]:
    workdir = Path(tempfile.mkdtemp(prefix="akte-pg-"))
    data = workdir / "data"
    port = free_port()
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
            str(data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
        ],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            *run_as,
            _pg_binary("pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(workdir / "log"),
            "-o",
            f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1",
            "-w",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    try:
        wait_for_port(port)
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*run_as, _pg_binary("pg_ctl"), "-D", str(data), "-m", "fast", "stop"],
            check=False,
            capture_output=True,
        )
        shutil.rmtree(workdir, ignore_errors=True)


@contextmanager
def postgres_server() -> Iterator[str]:
    """A DSN of the ``postgres`` database of a reachable server."""
    explicit = os.environ.get("AKTE_TEST_PG_URL")
    if explicit:
        yield explicit
        return
    local = "postgresql://postgres@127.0.0.1:5432/postgres"
    if _reachable(local):
        yield local
        return
    with _own_cluster() as dsn:
        yield dsn


@contextmanager
def fresh_database(admin_dsn: str) -> Iterator[str]:
    """A new, empty database; dropped afterwards. Yields a SQLAlchemy URL."""
    name = f"akte_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
        mark_owned(
            conn, name
        )  # a killed run's database is dropped later (tests/infra/leftovers.py)
    base = admin_dsn.rsplit("/", 1)[0]
    try:
        yield f"{base.replace('postgresql://', 'postgresql+psycopg://', 1)}/{name}"
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
