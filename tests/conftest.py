"""Test fixtures: every storage and database test runs against both deployment pairs.

* ``embedded``: SQLite + blobs in a local folder (the ``make run`` default);
* ``production``: PostgreSQL + a real S3 server on loopback (SeaweedFS's ``weed``).

Servers that are not running are started (see :mod:`tests.infra`); nothing is skipped for
want of one. Schemas are built by the real Alembic migrations, never ``create_all``.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from akte.app import create_app
from akte.core.clock import CLOCK, Clock
from akte.core.context import AppContext
from akte.core.settings import Settings
from tests import isolation
from tests.builders import World, make_world
from tests.client import TestClient
from tests.infra.postgres import postgres_server
from tests.infra.s3 import S3Server, s3_server
from tests.infra.templates import drop_leftovers, migrated_postgres, migrated_sqlite

os.environ.setdefault("OMP_THREAD_LIMIT", "1")
#: The word sets search builds from the dictionaries (:mod:`search.wordset`) are kept under
#: the data folder by default, and every test makes fresh data folders: each ``akte``
#: process a test started built them again (1.2 CPU-seconds each). One folder for every
#: process of every run; a set's file is named after its sources' sizes and times, so a
#: changed dictionary is built anew. The tests of the cache itself set their own folder.
os.environ.setdefault(
    "AKTE_WORDSET_CACHE", os.path.join(tempfile.gettempdir(), f"akte-test-wordsets-{os.getuid()}")
)
TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"


def worker_id(request: pytest.FixtureRequest) -> str:
    """``gw0``, ``gw1`` … under pytest-xdist; ``main`` in a serial run."""
    return str(getattr(request.config, "workerinput", {}).get("workerid", "main"))


@pytest.fixture(scope="session")
def pg_admin_dsn() -> Iterator[str]:
    """The server's admin DSN; first the databases killed runs left there are dropped (only
    those whose owner is gone: other checkouts test on the same server at the same time)."""
    with postgres_server() as dsn:
        drop_leftovers(dsn)
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
    """An application context on a freshly migrated database with empty storage, one per
    pytest-xdist worker: the database is a copy of the migrated template
    (:mod:`tests.infra.templates`), blobs and the index live in the worker's own temporary
    folder or bucket, so ``run_until_idle`` only ever sees this worker's jobs."""
    with ExitStack() as stack:
        data_dir = tmp_path_factory.mktemp(request.param)
        if request.param == "embedded":
            migrated_sqlite(data_dir)
            settings = embedded_settings(data_dir)
        else:
            url = stack.enter_context(migrated_postgres(request.getfixturevalue("pg_admin_dsn")))
            settings = production_settings(
                data_dir,
                url,
                request.getfixturevalue("s3"),
                # one bucket per worker, also on a shared S3 server (AKTE_TEST_S3_ENDPOINT)
                f"akte-{worker_id(request)}-{uuid.uuid4().hex[:12]}",
            )
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
    """Leaving a module: its fixtures' pending jobs go too, and its apps are let go
    (:mod:`tests.isolation`)."""
    if nextitem is None or getattr(nextitem, "module", None) is not getattr(item, "module", None):
        for context in isolation.shared():
            isolation.discard_pending(context)
        isolation.release_apps()


_previous_module: list[object] = [None]


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Entering a module: what outlived the modules before it is set aside from the
    garbage collector (:func:`tests.isolation.freeze_survivors`)."""
    module = getattr(item, "module", None)
    if module is not _previous_module[0]:
        _previous_module[0] = module
        isolation.freeze_survivors()


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


#: What the sample builders of :mod:`tests.ingest.samples` hand to Tesseract: a module that
#: uses one of them (or the whole module) runs OCR.
_OCR_SAMPLES = (
    "LETTER",
    "NOTICE",
    "add_noise",
    "fax_tiff",
    "image_pdf",
    "jpeg_with_orientation",
    "mixed_pdf",
    "render_lines",
)


def _kinds(module: object) -> set[str]:
    """The markers a test module earns by what it uses (see ``pytest_collection_modifyitems``)."""
    from tests.ingest import samples

    names = vars(module)
    kinds: set[str] = set()
    if any(
        getattr(value, "__module__", getattr(value, "__name__", "")).startswith("playwright")
        for value in names.values()
    ):
        kinds.add("browser")
    if any(value is samples for value in names.values()) or any(
        names.get(name) is getattr(samples, name) for name in _OCR_SAMPLES
    ):
        kinds.add("ocr")
    if "fuzz" in getattr(module, "__name__", "").rsplit(".", 1)[-1] or any(
        getattr(value, "__name__", "").startswith(("hypothesis", "schemathesis"))
        for value in names.values()
    ):
        kinds.add("fuzz")
    return kinds


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark browser, OCR and fuzz tests by what their module uses, so no test file has to
    say it (``make test-fast`` deselects them): ``browser`` for modules that drive Chromium
    through Playwright, ``ocr`` for modules that build scans for Tesseract, ``fuzz`` for
    Hypothesis and Schemathesis. A test may also carry one of the marks itself."""
    seen: dict[object, set[str]] = {}
    for item in items:
        module = getattr(item, "module", None)
        if module is None:
            continue
        if module not in seen:
            seen[module] = _kinds(module)
        for kind in seen[module]:
            item.add_marker(kind)
        if getattr(getattr(item, "function", None), "is_hypothesis_test", False):
            item.add_marker("fuzz")
    # The longest files first: xdist hands out files in this order (``make test`` turns its
    # own ordering off, ``--no-loadscope-reorder``: it sorts by the number of tests, which
    # put the four schemathesis runs, one test of 20-40 s each, last, and one of them kept
    # a worker busy alone at the end). Then, as xdist would, the files with most tests.
    from tests.trust.fuzzing import check_role  # what a module that fuzzes one role calls

    sizes = Counter(getattr(item, "module", None) for item in items)

    def order(item: pytest.Item) -> tuple[bool, int]:
        module = getattr(item, "module", None)
        return getattr(module, "check_role", None) is not check_role, -sizes[module]

    items.sort(key=order)
