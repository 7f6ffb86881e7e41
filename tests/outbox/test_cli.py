"""``akte outbox seal`` (the ``outbox.cli`` app the core mounts) seals now; ``akte schedule``
shows the periodic cut-off sealing."""

from __future__ import annotations

import uuid

from typer.testing import CliRunner

from akte.cli import app as core_app
from akte.core.database import session_scope
from outbox.cli import app
from outbox.models import Letter
from tests.outbox.conftest import make_pdf, upload


def _env(settings) -> dict[str, str]:
    env = {
        "AKTE_DATA_DIR": str(settings.data_dir),
        "AKTE_SECRET_KEY": settings.secret_key,
        "AKTE_ENV": "test",
        "AKTE_DATABASE_URL": settings.effective_database_url,
        "AKTE_STORAGE_BACKEND": settings.storage_backend,
    }
    if settings.storage_backend == "s3":
        env.update(
            {
                "AKTE_S3_ENDPOINT": settings.s3_endpoint,
                "AKTE_S3_ACCESS_KEY": settings.s3_access_key,
                "AKTE_S3_SECRET_KEY": settings.s3_secret_key,
                "AKTE_S3_BUCKET": settings.s3_bucket,
            }
        )
    return env


def test_seal_now_and_schedule(ctx, client, ow):
    world = ow.world
    letter = upload(client, world.headers["caseworker_a1"], world.case_a1.id, make_pdf()).json()
    runner = CliRunner()
    env = _env(ctx.settings)
    result = runner.invoke(app, ["seal", "--tenant", world.tenant_a.slug], env=env)
    assert result.exit_code == 0, result.output
    assert "1 letters" in result.output
    with session_scope(ctx.session_factory) as session:
        row = session.get(Letter, uuid.UUID(letter["id"]))
        assert row.status == "batched" and row.batch_id is not None
    shown = runner.invoke(core_app, ["schedule"], env=env)
    assert shown.exit_code == 0, shown.output
    assert "outbox.seal_due" in shown.output and "every 60 s" in shown.output
    unknown = runner.invoke(app, ["seal", "--tenant", "no-such-tenant"], env=env)
    assert unknown.exit_code != 0
