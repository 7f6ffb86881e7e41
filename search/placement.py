"""Which host may serve search: refuse configurations that would diverge silently.

* ``AKTE_SEARCH_BACKEND=postgres`` needs PostgreSQL: on SQLite it is refused.
* ``whoosh`` on PostgreSQL: the index is a folder on one host, but the database (and so
  the job queue and every API replica) may be shared by many. The first process records
  its host and index folder in ``search_index_owner``; a process on another host or with
  another folder would answer from, or write into, a different index. In production it
  is refused at start-up with a message naming the settings to change; elsewhere
  (development, tests, an operator's shell) it is logged as a warning.
"""

from __future__ import annotations

import logging
import socket
from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, select, update
from sqlalchemy.exc import IntegrityError

from akte.core.context import AppContext
from akte.core.database import session_scope

log = logging.getLogger("akte.search")

owner_table = Table(
    "search_index_owner",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("host", String(255), nullable=False),
    Column("index_dir", String(1000), nullable=False),
    Column("claimed_at", DateTime(timezone=True), nullable=False),
)


class SearchPlacementError(RuntimeError):
    """A search configuration this process cannot serve without diverging."""


def check(ctx: AppContext) -> None:
    settings = ctx.settings
    if settings.search_backend == "postgres":
        if settings.is_sqlite:
            raise SearchPlacementError(
                "AKTE_SEARCH_BACKEND=postgres needs PostgreSQL (AKTE_DATABASE_URL=postgresql"
                "+psycopg://…); with SQLite set AKTE_SEARCH_BACKEND=whoosh"
            )
        return
    if settings.is_sqlite:
        return  # one database file: one host
    here = (socket.gethostname(), str(settings.index_dir.resolve()))
    owner = _claim(ctx, here, force=settings.search_claim_index)
    if owner == here:
        return
    message = (
        f"the Whoosh search index of this installation is on host {owner[0]} in {owner[1]}; "
        f"this process (host {here[0]}, {here[1]}) would search and index a different copy "
        "and results would diverge. Set AKTE_SEARCH_BACKEND=postgres to share search "
        f"between hosts, or run every api and worker on {owner[0]} with "
        f"AKTE_DATA_DIR={owner[1].removesuffix('/index')}; to move the index to this host, "
        "start once with AKTE_SEARCH_CLAIM_INDEX=true and run 'akte search reindex'"
    )
    if settings.env == "production":
        raise SearchPlacementError(message)
    log.warning("%s", message)


def _claim(ctx: AppContext, here: tuple[str, str], *, force: bool) -> tuple[str, str]:
    """The recorded owner, recording ``here`` if there is none (or ``force``)."""
    values = {"host": here[0], "index_dir": here[1], "claimed_at": datetime.now(UTC)}
    with session_scope(ctx.session_factory) as session:
        row = session.execute(
            select(owner_table.c.host, owner_table.c.index_dir).where(owner_table.c.id == 1)
        ).first()
        if row is not None and force and tuple(row) != here:
            session.execute(update(owner_table).where(owner_table.c.id == 1).values(**values))
            return here
        if row is not None:
            return (row.host, row.index_dir)
    try:
        with session_scope(ctx.session_factory) as session:
            session.execute(owner_table.insert().values(id=1, **values))
    except IntegrityError:  # another process claimed it first
        return _claim(ctx, here, force=False)
    return here
