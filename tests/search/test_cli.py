"""``akte search reindex`` and ``akte search check`` as an operator runs them (the Typer
app that ``akte`` mounts under ``search``).

Both commands walk every document of the installation, so the test has a database and
storage of its own (:func:`tests.trust.helpers.isolated_context`, a copy of the migrated
template): on the worker's shared database they walked whatever every earlier test on
that worker had left there, so their cost grew with what ran before (72 s on the
production pair in one loaded run of tests/search, against 3.6 s on the embedded pair).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from akte.core.context import AppContext
from akte.core.database import session_scope
from akte.documents.models import Document
from search.cli import app
from tests.builders import World
from tests.search.conftest import add_document, search_context
from tests.search.test_index_lifecycle import found
from tests.trust.helpers import isolated_context


@pytest.fixture(params=["embedded", "production"])
def ctx(request: pytest.FixtureRequest, tmp_path) -> Iterator[AppContext]:  # type: ignore[no-untyped-def]
    """A deployment of the test's own, on either pair (see the module's docstring)."""
    with isolated_context(request, tmp_path / "deployment", "akte-search-cli") as context:
        yield context


@pytest.fixture
def operator_env(ctx: AppContext, tmp_path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """The environment of an operator's shell: same database and storage, own data dir."""
    s = ctx.settings
    env = {
        "AKTE_ENV": "test",
        "AKTE_DATA_DIR": str(tmp_path / "operator"),
        "AKTE_SECRET_KEY": s.secret_key,
        "AKTE_DATABASE_URL": s.effective_database_url,
        "AKTE_STORAGE_BACKEND": s.storage_backend,
        "AKTE_S3_ENDPOINT": s.s3_endpoint,
        "AKTE_S3_ACCESS_KEY": s.s3_access_key,
        "AKTE_S3_SECRET_KEY": s.s3_secret_key,
        "AKTE_S3_BUCKET": s.s3_bucket,
        "AKTE_INPROCESS_WORKER": "false",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return tmp_path


def test_reindex_then_check_then_repair(ctx: AppContext, world: World, operator_env) -> None:  # type: ignore[no-untyped-def]
    from akte.app import create_app
    from tests.client import TestClient

    with session_scope(ctx.session_factory) as session:
        doc = add_document(session, world.case_a1, title="Alt", pages=["Seidenschwanz"])
    runner = CliRunner()
    result = runner.invoke(app, ["reindex"])
    assert result.exit_code == 0, result.output
    assert "indexed" in result.output

    sctx = search_context(ctx, operator_env / "operator" / "index")
    try:
        with TestClient(create_app(ctx=sctx, start_worker=False)) as client:
            assert found(client, world, "Seidenschwanz") == {str(doc.id)}
            result = runner.invoke(app, ["check"])
            assert result.exit_code == 0, result.output
            assert "missing 0, stale 0" in result.output

            with session_scope(ctx.session_factory) as session:  # changed behind our back
                session.execute(
                    update(Document).where(Document.id == doc.id).values(title="Neu Wasseramsel")
                )
            result = runner.invoke(app, ["check"])
            assert result.exit_code == 1 and "stale 1" in result.output, result.output
            result = runner.invoke(app, ["check", "--repair"])
            assert result.exit_code == 0 and "repaired" in result.output, result.output
            assert found(client, world, "Wasseramsel") == {str(doc.id)}
    finally:
        sctx.extensions["search"].close()
