"""What a new user meets: docker-compose, the README's commands, migrations, the CLI."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import yaml

from akte.core.migrations import downgrade, upgrade
from tests.infra.ports import free_port, wait_for_port
from tests.infra.processes import inherited_env

ROOT = Path(__file__).resolve().parents[2]
AKTE = str(Path(sys.executable).parent / "akte")


def test_readme_starts_with_the_two_commands():
    lines = [line for line in (ROOT / "README.md").read_text().splitlines() if line.strip()]
    assert lines[1].startswith("make run")
    assert lines[2].startswith("make test")
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_compose_file_parses_and_names_every_service_the_readme_mentions():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    production = (ROOT / "README.md").read_text().split("## Production", 1)[1].split("##", 1)[0]
    mentioned = set(re.findall(r"`(\w+)`\s+\(", production))
    assert mentioned == {"db", "minio", "api", "worker"}
    assert mentioned <= set(services)
    for name in ("db", "minio", "api"):
        assert "healthcheck" in services[name], name
    assert set(compose["volumes"]) >= {"pgdata", "miniodata"}
    assert services["api"]["environment"]["AKTE_STORAGE_BACKEND"] == "s3"


def test_migrations_go_down_and_up_again(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade(url)
    downgrade(url, "base")
    upgrade(url)


def test_migrations_on_postgresql_go_down_and_up(pg_admin_dsn):
    from tests.infra.postgres import fresh_database

    with fresh_database(pg_admin_dsn) as url:
        upgrade(url)
        downgrade(url, "base")
        upgrade(url)


def _env(tmp_path: Path) -> dict[str, str]:
    env = inherited_env()
    env["AKTE_DATA_DIR"] = str(tmp_path / "data")
    return env


def test_cli_administers_a_tenant(tmp_path):
    env = _env(tmp_path)

    def akte(*args: str) -> str:
        done = subprocess.run(
            [AKTE, *args], env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    akte("db", "upgrade")
    assert "tenant jc-sued" in akte("admin", "create-tenant", "jc-sued", "Jobcenter Süd")
    assert "org unit LB-1" in akte("admin", "create-org-unit", "jc-sued", "LB-1", "Leistung")
    env["AKTE_NEW_PASSWORD"] = "ein-langes-passwort"
    out = akte(
        "admin", "create-user", "sabine", "caseworker", "--tenant", "jc-sued", "--org-unit", "LB-1"
    )
    assert "(caseworker)" in out
    key_out = akte("admin", "create-user", "scan-gmbh", "importer", "--tenant", "jc-sued")
    assert re.search(r"API key \(shown once\): akte_\w+", key_out)
    assert "intact" in akte("audit", "verify")


def test_serve_demo_prints_logins_that_work(tmp_path):
    """What ``make run`` does, in a clean folder: migrate, seed, serve, print the logins."""
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen(
        [AKTE, "serve", "--demo", "--port", str(port)],
        env=_env(tmp_path),
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=tmp_path,
    )
    try:
        assert wait_for_port(port, 90), (tmp_path / "serve.log").read_text()
        time.sleep(0.5)
        output = (tmp_path / "serve.log").read_text()
        password = re.search(r"sachbearbeitung\s+(\S+)", output).group(1)
        base = f"http://127.0.0.1:{port}"
        assert httpx.get(f"{base}/readyz").status_code == 200
        token = httpx.post(
            f"{base}/api/v1/auth/token", data={"username": "sachbearbeitung", "password": password}
        ).json()["access_token"]
        akten = httpx.get(
            f"{base}/api/v1/case-files", headers={"Authorization": f"Bearer {token}"}
        ).json()
        assert {"AZ-2024-000123", "AZ-2024-000124"} <= {a["aktenzeichen"] for a in akten["items"]}
    finally:
        proc.terminate()
        proc.wait(30)
