"""The previous release's API and worker run against this release's schema (rolling upgrade).

A rolling upgrade runs ``akte db upgrade`` with the new release first and then replaces
processes one by one, so for a while the *previous* release serves on the *new* schema.
That only works when every migration is "expand, then contract" (docs/OPERATIONS.md,
"Upgrades without downtime"). This test checks it for the migrations of this tree:

1. the previous release is found in git (:func:`previous_release`) and its files are
   extracted with ``git archive`` into a temporary folder (nothing in the repository changes;
   works on a fresh full ``git clone``, and deepens a shallow one);
2. a fresh PostgreSQL database is upgraded with *this* tree's migrations;
3. the previous release's API (``uvicorn akte.asgi:app``, its real entry point) and its
   ``akte worker`` run on that database and a fresh S3 bucket;
4. a smoke of the main operations through HTTP: password login, create an Akte, upload a
   PDF, the worker processes it, list the Akte's documents, search finds it, download gives
   the same bytes.

Why it fails when a migration drops or renames a column the old code uses: the old code's
SQLAlchemy models name every mapped column in each SELECT/INSERT of that table, so a
missing column makes PostgreSQL answer ``UndefinedColumn`` and the old API a 500 (or the
old worker a failed job) in the operation that touches the table. A new NOT NULL column
without a server default breaks the old code's INSERT the same way. The second test shows
it: a throwaway migration (revision 0979, in a copy of the migrations folder, never in the
tree) drops ``case_files.betreff`` and the smoke must fail (``create Akte: HTTP 500``).

Releases without ``UNKNOWN_REVISION_MEANS_AHEAD`` in ``akte/core/migrations.py`` took a
newer revision that replaced one of their heads for "schema behind" and refused to start:
their API is started through ``create_app(migrate=False)`` (only that start check skipped,
everything else their own code). Once the previous release has the constant, its real
entry point ``akte.asgi:app`` is used and the start check is part of the test.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from akte.core.migrations import PROJECT_ROOT, alembic_config
from tests.builders import PASSWORD
from tests.conftest import TEST_SECRET
from tests.infra.ports import free_port, wait_for_health
from tests.infra.postgres import fresh_database
from tests.infra.processes import inherited_env
from tests.infra.s3 import S3Server
from tests.ingest.samples import text_pdf

#: Annotated tags ``v<major>.<minor>[.<patch>]`` mark releases (docs/OPERATIONS.md).
RELEASE_TAGS = "v[0-9]*"
#: Names the previous release explicitly (a commit, tag or branch), e.g. in a release branch.
PREVIOUS_RELEASE_ENV = "AKTE_PREVIOUS_RELEASE"
MIGRATIONS = "migrations/versions"


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(PROJECT_ROOT), *args],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    ).stdout.strip()


def previous_release() -> str:
    """The commit of the release before this tree, by the first rule that applies:

    * ``AKTE_PREVIOUS_RELEASE`` names it;
    * uncommitted changes under ``migrations/versions``: HEAD (the change is what is new);
    * the newest release tag (``v*``) reachable from ``HEAD^``, i.e. the last release before
      this commit (a tagged HEAD is compared with the tag before it);
    * no tag yet: the first parent of the newest commit on HEAD's first-parent line that
      changed ``migrations/versions`` -- the code as it was just before this tree's newest
      migrations arrived, i.e. exactly the code those migrations must not break.
    """
    explicit = os.environ.get(PREVIOUS_RELEASE_ENV)
    if explicit:
        return _git("rev-parse", "--verify", f"{explicit}^{{commit}}")
    if _git("rev-parse", "--is-shallow-repository") == "true":
        _git("fetch", "--unshallow", "--tags", "--quiet")  # CI clones shallow by default
    if _git("status", "--porcelain", "--", MIGRATIONS):
        return _git("rev-parse", "HEAD")
    try:
        tag = _git("describe", "--tags", "--abbrev=0", "--match", RELEASE_TAGS, "HEAD^")
        return _git("rev-parse", "--verify", f"{tag}^{{commit}}")
    except subprocess.CalledProcessError:  # no release tag yet
        pass
    newest = _git("log", "--first-parent", "-1", "--format=%H", "HEAD", "--", MIGRATIONS)
    return _git("rev-parse", "--verify", f"{newest}^1")


def extract(commit: str, into: Path) -> Path:
    """The release's tracked files, as ``git archive`` gives them (no worktree is added)."""
    into.mkdir(parents=True)
    archive = into.parent / f"{commit[:12]}.tar"
    with archive.open("wb") as out:
        subprocess.run(
            ["git", "-C", str(PROJECT_ROOT), "archive", "--format=tar", commit],
            stdout=out,
            check=True,
            timeout=300,
        )
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    archive.unlink()
    return into


@pytest.fixture(scope="module")
def old_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    commit = previous_release()
    tree = extract(commit, tmp_path_factory.mktemp("previous-release") / commit[:12])
    head_revisions = {p.name for p in (PROJECT_ROOT / MIGRATIONS).glob("*.py")}
    old_revisions = {p.name for p in (tree / MIGRATIONS).glob("*.py")}
    print(
        f"previous release {commit[:12]}; migrations new since then: "
        f"{sorted(head_revisions - old_revisions) or 'none'}"
    )
    return tree


def _old_env(tree: Path, data_dir: Path, url: str, s3: S3Server, bucket: str) -> dict[str, str]:
    env = inherited_env("PYTHONPATH")
    env.update(
        {
            "PYTHONPATH": str(tree),  # before site-packages: the old ``akte`` wins over ours
            "AKTE_ENV": "test",
            "AKTE_DATA_DIR": str(data_dir),
            "AKTE_SECRET_KEY": TEST_SECRET,
            "AKTE_DATABASE_URL": url,
            "AKTE_STORAGE_BACKEND": "s3",
            "AKTE_S3_ENDPOINT": s3.endpoint,
            "AKTE_S3_ACCESS_KEY": s3.access_key,
            "AKTE_S3_SECRET_KEY": s3.secret_key,
            "AKTE_S3_BUCKET": bucket,
            "AKTE_INPROCESS_WORKER": "false",
            # the production shape: search in the database, so the old code's index writes
            # meet the new schema too (a row shape the old code cannot write would fail)
            "AKTE_SEARCH_BACKEND": "postgres",
            "OMP_THREAD_LIMIT": "1",
        }
    )
    return env


@contextmanager
def old_release_running(tree: Path, url: str, s3: S3Server, data_dir: Path) -> Iterator[str]:
    """The old release's API and worker on ``url``; yields the API's base URL."""
    env = _old_env(tree, data_dir, url, s3, f"akte-prev-{uuid.uuid4().hex[:10]}")
    where = subprocess.run(
        [sys.executable, "-c", "import akte; print(akte.__file__)"],
        env=env,
        cwd=tree,
        capture_output=True,
        text=True,
        check=True,
    )
    assert where.stdout.strip().startswith(str(tree)), where.stdout  # really the old code
    entry = ["akte.asgi:app"]
    if "UNKNOWN_REVISION_MEANS_AHEAD" not in (tree / "akte/core/migrations.py").read_text():
        # Releases before that constant misread a newer revision replacing one of their
        # heads as "schema behind" and refused to start (fixed in missing_heads). For them
        # only the start check is skipped (create_app's migrate=False); everything the
        # smoke does runs their code unchanged.
        entry = ["--factory", "_previous_release_app:build"]
        (data_dir / "_previous_release_app.py").write_text(
            "def build():\n"
            "    from akte.app import create_app\n"
            "    return create_app(migrate=False)\n"
        )
        env["PYTHONPATH"] = f"{tree}{os.pathsep}{data_dir}"
    port = free_port()
    log = (data_dir / "old-api.log").open("wb")
    worker_log = (data_dir / "old-worker.log").open("wb")
    api = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            *entry,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=tree,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    worker = subprocess.Popen(
        [sys.executable, "-c", "from akte.cli import main; main()", "worker", "--processes", "1"],
        env=env,
        cwd=tree,
        stdout=worker_log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(base, api, log=data_dir / "old-api.log")
        yield base
    finally:
        for proc in (api, worker):
            proc.terminate()
        for proc in (api, worker):
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        log.close()
        worker_log.close()


def seed(url: str, data_dir: Path, s3: S3Server) -> tuple[str, str, str]:
    """A tenant, an org unit and a caseworker with a password, written by *this* release's
    code (the schema is this release's). Returns (username, org unit id, word to search)."""
    from akte.core.context import AppContext
    from akte.core.database import session_scope
    from akte.core.settings import Settings
    from akte.users.models import Role
    from tests.builders import make_org_unit, make_tenant, make_user

    settings = Settings(
        env="test",
        data_dir=data_dir,
        secret_key=TEST_SECRET,
        inprocess_worker=False,
        database_url=url,
    )
    ctx = AppContext.from_settings(settings)
    try:
        with session_scope(ctx.session_factory) as session:
            tenant = make_tenant(session)
            unit = make_org_unit(session, tenant)
            user = make_user(session, tenant, Role.caseworker, (unit,))
            return user.username, str(unit.id), f"Rollwort{uuid.uuid4().hex[:8]}"
    finally:
        ctx.close()


def smoke(base: str, username: str, unit_id: str, word: str) -> list[str]:
    """Login, create an Akte, upload, list, search, download. Returns what went wrong.
    It talks to the *previous* release, so it uses only what /api/v1 promised then."""
    problems: list[str] = []

    def expect(step: str, response: httpx.Response, status: int) -> bool:
        if response.status_code != status:
            problems.append(f"{step}: HTTP {response.status_code} {response.text[:300]}")
            return False
        return True

    data = text_pdf([[f"Mietvertrag {word} Wohnung"]])
    with httpx.Client(base_url=base, timeout=60) as http:
        r = http.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
        if not expect("login", r, 200):
            return problems
        http.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
        r = http.post(
            "/api/v1/case-files",
            json={"aktenzeichen": f"AZ-{word}", "org_unit_id": unit_id, "betreff": word},
        )
        if not expect("create Akte", r, 201):
            return problems
        case_id = r.json()["id"]
        r = http.post(
            f"/api/v1/case-files/{case_id}/documents",
            files={"file": ("miete.pdf", data, "application/pdf")},
        )
        if not expect("upload", r, 201):
            return problems
        document_id = r.json()["id"]
        deadline = time.monotonic() + 120
        while True:  # the old worker processes it
            r = http.get(f"/api/v1/documents/{document_id}")
            if not expect("open document", r, 200):
                return problems
            if r.json()["status"] in ("ready", "failed") or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        if r.json()["status"] != "ready":
            problems.append(
                f"processing: status {r.json()['status']} ({r.json().get('status_reason')})"
            )
        r = http.get(f"/api/v1/case-files/{case_id}/documents")
        if expect("list documents", r, 200) and document_id not in [
            d["id"] for d in r.json()["items"]
        ]:
            problems.append("list documents: the upload is not listed")
        r = http.get("/api/v1/case-files", params={"q": word})
        expect("list Akten", r, 200)
        # indexing is its own job after processing: the hit may come a moment after "ready"
        deadline = time.monotonic() + 60
        while True:
            r = http.get("/api/v1/search", params={"q": word})
            found = r.status_code == 200 and document_id in [
                h["document_id"] for h in r.json()["hits"]
            ]
            if found or r.status_code != 200 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        if expect("search", r, 200) and not found:
            problems.append("search: the upload is not found")
        r = http.get(f"/api/v1/documents/{document_id}/content")
        if (
            expect("download", r, 200)
            and hashlib.sha256(r.content).digest() != hashlib.sha256(data).digest()
        ):
            problems.append("download: other bytes than uploaded")
    return problems


def _upgrade_with(url: str, migrations: Path) -> None:
    from alembic import command

    from akte.core.migrations import upgrade

    if migrations == PROJECT_ROOT / "migrations":
        upgrade(url)
        return
    config = alembic_config(url)
    config.set_main_option("script_location", str(migrations))
    command.upgrade(config, "heads")


def test_previous_release_serves_on_this_releases_schema(old_tree, pg_admin_dsn, s3, tmp_path):
    with fresh_database(pg_admin_dsn) as url:
        _upgrade_with(url, PROJECT_ROOT / "migrations")
        username, unit_id, word = seed(url, tmp_path, s3)
        with old_release_running(old_tree, url, s3, tmp_path) as base:
            problems = smoke(base, username, unit_id, word)
        assert problems == [], (
            "\n".join(problems) + "\n" + (tmp_path / "old-api.log").read_text()[-3000:]
        )


DROP_COLUMN = '''"""Throwaway: breaks the expand-then-contract rule on purpose (test only)."""
from alembic import op

revision = "0979"
down_revision = {heads!r}
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_column("case_files", "betreff")


def downgrade() -> None:
    raise NotImplementedError
'''


def test_a_migration_dropping_a_column_the_previous_release_uses_fails_the_smoke(
    old_tree, pg_admin_dsn, s3, tmp_path
):
    """The check can fail: this tree's migrations plus one that drops a column the old code
    maps. The smoke must report the operations that touch ``case_files``."""
    from alembic.script import ScriptDirectory

    migrations = tmp_path / "migrations"
    shutil.copytree(
        PROJECT_ROOT / "migrations", migrations, ignore=shutil.ignore_patterns("__pycache__")
    )
    heads = tuple(ScriptDirectory(str(migrations)).get_heads())
    (migrations / "versions" / "0979_drop_betreff.py").write_text(DROP_COLUMN.format(heads=heads))
    with fresh_database(pg_admin_dsn) as url:
        _upgrade_with(url, migrations)
        username, unit_id, word = seed(url, tmp_path, s3)
        with old_release_running(old_tree, url, s3, tmp_path) as base:
            problems = smoke(base, username, unit_id, word)
    print("\n".join(problems))
    assert any(p.startswith("create Akte: HTTP 500") for p in problems), problems
