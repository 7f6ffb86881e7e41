"""Soak: a running server indexes documents one at a time; does it stay flat?

Starts a real ``akte serve`` (embedded default: SQLite, local blobs, in-process worker;
or ``--database-url`` PostgreSQL with a separate ``akte worker``), then uploads ``--docs``
small text PDFs one at a time through the upload API, each waited for until it is
``ready`` (``--in-flight N``: up to N uploads wait at a time, each still its own document
and index job), with a search every ten documents (as users search while documents arrive; one that
fails is printed and counted, and the soak goes on; the server's log is kept in the work
folder).
At 5, 10, 25, 50, 75 and 100 % of the documents (1k, 2k, 5k, 10k, 15k, 20k of the default
20,000) it waits until the last document is found, then prints the resident memory (and
how much of it is anonymous, i.e. heap rather than mapped index files), the open
descriptors and the descriptors of deleted files of the server (and worker) process,
the CPU seconds per document since the previous sample (server and worker; the
processing children are the forkserver's, not counted) and the load average, and at the
end the growth between the first and the last sample.

Index jobs (priority 5) run before uploads' processing jobs (10), so the index keeps up
with the uploads even with ``--in-flight`` above 1.

Last, the job path's own indexing rate: ``search.index_document`` for 300 of the
documents, one job each, in this process against a fresh index folder (what a worker
does per document: load from the database, write, commit), as documents per second.

Run: ``python -m bench.soak [--docs 20000] [--in-flight 8] [--database-url
postgresql+psycopg://… | --postgres] [--s3] [--search-backend postgres] [--trace DIR]``: ``--postgres``
makes a fresh database on the local server, ``--s3`` keeps the blobs on a local S3 server
(``weed``, as the tests start it) — with both and ``--search-backend postgres`` the soak
runs the stateless production shape (API and a separate worker, no local state).

``--trace DIR`` (to find what grows; slows the server several times): the server starts
with a ``sitecustomize.py`` on its ``PYTHONPATH`` (:data:`TRACE_SITE`, this bench only;
the server's own code knows nothing of it) that runs ``tracemalloc`` with 25 frames and,
on ``SIGUSR1``, writes a snapshot and the counts of objects by type the garbage
collector tracks into ``DIR`` (``<n>.snapshot``, ``<n>.json``). The bench asks for one at
every checkpoint and prints, after the run, what grew between the first and the last:
the 25 largest differences by traceback and by type. The forkserver and its children
are not traced (the variable that turns tracing on is taken out of the environment
before they start). Compare two snapshots again later with ``python -m bench.soak
--compare DIR/1000.snapshot DIR/3000.snapshot``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import deque
from pathlib import Path

import httpx
import psutil
from reportlab.pdfgen import canvas

from akte.core.migrations import upgrade
from tests.infra.ports import free_port, wait_for_port
from tests.infra.postgres import fresh_database, postgres_server
from tests.infra.s3 import S3Server, s3_server

PASSWORD = "bench-password-123"
#: The server's ``sitecustomize.py`` with ``--trace`` (see the module docstring).
TRACE_SITE = """
import os

_DIR = os.environ.pop("AKTE_SOAK_TRACE_DIR", None)
if _DIR:
    import collections, gc, json, signal, tracemalloc

    tracemalloc.start(25)

    def _dump(signum, frame):
        try:
            _write()
        except Exception as exc:  # never stop the server (uvloop would)
            with open(os.path.join(_DIR, "error"), "a") as out:
                out.write(repr(exc) + "\\n")

    def _write():
        name = open(os.path.join(_DIR, "request")).read().strip()
        tracemalloc.take_snapshot().dump(os.path.join(_DIR, name + ".snapshot"))
        types = collections.Counter()
        for o in gc.get_objects():
            t = type(o)
            types[f"{getattr(t, '__module__', '?')}.{getattr(t, '__qualname__', '?')}"] += 1
        traced, peak = tracemalloc.get_traced_memory()
        with open(os.path.join(_DIR, name + ".json.tmp"), "w") as out:
            json.dump({"traced": traced, "peak": peak, "types": types}, out)
        os.replace(os.path.join(_DIR, name + ".json.tmp"), os.path.join(_DIR, name + ".json"))

    signal.signal(signal.SIGUSR1, _dump)
"""
WORDS = [
    "Miete",
    "Kontoauszug",
    "Jobcenter",
    "Bescheid",
    "Lohn",
    "Heizkosten",
    "Nachzahlung",
    "Widerspruch",
    "Bedarfsgemeinschaft",
    "Unterkunft",
    "Weiterbewilligung",
    "Einkommen",
    "Vermieter",
    "Nebenkosten",
    "Kindergeld",
    "Unterhalt",
    "Sparkasse",
    "Girokonto",
    "Abschlag",
    "Betriebskosten",
]


def _pdf(n: int) -> bytes:
    """A one-page text PDF with a word only this document has (``Soakwort<n>x``)."""
    buf = io.BytesIO()
    page = canvas.Canvas(buf)
    page.setFont("Helvetica", 10)
    for line in range(40):
        words = [WORDS[(n * 7 + line * 3 + k) % len(WORDS)] for k in range(10)]
        page.drawString(40, 800 - 18 * line, " ".join(words))
    page.drawString(40, 60, f"Aktenzeichen AZ-SOAK-{n:06d} Soakwort{n}x")
    page.save()
    return buf.getvalue()


def _sample(pid: int) -> tuple[float, float, int, int]:
    """Resident MB, of it anonymous MB (heap; the rest is mapped files such as index
    segments, which the kernel can drop), open descriptors, descriptors of deleted files."""
    process = psutil.Process(pid)
    deleted = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        with contextlib.suppress(OSError):
            deleted += os.readlink(f"/proc/{pid}/fd/{fd}").endswith("(deleted)")
    anon = 0.0
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("RssAnon:"):
                anon = int(line.split()[1]) / 1024
    return process.memory_info().rss / 2**20, anon, process.num_fds(), deleted


def _working(pid: int) -> int:
    """The process that runs the jobs: ``akte serve`` itself, but for ``akte worker`` the
    worker process it started (the command only waits for its workers)."""
    for child in psutil.Process(pid).children():
        with contextlib.suppress(psutil.Error):
            command = " ".join(child.cmdline())
            if "worker" in command and "multiprocessing" not in command:
                return child.pid
    return pid


def _seed(akte: str, env: dict[str, str]) -> None:
    run = lambda *a: subprocess.run([akte, *a], env=env, check=True, capture_output=True)  # noqa: E731
    run("admin", "create-tenant", "soak", "Soak")
    run("admin", "create-org-unit", "soak", "LB", "Leistung")
    run("admin", "create-user", "soak-sb", "caseworker", "--tenant", "soak", "--org-unit", "LB")


def _cpu(pid: int) -> float:
    """CPU seconds of a process and of its children that have exited (the processing
    children of one document each)."""
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system + times.children_user + times.children_system


def _wait_ready(
    client: httpx.Client, headers: dict, doc_id: str, poll: float, timeout: float = 600
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = client.get(f"/api/v1/documents/{doc_id}", headers=headers).json()["status"]
        if status == "ready":
            return
        if status == "failed":
            raise RuntimeError(f"document {doc_id} failed")
        time.sleep(poll)
    raise RuntimeError(f"document {doc_id} not ready after {timeout}s")


def _wait_found(client: httpx.Client, headers: dict, word: str, timeout: float = 3600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (
            client.get("/api/v1/search", params={"q": word}, headers=headers).json().get("total")
            == 1
        ):
            return
        time.sleep(0.05)
    raise RuntimeError(f"{word} not searchable after {timeout}s")


def _job_path_rate(env: dict[str, str], count: int = 300) -> float:
    """Documents/s of ``search.index_document`` run one by one into a fresh index."""
    from sqlalchemy import select

    from akte.core.context import AppContext
    from akte.core.database import session_scope
    from akte.core.settings import Settings
    from akte.documents.models import Document
    from search import tasks
    from search.indexing import IndexService

    ctx = AppContext.from_settings(Settings())
    try:
        with session_scope(ctx.session_factory) as session:
            ids = list(
                session.scalars(select(Document.id).where(Document.status == "ready").limit(count))
            )
        service = IndexService(Path(tempfile.mkdtemp(prefix="akte-soak-index-")), 0)
        service.backend.mark_healthy()
        ctx.extensions["search"] = service
        started = time.perf_counter()
        for doc_id in ids:
            tasks.index_documents(ctx, [{"document_id": str(doc_id)}])  # one job at a time
        elapsed = time.perf_counter() - started
        service.close()
        return len(ids) / elapsed
    finally:
        ctx.close()


def _snapshot(pid: int, trace: Path, n: int) -> dict:
    """Asks the traced server for a snapshot at ``n`` documents; its figures once written."""
    (trace / "request").write_text(str(n))
    os.kill(pid, signal.SIGUSR1)
    done = trace / f"{n}.json"
    deadline = time.monotonic() + 600
    while not done.exists():
        if time.monotonic() > deadline:
            raise RuntimeError("the server wrote no snapshot (started with --trace?)")
        time.sleep(0.2)
    return json.loads(done.read_text())


def compare(first: Path, last: Path, top: int = 25) -> None:
    """Prints what grew between two snapshots: by traceback, then by object type."""
    import tracemalloc

    old, new = (
        tracemalloc.Snapshot.load(str(p)).filter_traces(
            [tracemalloc.Filter(False, tracemalloc.__file__)]
        )
        for p in (first, last)
    )
    print(f"traced: {_total(old) / 2**20:.1f} MB → {_total(new) / 2**20:.1f} MB")
    for stat in new.compare_to(old, "traceback")[:top]:
        print(
            f"\n{stat.size_diff / 2**20:+.2f} MB ({stat.size / 2**20:.2f} MB), "
            f"{stat.count_diff:+d} blocks"
        )
        for line in stat.traceback.format(limit=12, most_recent_first=True):
            print("   ", line)
    counts = [json.loads(p.with_suffix(".json").read_text())["types"] for p in (first, last)]
    if all(counts):
        grown = sorted(((n - counts[0].get(t, 0), t) for t, n in counts[1].items()), reverse=True)
        print("\nobjects the collector tracks, by type:")
        for diff, name in grown[:top]:
            print(f"  {diff:+8d}  {name} ({counts[1][name]})")


def _total(snapshot: object) -> int:
    return sum(stat.size for stat in snapshot.statistics("filename"))  # type: ignore[attr-defined]


def run(
    docs: int,
    database_url: str | None,
    in_flight: int = 1,
    s3: S3Server | None = None,
    search_backend: str = "whoosh",
    trace: Path | None = None,
    at: list[int] | None = None,
) -> None:
    work = Path(tempfile.mkdtemp(prefix="akte-bench-soak-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("AKTE_")}
    env.update(
        AKTE_DATA_DIR=str(work / "data"),
        AKTE_NEW_PASSWORD=PASSWORD,
        AKTE_WORKER_POLL_SECONDS="0.1",
        AKTE_SEARCH_BACKEND=search_backend,
        OMP_THREAD_LIMIT="1",
    )
    if database_url:
        env.update(AKTE_DATABASE_URL=database_url, AKTE_INPROCESS_WORKER="false")
    if s3:
        env.update(
            AKTE_STORAGE_BACKEND="s3",
            AKTE_S3_ENDPOINT=s3.endpoint,
            AKTE_S3_ACCESS_KEY=s3.access_key,
            AKTE_S3_SECRET_KEY=s3.secret_key,
            AKTE_S3_BUCKET=f"soak-{os.getpid()}",
        )
    os.environ.update({k: v for k, v in env.items() if k.startswith("AKTE_")})
    (work / "data").mkdir()
    from akte.core.settings import Settings

    upgrade(Settings().effective_database_url)
    akte = str(Path(sys.executable).parent / "akte")
    _seed(akte, env)
    fractions = (0.05, 0.1, 0.25, 0.5, 0.75, 1.0)
    checkpoints = sorted(
        {n for n in at if 0 < n < docs} | {docs}
        if at
        else {max(1, round(docs * f)) for f in fractions}
    )
    port = free_port()
    server_env = dict(env)
    if trace is not None:
        trace.mkdir(parents=True, exist_ok=True)
        (trace / "sitecustomize.py").write_text(TRACE_SITE)
        server_env["AKTE_SOAK_TRACE_DIR"] = str(trace)
        server_env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(trace), env.get("PYTHONPATH")])
        )
    procs = {
        "server": subprocess.Popen(
            [akte, "serve", "--port", str(port)],
            env=server_env,
            stdout=(work / "server.log").open("ab"),
            stderr=subprocess.STDOUT,
        )
    }
    if database_url:
        procs["worker"] = subprocess.Popen(
            [akte, "worker", "--processes", "1"],
            env=env,
            stdout=(work / "worker.log").open("ab"),
            stderr=subprocess.STDOUT,
        )
    samples: dict[int, dict[str, tuple[float, float, int, int]]] = {}
    try:
        assert wait_for_port(port, 600 if trace else 60), "akte serve did not start"
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
            token = client.post(
                "/api/v1/auth/token", data={"username": "soak-sb", "password": PASSWORD}
            ).json()
            headers = {"Authorization": f"Bearer {token['access_token']}"}
            unit = client.get("/api/v1/auth/me", headers=headers).json()["org_unit_ids"][0]
            case_file = client.post(
                "/api/v1/case-files",
                headers=headers,
                json={"aktenzeichen": "AZ-SOAK-1", "org_unit_id": unit},
            )
            case_file_id = case_file.json()["id"]
            print(
                f"soak: {docs} documents, {'PostgreSQL' if database_url else 'SQLite'}, "
                f"{'S3' if s3 else 'local'} blobs, search {search_backend}, "
                f"checkpoints {checkpoints}",
                flush=True,
            )
            header = "  ".join(f"{name:>40}" for name in procs)
            print(
                f"{'documents':>9}  {'docs/s':>7}  {'CPU s/doc':>9}  {header}   "
                "(RSS MB, of it anonymous MB, fds, deleted fds)  load average"
            )
            started = time.perf_counter()
            # one waiting upload: poll often (its latency is the rate); several: the
            # worker stays busy anyway, and every poll is a request the server serves
            poll = 0.02 if in_flight == 1 else 0.2
            cpu_before, docs_before = sum(_cpu(_working(p.pid)) for p in procs.values()), 0
            pending: deque[str] = deque()
            failed_searches = 0
            for n in range(1, docs + 1):
                response = client.post(
                    f"/api/v1/case-files/{case_file_id}/documents",
                    headers=headers,
                    files={"file": (f"soak-{n}.pdf", _pdf(n), "application/pdf")},
                )
                response.raise_for_status()
                pending.append(response.json()["id"])
                while len(pending) >= in_flight or (n in checkpoints and pending):
                    _wait_ready(client, headers, pending.popleft(), poll)
                if n % 10 == 0:
                    answer = client.get(
                        "/api/v1/search", params={"q": WORDS[n % len(WORDS)]}, headers=headers
                    )
                    if answer.status_code != 200:  # counted and shown, the soak goes on
                        failed_searches += 1
                        print(f"  search at {n}: {answer.status_code} {answer.text[:300]}")
                if n in checkpoints:
                    _wait_found(client, headers, f"Soakwort{n}x")
                    rate = n / (time.perf_counter() - started)
                    samples[n] = {name: _sample(_working(p.pid)) for name, p in procs.items()}
                    cpu = sum(_cpu(_working(p.pid)) for p in procs.values())
                    per_doc = (cpu - cpu_before) / (n - docs_before)
                    cpu_before, docs_before = cpu, n
                    cells = "  ".join(
                        f"{rss:>10.1f} MB {anon:>10.1f} MB {fds:>6} {dead:>6}"
                        for rss, anon, fds, dead in samples[n].values()
                    )
                    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
                    print(f"{n:>9}  {rate:>7.1f}  {per_doc:>9.3f}  {cells}  {load}", flush=True)
                    if trace is not None:
                        traced = _snapshot(procs["server"].pid, trace, n)["traced"]
                        print(f"{'':>9}  server: {traced / 2**20:.1f} MB traced", flush=True)
    finally:
        for process in procs.values():
            process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(30)
    print(f"searches that failed: {failed_searches}; server log: {work / 'server.log'}")
    first, last = checkpoints[0], checkpoints[-1]
    for name in procs:
        (rss0, anon0, fds0, _) = samples[first][name]
        (rss1, anon1, fds1, dead1) = samples[last][name]
        print(
            f"{name}: growth {first}→{last} documents: RSS {rss1 - rss0:+.1f} MB "
            f"(anonymous {anon1 - anon0:+.1f} MB), descriptors {fds1 - fds0:+d}, "
            f"deleted files open at the end {dead1}"
        )
    if trace is not None:
        compare(trace / f"{first}.snapshot", trace / f"{last}.snapshot")
    elif search_backend == "whoosh":  # the job path's rate: not traced
        rate = _job_path_rate(env)
        print(
            "job path (search.index_document, one document a job, fresh index): "
            f"{rate:.1f} documents/s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument(
        "--database-url", default=None, help="PostgreSQL URL (default: the embedded SQLite default)"
    )
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="a fresh PostgreSQL database (dropped afterwards) instead of --database-url",
    )
    parser.add_argument("--s3", action="store_true", help="blobs on a local S3 server (weed)")
    parser.add_argument("--search-backend", choices=("whoosh", "postgres"), default="whoosh")
    parser.add_argument(
        "--in-flight",
        type=int,
        default=1,
        help="uploads waiting to be ready at a time (each is still its own document and "
        "index job; more than 1 keeps the worker busy while the client polls)",
    )
    parser.add_argument(
        "--trace",
        type=Path,
        default=None,
        help="folder for the server's tracemalloc snapshots at each checkpoint",
    )
    parser.add_argument(
        "--compare", nargs=2, type=Path, default=None, help="two snapshots to compare; no run"
    )
    parser.add_argument(
        "--at",
        default="",
        help="checkpoints instead of 5/10/25/50/75/100 %% (comma-separated document counts)",
    )
    args = parser.parse_args()
    if args.compare:
        compare(*args.compare)
        return
    at = [int(n) for n in args.at.split(",") if n]
    with contextlib.ExitStack() as stack:
        url = args.database_url
        if args.postgres:
            url = stack.enter_context(fresh_database(stack.enter_context(postgres_server())))
        s3 = stack.enter_context(s3_server()) if args.s3 else None
        run(args.docs, url, args.in_flight, s3, args.search_backend, args.trace, at)


if __name__ == "__main__":
    main()
