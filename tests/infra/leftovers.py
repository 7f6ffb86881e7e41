"""What interrupted test runs left on the shared PostgreSQL server is dropped at the next start.

Every database a test session creates (``akte_test_*`` copies and empty databases,
``akte_template_partial_*`` builds) is dropped by the fixture that made it, at the end of
the test or the session. A run that is killed (``kill -9``, a second Ctrl-C, a crashed
pytest-xdist worker) leaves them behind, and a changed migration leaves the template of the
old schema digest: over weeks of test runs that adds up without bound. So each session
begins by dropping the leftovers of others, carefully, because other checkouts on the same
machine run their tests at the same moment, against the same server:

* each database carries a note (``COMMENT ON DATABASE``) naming its owner, host and pid; one
  whose owner was a process on this host that no longer runs (its pid gone, or taken by a
  process that started after the database was made) is dropped;
* one without a note (made by older code, or killed between ``CREATE`` and ``COMMENT``), or
  whose owner is on another host, is dropped once it is older than :data:`STALE_HOURS` and
  nobody is connected to it;
* a template of another schema digest is dropped once nobody used it for
  :data:`TEMPLATE_IDLE_HOURS` (each use stamps its note) and no session on this machine holds
  its build lock: another checkout with other migrations may be using it right now.

Only databases owned by the connecting role are considered. The SQLite templates in the
system's temporary folder are pruned by the same rules (their use touches the file).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import socket
import time
from pathlib import Path

import psutil
import psycopg

#: Unowned ``akte_test_*`` databases older than this are dropped (a whole serial run takes
#: about half an hour; nothing of a live run is that old and idle).
STALE_HOURS = float(os.environ.get("AKTE_TEST_STALE_HOURS", "6"))
#: Templates of another schema digest that nobody used for this long are dropped.
TEMPLATE_IDLE_HOURS = float(os.environ.get("AKTE_TEST_TEMPLATE_IDLE_HOURS", "1"))

OWNER = "akte-test owner="
USED = "akte-test template used="


def owner_note() -> str:
    """The note that marks a database as this process's."""
    return f"{OWNER}{socket.gethostname()}/{os.getpid()}"


def mark_owned(conn: psycopg.Connection[tuple[object, ...]], database: str) -> None:
    conn.execute(f"COMMENT ON DATABASE \"{database}\" IS '{owner_note()}'")


def mark_used(conn: psycopg.Connection[tuple[object, ...]], template: str) -> None:
    """Stamp the template's last use; a failed stamp (two sessions at once) costs nothing."""
    with contextlib.suppress(psycopg.Error):
        conn.execute(f"COMMENT ON DATABASE \"{template}\" IS '{USED}{int(time.time())}'")


def _owner_gone(note: str, hours: float | None) -> bool | None:
    """Whether the owner named by ``note`` is gone (``None``: this host cannot tell). A
    process that started after the database was made (``hours`` ago) only reuses the pid."""
    host, _, rest = note.removeprefix(OWNER).partition("/")
    pid = rest.split("/", 1)[0]
    if host != socket.gethostname() or not pid.isdigit():
        return None
    try:
        started = psutil.Process(int(pid)).create_time()
    except psutil.NoSuchProcess:
        return True
    except psutil.Error:
        return None
    return hours is not None and started > time.time() - hours * 3600 + 5


def _locked_elsewhere(lock: Path) -> bool:
    """Whether a session on this machine holds the template's build lock right now."""
    if not lock.exists():
        return False
    with lock.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
    return False


_LIST = """
SELECT d.datname, d.datistemplate, shobj_description(d.oid, 'pg_database'),
       (SELECT count(*) FROM pg_stat_activity a WHERE a.datid = d.oid),
       {age}
FROM pg_database d
WHERE (d.datname LIKE 'akte\\_test\\_%' OR d.datname LIKE 'akte\\_template\\_%')
  AND pg_get_userbyid(d.datdba) = current_user
"""
#: Seconds since the database was made: its PG_VERSION file is written by CREATE DATABASE.
_AGE = "extract(epoch FROM now() - (pg_stat_file('base/' || d.oid || '/PG_VERSION')).modification)"


def stale_databases(
    conn: psycopg.Connection[tuple[object, ...]], current_template: str, locks: Path
) -> list[tuple[str, bool, bool]]:
    """``(name, is_template, force)`` of every leftover to drop (see the module's docstring);
    ``force``: its owner is gone, so any connection left is an orphan of that run."""
    try:
        rows = conn.execute(_LIST.format(age=_AGE)).fetchall()
    except psycopg.errors.InsufficientPrivilege:  # pg_stat_file is for superusers: no ages
        rows = conn.execute(_LIST.format(age="NULL::float")).fetchall()
    found: list[tuple[str, bool, bool]] = []
    for name, is_template, note, connections, age in rows:
        name, note = str(name), str(note or "")
        hours = None if age is None else float(str(age)) / 3600
        if name == current_template:
            continue
        if name.startswith("akte_template_") and not name.startswith("akte_template_partial_"):
            idle = hours
            if note.startswith(USED):
                idle = (time.time() - float(note.removeprefix(USED))) / 3600
            if (
                idle is not None
                and idle > TEMPLATE_IDLE_HOURS
                and not _locked_elsewhere(locks / f"{name}.lock")
            ):
                found.append((name, bool(is_template), False))
            continue
        gone = _owner_gone(note, hours) if note.startswith(OWNER) else None
        if gone:
            found.append((name, bool(is_template), True))
        elif gone is None and hours is not None and hours > STALE_HOURS and connections == 0:
            found.append((name, bool(is_template), False))
    return found


def drop_stale_databases(admin_dsn: str, current_template: str, locks: Path) -> list[str]:
    """Drop the leftovers; the names of those that went. One session at a time cleans up (a
    lock in ``locks``); the others skip it rather than wait."""
    locks.mkdir(exist_ok=True)
    with (locks / "leftovers.lock").open("a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return []
        dropped: list[str] = []
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            for name, is_template, force in stale_databases(conn, current_template, locks):
                try:
                    if is_template:
                        conn.execute(f'ALTER DATABASE "{name}" WITH IS_TEMPLATE false')
                    conn.execute(
                        f'DROP DATABASE IF EXISTS "{name}"' + (" WITH (FORCE)" if force else "")
                    )
                except psycopg.Error:
                    continue  # someone connected after all: it stays for a later run
                (locks / f"{name}.lock").unlink(missing_ok=True)
                dropped.append(name)
        return dropped


def prune_sqlite_templates(templates: Path, current: Path) -> list[Path]:
    """Remove SQLite templates of other schema digests unused for
    :data:`TEMPLATE_IDLE_HOURS`, and partial builds older than that."""
    if not templates.is_dir():
        return []
    removed: list[Path] = []
    cutoff = time.time() - TEMPLATE_IDLE_HOURS * 3600
    for path in templates.glob("sqlite-*"):
        if path == current or path.suffix == ".lock" or path.stat().st_mtime > cutoff:
            continue
        if _locked_elsewhere(templates / f"{path.name.split('.', 1)[0]}.lock"):
            continue
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed.append(path)
    return removed
