"""Migrated databases in a fraction of a second: copies of a template built once.

Running every Alembic migration takes seconds (3.4 s on PostgreSQL, 1.4 s on SQLite on a
busy two-core machine), and each test worker, and every test that wants a deployment of its
own, needs a freshly migrated database. So the migrations run once into a *template* — a
PostgreSQL database created ``IS_TEMPLATE``, a SQLite file — and each database is a copy
(``CREATE DATABASE … TEMPLATE``, a file copy), with the same schema ``alembic upgrade
heads`` builds (the migrations still build it; nothing uses ``create_all``).

A template is named by a digest of ``migrations/``, so a changed migration gets a new one
and an unchanged tree reuses it across runs and test workers (templates of older digests and
the copies of killed runs are dropped later: :mod:`tests.infra.leftovers`). Building is serialised by a
file lock in the system's temporary folder (pytest-xdist workers, and other checkouts on the
same machine with the same migrations, wait for the first); a template is published under
its final name only once it is complete (built under a temporary name, then renamed), so an
interrupted build never leaves a half-migrated template behind.
"""

from __future__ import annotations

import fcntl
import hashlib
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from akte.core.migrations import PROJECT_ROOT, upgrade
from tests.infra.leftovers import (
    drop_stale_databases,
    mark_owned,
    mark_used,
    prune_sqlite_templates,
)

MIGRATIONS = PROJECT_ROOT / "migrations"
TEMPLATES = Path(tempfile.gettempdir()) / "akte-test-templates"


def schema_digest() -> str:
    """A digest of every file that decides the schema (the migration scripts and env.py)."""
    digest = hashlib.sha256()
    for path in sorted(MIGRATIONS.rglob("*.py")):
        digest.update(path.relative_to(MIGRATIONS).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@contextmanager
def _building(name: str) -> Iterator[None]:
    TEMPLATES.mkdir(exist_ok=True)
    with (TEMPLATES / f"{name}.lock").open("a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def sqlite_template() -> Path:
    """The migrated SQLite template file (built on first use; each use touches it, so the
    templates of other digests nobody uses any more can be told apart and removed)."""
    name = f"sqlite-{schema_digest()}"
    path = TEMPLATES / f"{name}.db"
    if path.exists():
        path.touch()
        return path
    with _building(name):
        if not path.exists():
            partial = TEMPLATES / f"{name}.{uuid.uuid4().hex[:8]}.partial"
            partial.mkdir()
            try:
                upgrade(f"sqlite:///{partial / 'akte.db'}")
                (partial / "akte.db").replace(path)
            finally:
                shutil.rmtree(partial, ignore_errors=True)
    prune_sqlite_templates(TEMPLATES, path)  # a new digest: older ones may be stale now
    return path


def migrated_sqlite(data_dir: Path) -> None:
    """Put a migrated, empty ``akte.db`` into ``data_dir`` (the embedded default's file)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(sqlite_template(), data_dir / "akte.db")


def template_name() -> str:
    """The PostgreSQL template's name for the migrations of this checkout."""
    return f"akte_template_{schema_digest()}"


def drop_leftovers(admin_dsn: str) -> list[str]:
    """Drop what killed runs and older schemas left on the server (:mod:`tests.infra.leftovers`)."""
    return drop_stale_databases(admin_dsn, template_name(), TEMPLATES)


def postgres_template(admin_dsn: str) -> str:
    """The name of the migrated PostgreSQL template database on ``admin_dsn``'s server."""
    name = template_name()
    with _building(name):
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
                mark_used(conn, name)
                return name
            partial = f"akte_template_partial_{uuid.uuid4().hex[:12]}"
            conn.execute(f'CREATE DATABASE "{partial}"')
            mark_owned(conn, partial)
        base = admin_dsn.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
        try:
            upgrade(f"{base}/{partial}")
            with psycopg.connect(admin_dsn, autocommit=True) as conn:
                conn.execute(f'ALTER DATABASE "{partial}" RENAME TO "{name}"')
                # Nobody connects to a template: a copy fails while a session is open on it.
                conn.execute(
                    f'ALTER DATABASE "{name}" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false'
                )
                mark_used(conn, name)
        except BaseException:
            with psycopg.connect(admin_dsn, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{partial}" WITH (FORCE)')
            raise
    return name


@contextmanager
def migrated_postgres(admin_dsn: str) -> Iterator[str]:
    """A new database copied from the migrated template; dropped afterwards. Yields a
    SQLAlchemy URL."""
    name = f"akte_test_{uuid.uuid4().hex[:12]}"
    for attempt in range(3):
        template = postgres_template(admin_dsn)
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            try:
                conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
            except psycopg.errors.InvalidCatalogName:
                # another checkout (other migrations) dropped it as stale a moment ago
                if attempt == 2:
                    raise
                continue
            mark_owned(conn, name)
            break
    base = admin_dsn.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
