"""Databases of killed test runs are dropped at the next start, and those of runs still going
are not (tests/infra/leftovers.py): other checkouts test on the same server at the same time."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid

import psycopg
from psycopg.rows import TupleRow

from tests.infra.leftovers import OWNER, USED, mark_owned
from tests.infra.templates import TEMPLATES, drop_leftovers, postgres_template, template_name


def _create(conn: psycopg.Connection[TupleRow], name: str, note: str | None) -> None:
    conn.execute(f'CREATE DATABASE "{name}"')
    if note is not None:
        conn.execute(f"COMMENT ON DATABASE \"{name}\" IS '{note}'")


def _names(conn: psycopg.Connection[TupleRow]) -> set[str]:
    return {str(row[0]) for row in conn.execute("SELECT datname FROM pg_database")}


def test_only_the_leftovers_of_dead_runs_and_old_schemas_go(pg_admin_dsn):
    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    finished.wait()
    tag = uuid.uuid4().hex[:8]
    dead = f"akte_test_dead_{tag}"
    alive = f"akte_test_alive_{tag}"
    unowned = f"akte_test_unowned_{tag}"
    foreign = f"akte_test_foreign_{tag}"
    old_schema = f"akte_template_old_{tag}"
    recent_schema = f"akte_template_recent_{tag}"
    current = postgres_template(pg_admin_dsn)
    assert current == template_name()
    with psycopg.connect(pg_admin_dsn, autocommit=True) as conn:
        _create(conn, dead, f"{OWNER}{socket.gethostname()}/{finished.pid}")
        _create(conn, alive, None)
        mark_owned(conn, alive)  # this process: a run still going
        _create(conn, unowned, None)  # young and without a note: may be anyone's
        _create(conn, foreign, f"{OWNER}elsewhere.example/1/1")  # another host's, young
        _create(conn, old_schema, f"{USED}{int(time.time()) - 2 * 3600}")
        _create(conn, recent_schema, f"{USED}{int(time.time()) - 60}")
        conn.execute(f'ALTER DATABASE "{old_schema}" WITH IS_TEMPLATE true')
        try:
            dropped = set(drop_leftovers(pg_admin_dsn))
            left = _names(conn)
        finally:
            for name in {alive, unowned, foreign, old_schema, recent_schema, dead} & _names(conn):
                conn.execute(f'ALTER DATABASE "{name}" WITH IS_TEMPLATE false')
                conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    assert {dead, old_schema} <= dropped
    assert dead not in left and old_schema not in left
    assert {alive, unowned, foreign, recent_schema, current} <= left
    assert not (TEMPLATES / f"{old_schema}.lock").exists()
