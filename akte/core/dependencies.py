"""Typed FastAPI dependencies for the shared plumbing.

``DbSession`` is the request's unit of work: committed when the endpoint returns normally,
rolled back when it raises. Endpoints and services never commit themselves.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from akte.core.context import AppContext
from akte.core.errors import ServiceUnavailable
from akte.core.storage import BlobStore

log = logging.getLogger("akte.db")


def get_context(request: Request) -> AppContext:
    return request.app.state.ctx


Context = Annotated[AppContext, Depends(get_context)]


def get_db_session(request: Request) -> Iterator[Session]:
    session = get_context(request).session_factory()
    try:
        yield session
        session.commit()
    except OperationalError as exc:
        session.rollback()
        log.warning("database error: %s", exc)
        raise ServiceUnavailable("the database is not reachable") from exc
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


#: ``scope="function"``: the commit happens before the response is sent, so a client that
#: acts on a 201 (or a browser following a redirect) always finds the data committed, and
#: a failed commit becomes an error response instead of being lost after a success.
DbSession = Annotated[Session, Depends(get_db_session, scope="function")]


def get_storage(request: Request) -> BlobStore:
    return get_context(request).storage


Storage = Annotated[BlobStore, Depends(get_storage)]


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None
