"""Production without shared local state: two API processes and two workers, each with its
own data folder, against one PostgreSQL and one S3 server (real subprocesses, uvicorn on
loopback), the way docker-compose.yml runs them.

With ``AKTE_SEARCH_BACKEND=postgres`` a document uploaded through API A, processed by
whichever worker claims it, is found through API B; a deletion through B is gone from A.
With the Whoosh engine a second host's process is refused at start-up instead of
searching a different index.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from akte.core.context import AppContext
from tests.builders import World
from tests.infra.ports import free_port, wait_for_port
from tests.infra.processes import inherited_env, stop_group
from tests.ingest.samples import text_pdf

AKTE = str(Path(sys.executable).parent / "akte")
WORD = "Schwanzmeisenweg"


def _env(ctx: AppContext, data_dir: Path, **extra: str) -> dict[str, str]:
    s = ctx.settings
    env = inherited_env()
    env.update(
        {
            "AKTE_ENV": "production",
            "AKTE_DATA_DIR": str(data_dir),
            "AKTE_SECRET_KEY": s.secret_key,
            "AKTE_DATABASE_URL": s.effective_database_url,
            "AKTE_STORAGE_BACKEND": "s3",
            "AKTE_S3_ENDPOINT": s.s3_endpoint,
            "AKTE_S3_ACCESS_KEY": s.s3_access_key,
            "AKTE_S3_SECRET_KEY": s.s3_secret_key,
            "AKTE_S3_BUCKET": s.s3_bucket,
            "AKTE_INPROCESS_WORKER": "false",
            "AKTE_SEARCH_BACKEND": "postgres",
            "AKTE_WORKER_POLL_SECONDS": "0.2",
            "AKTE_PUBLIC_URL": "http://127.0.0.1",
            "OMP_THREAD_LIMIT": "1",
            **extra,
        }
    )
    return env


def _start(stack: ExitStack, args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    out = log.open("wb")
    # a session of its own, stopped as a group (``stop_group``)
    proc = subprocess.Popen(
        args, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
    )

    def stop() -> None:
        stop_group(proc)
        out.close()

    stack.callback(stop)
    return proc


def _api(stack: ExitStack, env: dict[str, str], log: Path) -> str:
    port = free_port()
    _start(
        stack,
        [
            sys.executable,
            "-m",
            "uvicorn",
            "akte.asgi:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env,
        log,
    )
    if not wait_for_port(port, 60):
        raise AssertionError(f"API did not start: {log.read_text()[-2000:]}")
    return f"http://127.0.0.1:{port}"


def _eventually(check: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.25)
    return False


@pytest.fixture
def hosts(ctx: AppContext, tmp_path: Path) -> Iterator[tuple[str, str]]:
    if ctx.settings.is_sqlite:
        pytest.skip("several hosts need PostgreSQL and S3")
    with ExitStack() as stack:
        urls = []
        for name in ("a", "b"):
            env = _env(ctx, tmp_path / f"api-{name}")
            urls.append(_api(stack, env, tmp_path / f"api-{name}.log"))
        for name in ("1", "2"):
            env = _env(ctx, tmp_path / f"worker-{name}")
            _start(
                stack, [AKTE, "worker", "--processes", "1"], env, tmp_path / f"worker-{name}.log"
            )
        yield urls[0], urls[1]


def test_found_through_the_other_api_and_deleted_everywhere(
    hosts: tuple[str, str], world: World
) -> None:
    api_a, api_b = hosts
    headers = world.headers["caseworker_a1"]
    with httpx.Client(timeout=30) as http:
        pdf = text_pdf([[f"Mieterin wohnt im {WORD} 7", "Miete 480 EUR"]])
        uploaded = http.post(
            f"{api_a}/api/v1/case-files/{world.case_a1.id}/documents",
            files={"file": ("miete.pdf", pdf, "application/pdf")},
            data={"title": "Mietvertrag"},
            headers=headers,
        )
        assert uploaded.status_code == 201, uploaded.text
        doc_id = uploaded.json()["id"]

        def found(api: str) -> set[str]:
            response = http.get(f"{api}/api/v1/search", params={"q": WORD}, headers=headers)
            assert response.status_code == 200, response.text
            return {hit["document_id"] for hit in response.json()["hits"]}

        started = time.monotonic()
        assert _eventually(lambda: found(api_b) == {doc_id}, 60), "never found through B"
        assert time.monotonic() - started < 60
        assert found(api_a) == {doc_id}
        other = http.get(
            f"{api_b}/api/v1/search", params={"q": WORD}, headers=world.headers["caseworker_b"]
        )
        assert other.json()["total"] == 0, "another tenant's caseworker must not see it"

        deleted = http.request(
            "DELETE",
            f"{api_b}/api/v1/documents/{doc_id}",
            json={"reason": "Dublette"},
            headers=headers,
        )
        assert deleted.status_code == 204, deleted.text
        assert _eventually(lambda: found(api_a) == set(), 10), "still found through A"


def test_whoosh_on_a_second_host_is_refused_at_start(ctx: AppContext, tmp_path: Path) -> None:
    """The session's context owns the Whoosh index; a production API or worker with its
    own data folder stops with a message naming the setting to change."""
    if ctx.settings.is_sqlite:
        pytest.skip("one SQLite file is one host")
    env = _env(ctx, tmp_path / "elsewhere", AKTE_SEARCH_BACKEND="whoosh")
    worker = subprocess.run(
        [AKTE, "worker", "--once"], env=env, capture_output=True, text=True, timeout=120
    )
    assert worker.returncode != 0
    assert "AKTE_SEARCH_BACKEND=postgres" in worker.stderr + worker.stdout
    port = free_port()
    api = subprocess.run(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "akte.asgi:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert api.returncode != 0
    assert "AKTE_SEARCH_BACKEND=postgres" in api.stderr + api.stdout
