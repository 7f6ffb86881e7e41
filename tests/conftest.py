"""Test fixtures: every storage and database test runs against both deployment pairs.

* ``embedded``: SQLite + blobs in a local folder (the ``make run`` default);
* ``production``: PostgreSQL + a real S3 server on loopback (SeaweedFS's ``weed``).

Servers that are not running are started (see :mod:`tests.infra`); nothing is skipped for
want of one. Schemas are built by the real Alembic migrations, never ``create_all``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack

import pytest
from fastapi.testclient import TestClient

from akte.app import create_app
from akte.core.clock import CLOCK, Clock
from akte.core.context import AppContext
from akte.core.migrations import upgrade
from akte.core.settings import Settings
from tests import isolation
from tests.builders import World, make_world
from tests.infra.postgres import fresh_database, postgres_server
from tests.infra.s3 import S3Server, s3_server

os.environ.setdefault("OMP_THREAD_LIMIT", "1")
TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"


@pytest.fixture(scope="session")
def pg_admin_dsn() -> Iterator[str]:
    with postgres_server() as dsn:
        yield dsn


@pytest.fixture(scope="session")
def s3() -> Iterator[S3Server]:
    with s3_server() as server:
        yield server


def embedded_settings(data_dir, **overrides: object) -> Settings:
    return Settings(
        env="test", data_dir=data_dir, secret_key=TEST_SECRET, inprocess_worker=False, **overrides
    )


def production_settings(
    data_dir, database_url: str, s3: S3Server, bucket: str, **overrides: object
) -> Settings:
    return Settings(
        env="test",
        data_dir=data_dir,
        secret_key=TEST_SECRET,
        inprocess_worker=False,
        database_url=database_url,
        storage_backend="s3",
        s3_endpoint=s3.endpoint,
        s3_access_key=s3.access_key,
        s3_secret_key=s3.secret_key,
        s3_bucket=bucket,
        **overrides,
    )


@pytest.fixture(scope="session", params=["embedded", "production"])
def ctx(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AppContext]:
    """An application context on a freshly migrated database with empty storage."""
    with ExitStack() as stack:
        data_dir = tmp_path_factory.mktemp(request.param)
        if request.param == "embedded":
            settings = embedded_settings(data_dir)
        else:
            url = stack.enter_context(fresh_database(request.getfixturevalue("pg_admin_dsn")))
            settings = production_settings(
                data_dir,
                url,
                request.getfixturevalue("s3"),
                f"akte-{data_dir.name.lower().replace('_', '-')}",
            )
        upgrade(settings.effective_database_url)
        context = AppContext.from_settings(settings)
        stack.callback(context.close)
        isolation.share(context)
        stack.callback(isolation.forget, context)
        yield context


@pytest.fixture(autouse=True)
def _own_jobs() -> Iterator[None]:
    """Jobs this test queued and left pending are discarded when it ends, so no later test's
    ``run_until_idle`` runs them (:mod:`tests.isolation`). Set up after every fixture of wider
    scope, so jobs of module fixtures stay for the module's other tests."""
    marks = [(context, isolation.high_water(context)) for context in isolation.shared()]
    yield
    for context, mark in marks:
        if context in isolation.shared():
            isolation.discard_pending(context, after_id=mark)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """Leaving a module: its fixtures' pending jobs go too (:mod:`tests.isolation`)."""
    if nextitem is None or getattr(nextitem, "module", None) is not getattr(item, "module", None):
        for context in isolation.shared():
            isolation.discard_pending(context)


@pytest.fixture
def clock() -> Iterator[Clock]:
    """akte's clock (:mod:`akte.core.clock`): ``clock.advance(2)`` instead of ``sleep(2)``;
    back to the system's time when the test ends."""
    yield CLOCK
    CLOCK.reset()


@pytest.fixture(scope="session")
def backend(ctx: AppContext) -> str:
    return "embedded" if ctx.settings.is_sqlite else "production"


@pytest.fixture(scope="session")
def client(ctx: AppContext) -> Iterator[TestClient]:
    """HTTP through the real ASGI app (no network), with no background worker."""
    app = create_app(ctx=ctx, start_worker=False)
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def world(ctx: AppContext) -> World:
    return make_world(ctx)
