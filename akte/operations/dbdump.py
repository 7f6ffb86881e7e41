"""A consistent copy of the database, and putting it back, for both deployments.

* PostgreSQL: ``pg_dump --format=custom`` run against a snapshot that a held
  ``REPEATABLE READ`` transaction exported (``pg_export_snapshot()``). The caller reads the
  blob references through the *same* snapshot (:func:`snapshot`), so the dump and the list of
  blobs to copy describe one moment even while uploads continue. Restored with
  ``pg_restore --no-owner --no-privileges --exit-on-error`` into an empty database.
* SQLite: the online backup API (``sqlite3.Connection.backup``), which copies a consistent
  image page by page while writers keep going; blob references are then read from the copy.

Both need the client tools only for PostgreSQL (``pg_dump``/``pg_restore`` of a major
version at least the server's, from the ``postgresql-client`` package).
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from akte.core.errors import AkteError, Conflict

PG_FILE = "database.pgdump"
SQLITE_FILE = "database.sqlite3"


class BackupFailed(AkteError):
    """A backup or restore step failed; the message says which and what to do."""

    status_code = 500
    code = "backup_failed"


def libpq_dsn(url: str) -> str:
    """``postgresql+psycopg://…`` as the plain URL ``pg_dump`` understands."""
    parsed = make_url(url).set(drivername="postgresql")
    return parsed.render_as_string(hide_password=False)


def sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupFailed("an in-memory SQLite database cannot be backed up")
    return Path(database)


def _run(args: list[str], what: str) -> None:
    tool = shutil.which(args[0])
    if tool is None:
        raise BackupFailed(f"{args[0]} not found: install the PostgreSQL client tools")
    done = subprocess.run([tool, *args[1:]], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupFailed(f"{what} failed: {done.stderr.strip()[-2000:]}")


@contextmanager
def snapshot(url: str, dest: Path) -> Iterator[tuple[Session, str]]:
    """Dump the database into ``dest`` and yield a read-only session that sees exactly what
    the dump holds, and the dump's file name. The session ends with the context."""
    if url.startswith("sqlite"):
        target = dest / SQLITE_FILE
        target.unlink(missing_ok=True)
        source = sqlite3.connect(sqlite_path(url))
        try:
            copy = sqlite3.connect(target)
            with copy:
                source.backup(copy)
            copy.close()
        finally:
            source.close()
        engine = create_engine(f"sqlite:///{target.resolve()}")
        try:
            with Session(engine) as session:
                yield session, SQLITE_FILE
        finally:
            engine.dispose()
        return
    engine = create_engine(url, isolation_level="REPEATABLE READ")
    try:
        with engine.connect() as conn:
            conn.execute(text("SET TRANSACTION READ ONLY"))
            snapshot_id = conn.scalar(text("SELECT pg_export_snapshot()"))
            target = dest / PG_FILE
            _run(
                [
                    "pg_dump",
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    f"--snapshot={snapshot_id}",
                    f"--file={target}",
                    libpq_dsn(url),
                ],
                "pg_dump",
            )
            with Session(bind=conn) as session:
                yield session, PG_FILE
            conn.rollback()
    finally:
        engine.dispose()


def ensure_empty(url: str) -> None:
    """Refuse to restore over an installation: restore goes into a fresh database."""
    if url.startswith("sqlite") and not sqlite_path(url).exists():
        return
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            tables = inspect(conn).get_table_names()
    finally:
        engine.dispose()
    if tables:
        raise Conflict(
            f"the target database already has {len(tables)} tables; restore only into a "
            "freshly created, empty database (create one, point AKTE_DATABASE_URL at it)"
        )


def restore(url: str, source: Path, name: str) -> None:
    """Load the dump ``source / name`` into the (empty) database at ``url``."""
    if name == SQLITE_FILE:
        if not url.startswith("sqlite"):
            raise BackupFailed("this backup holds a SQLite database; restore it into SQLite")
        target = sqlite_path(url)
        target.parent.mkdir(parents=True, exist_ok=True)
        image = sqlite3.connect(source / name)
        try:
            out = sqlite3.connect(target)
            with out:
                image.backup(out)
            out.close()
        finally:
            image.close()
        return
    if url.startswith("sqlite"):
        raise BackupFailed("this backup holds a PostgreSQL dump; restore it into PostgreSQL")
    _run(
        [
            "pg_restore",
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            f"--dbname={libpq_dsn(url)}",
            str(source / name),
        ],
        "pg_restore",
    )
