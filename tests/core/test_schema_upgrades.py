"""Migrations once per deployment: concurrent ``akte db upgrade`` runs never race, ``--sql``
shows a DBA the exact statements and changes nothing, and an API outside the embedded
default refuses a schema behind its code but serves one ahead of it (rolling upgrade)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from akte.app import create_app
from akte.core.migrations import downgrade, missing_heads, upgrade
from tests.client import TestClient
from tests.conftest import TEST_SECRET, embedded_settings
from tests.infra.postgres import fresh_database
from tests.infra.processes import inherited_env

AKTE = str(Path(sys.executable).parent / "akte")


def _env(tmp_path: Path, url: str) -> dict[str, str]:
    env = inherited_env()
    env.update(
        {"AKTE_DATA_DIR": str(tmp_path), "AKTE_DATABASE_URL": url, "AKTE_SECRET_KEY": TEST_SECRET}
    )
    return env


def test_concurrent_upgrades_wait_for_each_other(pg_admin_dsn, tmp_path):
    with fresh_database(pg_admin_dsn) as url:
        runs = [
            subprocess.Popen(
                [AKTE, "db", "upgrade"],
                env=_env(tmp_path, url),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(3)
        ]
        results = [(p.wait(300), p.stderr.read()) for p in runs]
        assert [code for code, _err in results] == [0, 0, 0], results
        assert missing_heads(url) == []


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'akte.db'}"
        return
    with fresh_database(request.getfixturevalue("pg_admin_dsn")) as url:
        yield url


def test_upgrade_sql_prints_the_pending_statements_and_changes_nothing(database_url, tmp_path):
    upgrade(database_url)
    downgrade(database_url, "0300")  # the outbox feedback migrations are pending
    pending = set(missing_heads(database_url))
    assert pending == {"0731", "0811"}  # the outbox branch: schedule dropped, push providers
    env = _env(tmp_path, database_url)
    done = subprocess.run(
        [AKTE, "db", "upgrade", "--sql"], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert "outbox_batch_downloads" in done.stdout and "CREATE TABLE" in done.stdout
    assert "tracking_number" in done.stdout
    assert set(missing_heads(database_url)) == pending  # rolled back, not applied
    engine = create_engine(database_url)
    with engine.connect() as conn:
        tables = {
            row[0]
            for row in conn.execute(
                text(
                    "SELECT name FROM sqlite_master WHERE type='table'"
                    if database_url.startswith("sqlite")
                    else "SELECT tablename FROM pg_tables WHERE schemaname='public'"
                )
            )
        }
    engine.dispose()
    assert "outbox_batch_downloads" not in tables
    upgrade(database_url)
    again = subprocess.run(
        [AKTE, "db", "upgrade", "--sql"], env=env, capture_output=True, text=True, timeout=300
    )
    assert again.stdout.strip() == "" and "0 statements" in again.stderr


def test_api_refuses_a_schema_behind_it_and_serves_one_ahead(pg_admin_dsn, tmp_path):
    with fresh_database(pg_admin_dsn) as url:
        settings = embedded_settings(tmp_path, database_url=url)
        assert settings.effective_migrate_on_start is False
        upgrade(url)
        downgrade(url, "0300")
        with pytest.raises(RuntimeError, match="akte db upgrade"), TestClient(create_app(settings)):
            pass
        upgrade(url)
        engine = create_engine(url)
        with engine.begin() as conn:  # a later release's migration already applied
            conn.execute(text("INSERT INTO alembic_version (version_num) VALUES ('9990')"))
        engine.dispose()
        assert missing_heads(url) == []
        with TestClient(create_app(settings)) as client:
            assert client.get("/healthz").status_code == 200
        engine = create_engine(url)
        with engine.begin() as conn:  # the usual case: the next release's migration follows
            # one of ours on its chain, so it *replaces* that head in alembic_version
            head = conn.scalar(
                text("SELECT max(version_num) FROM alembic_version WHERE version_num <> '9990'")
            )
            conn.execute(text("DELETE FROM alembic_version WHERE version_num = '9990'"))
            conn.execute(
                text("UPDATE alembic_version SET version_num = '9991' WHERE version_num = :h"),
                {"h": head},
            )
        engine.dispose()
        assert missing_heads(url) == []
        with TestClient(create_app(settings)) as client:
            assert client.get("/healthz").status_code == 200


def test_the_embedded_default_still_migrates_at_start(tmp_path):
    settings = embedded_settings(tmp_path)
    assert settings.effective_migrate_on_start is True
    with TestClient(create_app(settings)) as client:
        assert client.get("/readyz").json()["checks"]["database"] == "ok"
    assert missing_heads(settings.effective_database_url) == []
