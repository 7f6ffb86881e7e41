"""``akte search reindex`` and ``akte search check --repair`` while akte is serving.

A real ``akte serve`` and a real ``akte worker`` run as processes on loopback over the
test database (SQLite or PostgreSQL) and one data folder; the operator's commands run as
further processes, as from a shell on the same host. A fixed set of queries must answer
the same hits before, during and after each command: a rebuild swaps generations under
the server's feet, and the server must notice the swap and read the new one.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update

from akte.case_files.models import CaseFile
from akte.core.context import AppContext
from akte.core.database import session_scope
from akte.documents.models import Document
from tests.builders import World
from tests.infra.ports import free_port, wait_for_port
from tests.infra.processes import stop_group
from tests.search.conftest import add_document

#: Enough for queries to land while a rebuild runs: with 300, about 25 answers came
#: during the Whoosh rebuild and 40 during the PostgreSQL one (each query waits for its
#: answer, so a faster machine asks faster too). 1,200 only made each run four times as
#: long: the window is mostly the operator process starting, not the documents.
DOCUMENTS = 300
PROJECT = Path(__file__).resolve().parents[2]


def operator_env(ctx: AppContext, data_dir: Path) -> dict[str, str]:
    """Same database and storage as ``ctx``; the index lives in ``data_dir``."""
    s = ctx.settings
    env = {
        **os.environ,
        "AKTE_ENV": "test",
        "AKTE_DATA_DIR": str(data_dir),
        "AKTE_SECRET_KEY": s.secret_key,
        "AKTE_INPROCESS_WORKER": "false",
        "AKTE_DATABASE_URL": s.effective_database_url,
        "AKTE_WORKER_POLL_SECONDS": "0.2",
        "AKTE_STORAGE_BACKEND": s.storage_backend,
        "AKTE_SEARCH_CACHE_SIZE": "0",
        # this test's own index folder on the shared database: the processes own it
        "AKTE_SEARCH_CLAIM_INDEX": "true",
    }
    if s.storage_backend == "s3":
        env.update(
            AKTE_S3_ENDPOINT=s.s3_endpoint,
            AKTE_S3_ACCESS_KEY=s.s3_access_key,
            AKTE_S3_SECRET_KEY=s.s3_secret_key,
            AKTE_S3_BUCKET=s.s3_bucket,
        )
    return env


def akte(env: dict[str, str], *args: str) -> subprocess.Popen:
    """Runs ``akte *args``; its output goes to a log file in the data folder, never to a
    pipe: a server that logs every request into a pipe nobody reads blocks once the pipe's
    64 KiB are full, and then every further query times out."""
    logs = Path(env["AKTE_DATA_DIR"]) / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"{'-'.join(args[:2])}-{time.monotonic_ns()}.log"
    with open(log, "w") as out:
        process = subprocess.Popen(
            [sys.executable, "-c", "from akte.cli import main; main()", *args],
            env=env,
            cwd=PROJECT,
            start_new_session=True,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    process.log = log  # type: ignore[attr-defined]
    return process


def output(process: subprocess.Popen) -> str:
    """The last lines the process wrote (for an assertion's message)."""
    return "\n".join(process.log.read_text(errors="replace").splitlines()[-40:])  # type: ignore[attr-defined]


def stop(process: subprocess.Popen) -> None:
    stop_group(process, timeout=20)


def corpus(ctx: AppContext, world: World) -> dict[tuple[str, str], set[str]]:
    """Documents in three Akten (two tenants); returns the expected hits per (caseworker,
    query). Made ready without index jobs: the first ``reindex`` indexes them."""
    expected: dict[tuple[str, str], set[str]] = {}
    owners = [
        ("caseworker_a1", world.case_a1),
        ("caseworker_a2", world.case_a2),
        ("caseworker_b", world.case_b1),
    ]
    queries = {
        "Zaunkönig": lambda i: i % 25 == 0,
        "Kontoauszug": lambda i: i % 13 == 0,
        '"Kosten der Unterkunft"': lambda i: i % 17 == 0,
        "art:Mietvertrag": lambda i: i % 19 == 1,
        "Sparkasse -Zaunkoenig": lambda i: i % 10 == 0 and i % 25 != 0,
    }
    ids = []
    with session_scope(ctx.session_factory) as session:
        for i in range(DOCUMENTS):
            who, case_file = owners[i % 3]
            words = [f"Schreiben Nummer {i} an die Hauptstraße 5."]
            if i % 13 == 0:
                words.append("Kontoauszug der Bank.")
            if i % 10 == 0:
                words.append("Die Sparkasse bestätigt.")
            if i % 25 == 0:
                words.append("Der Zaunkönig singt.")
            if i % 17 == 0:
                words.append("Bescheid über die Kosten der Unterkunft.")
            doc = add_document(
                session,
                case_file,
                title=f"Schreiben {i}",
                pages=words,
                doc_type="Mietvertrag" if i % 19 == 1 else "Lohnabrechnung",
                status="processing",
            )
            ids.append(doc.id)
            for q, matches in queries.items():
                hits = expected.setdefault((who, q), set())
                if matches(i):
                    hits.add(str(doc.id))
        session.execute(update(Document).where(Document.id.in_(ids)).values(status="ready"))
    return expected


@functools.cache
def http() -> httpx.Client:
    """One client for every query of the run: a bare ``httpx.get`` builds a TLS context
    (20-30 ms of CPU) and a connection per call, and these tests ask thousands of times."""
    return httpx.Client()


def answers(base: str, world: World, queries) -> dict[tuple[str, str], set[str]]:  # type: ignore[no-untyped-def]
    found = {}
    for who, q in queries:
        response = http().get(
            f"{base}/api/v1/search",
            params={"q": q, "size": 100},
            headers=world.headers[who],
            timeout=30,
        )
        assert response.status_code == 200, (who, q, response.status_code, response.text)
        body = response.json()
        ids = {hit["document_id"] for hit in body["hits"]}
        assert body["total"] == len(ids), (who, q, body["total"])
        found[(who, q)] = ids
    return found


@pytest.fixture
def serving(ctx: AppContext, tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """``akte serve`` and ``akte worker`` on one data folder; yields (url, environment)."""
    env = operator_env(ctx, tmp_path)
    yield_env = dict(env)
    port = free_port()
    processes: list[subprocess.Popen] = []
    try:
        reindex = akte(env, "search", "reindex")  # a fresh folder: build the index first
        assert reindex.wait(timeout=600) == 0, output(reindex)
        processes.append(akte(env, "serve", "--host", "127.0.0.1", "--port", str(port)))
        processes.append(akte(env, "worker", "--processes", "1"))
        assert wait_for_port(port, 60), "akte serve did not start"
        yield f"http://127.0.0.1:{port}", yield_env
    finally:
        for process in processes:
            stop(process)


def run_while_querying(
    env: dict[str, str],
    args: list[str],
    base: str,
    world: World,
    expected: dict[tuple[str, str], set[str]],
    marker: Path,
) -> int:
    """Runs an ``akte search`` command and queries, one query after the other, until it
    has finished; every answer must equal ``expected``. Returns how many answers came
    while ``marker`` existed (a rebuild in progress)."""
    command = akte(env, *args)
    during = 0
    try:
        while command.poll() is None:
            for key in expected:
                rebuilding = marker.exists()
                assert answers(base, world, [key]) == {key: expected[key]}, f"during {args}"
                during += rebuilding and marker.exists()
        assert command.returncode == 0, output(command)
    finally:
        stop(command)
    return during


def test_reindex_and_repair_while_serving_keep_every_answer(
    ctx: AppContext, world: World, serving, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    base, env = serving
    expected = corpus(ctx, world)
    reindex = akte(env, "search", "reindex")  # the documents above, as after an upgrade
    assert reindex.wait(timeout=600) == 0, output(reindex)
    deadline = time.monotonic() + 30
    while answers(base, world, expected) != expected and time.monotonic() < deadline:
        time.sleep(0.5)
    assert answers(base, world, expected) == expected, "before"
    assert all(expected.values()), "every query finds something"

    index = tmp_path / "index"
    during = run_while_querying(
        env, ["search", "reindex"], base, world, expected, index / "REBUILDING"
    )
    assert answers(base, world, expected) == expected, "after reindex"
    folders = [p.name for p in (index / "tenants").iterdir() if p.is_dir()]
    assert folders and all(name == str(uuid.UUID(name)) for name in folders), folders

    # an Akte's change behind the index's back, then check --repair while serving
    with session_scope(ctx.session_factory) as session:
        session.execute(
            update(CaseFile)
            .where(CaseFile.id == world.case_a1.id)
            .values(person_name="Wilhelmine Zwackelmann")
        )
    run_while_querying(
        env, ["search", "check", "--repair"], base, world, expected, index / "REBUILDING"
    )
    assert answers(base, world, expected) == expected, "after check --repair"
    renamed = ("caseworker_a1", "name:Zwackelmann Zaunkönig")  # repaired: found by the name
    assert answers(base, world, [renamed]) == {renamed: expected[("caseworker_a1", "Zaunkönig")]}
    assert during > 0, "no query was answered while the rebuild ran"
