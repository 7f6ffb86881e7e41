"""Applying the Alembic migrations (core and every feature branch) to a database.

Migrations run once per deployment (``akte db upgrade``, the compose file's one-shot
``migrate`` service), not in every API process: outside the embedded default the API only
checks at start that the schema is not *behind* its code (:func:`missing_heads`) and
refuses to start otherwise. A schema *ahead* of the code is fine: during a rolling upgrade
the previous release keeps serving against the expanded schema (docs/OPERATIONS.md,
"expand, then contract").

Two upgrades never race: on PostgreSQL an advisory lock is held for the whole upgrade
(the second waits, then finds nothing left to do); on SQLite a file lock beside the
database does the same. :func:`preview_sql` shows a DBA the exact statements an upgrade
would run, by running them in a transaction that is rolled back.
"""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, event, pool, text
from sqlalchemy.engine import make_url

#: The source checkout (tests run git in it); an installed akte does not need it.
PROJECT_ROOT = Path(__file__).resolve().parents[2]
#: ``pg_advisory_lock`` key of schema upgrades ("akte" "mig").
UPGRADE_LOCK = 0x616B7465_006D6967
#: This release's :func:`missing_heads` takes a revision it does not know for a newer
#: release's (schema ahead, serve). The previous-release test looks for this name.
UNKNOWN_REVISION_MEANS_AHEAD = True


def migrations_dir() -> Path:
    """The Alembic scripts: the top-level ``migrations`` package, installed with akte (a
    wheel carries it like ``akte`` itself), so no source checkout or ``alembic.ini`` is
    needed to upgrade a database. An editable install made before ``migrations`` became a
    package does not map it; then the checkout's folder is used (``make install`` renews
    such an install)."""
    try:
        import migrations
    except ModuleNotFoundError:
        return PROJECT_ROOT / "migrations"
    return Path(migrations.__file__).resolve().parent


def alembic_config(url: str) -> Config:
    """Alembic's configuration built in code (``alembic.ini`` is only for the ``alembic``
    command line in a checkout)."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.set_main_option("path_separator", "os")
    config.attributes["url"] = url
    return config


@contextlib.contextmanager
def _locked_connection(url: str) -> Iterator[Connection]:
    """A connection holding the upgrade lock until the context ends."""
    from akte.core.database import make_engine

    engine = make_engine(url, poolclass=pool.NullPool)
    try:
        if url.startswith("sqlite"):
            database = make_url(url).database
            lock_path = Path(f"{database}.migrate.lock") if database else None
            with contextlib.ExitStack() as stack:
                if lock_path is not None and database != ":memory:":
                    lock = stack.enter_context(lock_path.open("a+"))
                    fcntl.flock(lock, fcntl.LOCK_EX)
                with engine.connect() as conn:
                    yield conn
            return
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": UPGRADE_LOCK})
            conn.commit()
            try:
                yield conn
            finally:
                conn.rollback()
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": UPGRADE_LOCK})
                conn.commit()
    finally:
        engine.dispose()


def upgrade(url: str, revision: str = "heads") -> None:
    with _locked_connection(url) as conn:
        config = alembic_config(url)
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
        conn.commit()


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


def preview_sql(url: str, revision: str = "heads") -> list[str]:
    """The statements upgrading this database to ``revision`` runs, in order, from a real
    upgrade inside a transaction that is then rolled back (PostgreSQL and SQLite both roll
    back DDL), so the preview is exact for this database's current state."""
    statements: list[str] = []

    def record(_conn, _cursor, statement, parameters, _context, _many) -> None:  # type: ignore[no-untyped-def]
        line = statement.strip()
        if parameters:
            line += f"\n-- parameters: {parameters!r}"
        statements.append(line)

    with _locked_connection(url) as conn:
        event.listen(conn, "before_cursor_execute", record)
        conn.begin()
        try:
            config = alembic_config(url)
            config.attributes["connection"] = conn
            command.upgrade(config, revision)
        finally:
            event.remove(conn, "before_cursor_execute", record)
            conn.rollback()
    return [s for s in statements if not _is_inspection(s)]


def _is_inspection(statement: str) -> bool:
    """Alembic's own reads (current version, catalog lookups) are no part of the change."""
    head = statement.lstrip().upper()
    return head.startswith(("SELECT", "PRAGMA", "BEGIN")) or "PG_CATALOG" in head


def missing_heads(url: str) -> list[str]:
    """Head revisions of this code that the database has not reached (empty: the schema
    is current or ahead, e.g. during a rolling upgrade)."""
    from akte.core.database import make_engine

    script = ScriptDirectory.from_config(alembic_config(url))
    engine = make_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_heads()
    finally:
        engine.dispose()
    known = [rev for rev in current if _known(script, rev)]
    if len(known) < len(current):
        # A revision this code does not know was written by a newer release's
        # ``akte db upgrade``: the schema is ahead. Its ancestry is not in this code's
        # scripts, so the head it replaced (say 0901 under a new 0902) cannot be found
        # among the known ones; reporting that head as missing made the previous release
        # refuse to start in exactly the rolling upgrade it must survive.
        return []
    reached = (
        {r.revision for r in script.revision_map.iterate_revisions(known, "base")}
        if known
        else set()
    )
    return sorted(h for h in script.get_heads() if h not in reached)


def _known(script: ScriptDirectory, revision: str) -> bool:
    try:
        return script.get_revision(revision) is not None
    except Exception:  # a revision of a newer release: this code does not know it
        return False
