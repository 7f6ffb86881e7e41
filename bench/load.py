"""Load: simulated users against a real uvicorn server on loopback, then consistency.

    .venv/bin/python -m bench.load [--seconds 60] [--users 20]
    .venv/bin/python -m bench.load --production [--users 100] [--api-workers 2]

Users (threads with their own HTTP connection): caseworkers search and open Akten and
download documents, staff upload PDFs, citizens upload with an upload code, the importer
sends small scanning-contractor deliveries, the print provider polls its batches.

Two shapes:

* default: ``akte.asgi:app`` on the embedded default (SQLite, local blobs, in-process
  worker), one uvicorn process;
* ``--production``: PostgreSQL (a fresh database on the test server) + S3 (a SeaweedFS
  ``weed`` started as the tests do), the schema migrated by ``akte db upgrade`` as its own
  step, ``uvicorn --workers N`` (default 2) with multiprocess metrics, and a separate
  ``akte worker`` process (``--worker-processes``, default 1).

Printed: throughput and p50/p95 latency per action, the error count (anything but the
expected status, and any exception: must be 0), a baseline of the same mix with ONE user
measured in the same run (the ratio shows what concurrency costs), and afterwards: queue
drained, every accepted upload present exactly once, and ``akte fsck`` (database, blobs,
index) clean.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import httpx

SECRET = "bench-load-secret-key-that-is-long-enough-0123456789"


def _pdf(text: str) -> bytes:
    import io

    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    page = canvas.Canvas(buf)
    page.drawString(72, 720, text)
    page.showPage()
    page.save()
    return buf.getvalue()


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    uploaded: list[str] = field(default_factory=list)  # sha256 of every accepted upload
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, action: str, seconds: float) -> None:
        with self.lock:
            self.latencies[action].append(seconds)

    def error(self, message: str) -> None:
        with self.lock:
            self.errors.append(message)


@dataclass
class Seed:
    base: str
    caseworker: dict[str, str]
    case_file_ids: list[str]
    provider: dict[str, str] | None
    codes: list[str]
    words: list[str]
    importer: dict[str, str] | None = None
    aktenzeichen: str = ""


def _timed(stats: Stats, action: str, expected: set[int], call) -> httpx.Response | None:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    try:
        response = call()
    except httpx.HTTPError as exc:
        stats.error(f"{action}: {type(exc).__name__}: {exc}")
        return None
    stats.add(action, time.perf_counter() - started)
    if response.status_code not in expected:
        stats.error(f"{action}: HTTP {response.status_code} {response.text[:200]}")
        return None
    return response


def caseworker(seed: Seed, stats: Stats, stop: threading.Event, rng: random.Random) -> None:
    with httpx.Client(base_url=seed.base, headers=seed.caseworker, timeout=60) as http:
        while not stop.is_set():
            word = rng.choice(seed.words)
            _timed(
                stats, "search", {200}, lambda w=word: http.get("/api/v1/search", params={"q": w})
            )
            case_id = rng.choice(seed.case_file_ids)
            _timed(stats, "open_akte", {200}, lambda c=case_id: http.get(f"/api/v1/case-files/{c}"))
            docs = _timed(
                stats,
                "list_documents",
                {200},
                lambda c=case_id: http.get(f"/api/v1/case-files/{c}/documents"),
            )
            if docs is not None and docs.json()["items"]:
                doc = rng.choice(docs.json()["items"])
                _timed(
                    stats,
                    "download",
                    {200},
                    lambda d=doc: http.get(f"/api/v1/documents/{d['id']}/content"),
                )


def uploader(seed: Seed, stats: Stats, stop: threading.Event, rng: random.Random) -> None:
    with httpx.Client(base_url=seed.base, headers=seed.caseworker, timeout=60) as http:
        while not stop.is_set():
            data = _pdf(f"Lohnabrechnung {rng.choice(seed.words)} {uuid.uuid4()}")
            case_id = rng.choice(seed.case_file_ids)
            r = _timed(
                stats,
                "upload",
                {201},
                lambda data=data, case_id=case_id: http.post(
                    f"/api/v1/case-files/{case_id}/documents",
                    files={"file": ("lohn.pdf", data, "application/pdf")},
                    data={"doc_type": "Lohnabrechnung"},
                ),
            )
            if r is not None:
                with stats.lock:
                    stats.uploaded.append(r.json()["sha256"])


def citizen(seed: Seed, stats: Stats, stop: threading.Event, rng: random.Random) -> None:
    code = seed.codes.pop()
    with httpx.Client(base_url=seed.base, timeout=60, follow_redirects=False) as http:
        page = http.get("/upload")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        if token is None:
            stats.error("citizen: no CSRF token on the portal page")
            return
        csrf = token.group(1)
        r = http.post("/upload", data={"code": code, "csrf_token": csrf})
        if r.status_code != 303:
            stats.error(f"citizen: code refused: HTTP {r.status_code}")
            return
        while not stop.is_set():
            data = _pdf(f"Kontoauszug {uuid.uuid4()}")
            r = _timed(
                stats,
                "citizen_upload",
                {201},
                lambda data=data: http.post(
                    "/upload/files",
                    files={"files": ("konto.pdf", data, "application/pdf")},
                    headers={"X-CSRF-Token": csrf, "Accept": "application/json"},
                ),
            )
            if r is not None:
                import hashlib

                with stats.lock:
                    stats.uploaded.append(hashlib.sha256(data).hexdigest())
            stop.wait(1.0)  # a person picks the next file


def importer(seed: Seed, stats: Stats, stop: threading.Event, rng: random.Random) -> None:
    """A scanning contractor's delivery of five born-digital PDFs: manifest, files, commit."""
    import hashlib
    import json

    from tests.deliveries.conftest import TRANSFERVERMERK

    assert seed.importer is not None
    with httpx.Client(base_url=seed.base, headers=seed.importer, timeout=60) as http:
        while not stop.is_set():
            files = {
                f"D{i}": _pdf(f"Antrag {rng.choice(seed.words)} {uuid.uuid4()}") for i in range(5)
            }
            manifest = "ID;Aktenzeichen;Dokumentart;Titel;Seitenzahl;SHA256;Dateiname\n" + "".join(
                f"{k};{seed.aktenzeichen};Antrag;Antrag {k};1;{hashlib.sha256(d).hexdigest()};"
                f"{k}.pdf\n"
                for k, d in files.items()
            )
            r = _timed(
                stats,
                "import_open",
                {201},
                lambda m=manifest: http.post(
                    "/api/v1/deliveries",
                    data={"external_id": f"BENCH-{uuid.uuid4().hex}"},
                    files={
                        "manifest": ("manifest.csv", m.encode(), "text/csv"),
                        "transfervermerk": (
                            "transfervermerk.json",
                            json.dumps(TRANSFERVERMERK).encode(),
                            "application/json",
                        ),
                    },
                ),
            )
            if r is None:
                continue
            delivery = r.json()["id"]
            for key, data in files.items():
                _timed(
                    stats,
                    "import_item",
                    {200, 201},
                    lambda k=key, d=data, did=delivery: http.put(
                        f"/api/v1/deliveries/{did}/items/{k}/file",
                        files={"file": (f"{k}.pdf", d, "application/pdf")},
                    ),
                )
            if (
                _timed(
                    stats,
                    "import_commit",
                    {200, 202},
                    lambda did=delivery: http.post(f"/api/v1/deliveries/{did}/commit"),
                )
                is not None
            ):
                with stats.lock:
                    stats.uploaded.extend(hashlib.sha256(d).hexdigest() for d in files.values())
            stop.wait(2.0)


def provider(seed: Seed, stats: Stats, stop: threading.Event, rng: random.Random) -> None:
    assert seed.provider is not None
    with httpx.Client(base_url=seed.base, headers=seed.provider, timeout=60) as http:
        while not stop.is_set():
            _timed(stats, "provider_poll", {200}, lambda: http.get("/api/v1/outbox/batches"))
            stop.wait(0.5)


#: Settings of the production shape (database, S3), set by :func:`production_shape`.
PRODUCTION: dict[str, str] = {}


def _env(data_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "AKTE_DATA_DIR": str(data_dir),
        "AKTE_SECRET_KEY": SECRET,
        "AKTE_ENV": "test",
        "OMP_THREAD_LIMIT": "1",
        **{k: v for k, v in PRODUCTION.items() if k.startswith("AKTE_")},
    }


@contextlib.contextmanager
def production_shape(data_dir: Path):  # type: ignore[no-untyped-def]
    """A fresh PostgreSQL database and a SeaweedFS S3 server (as the tests start them)."""
    from tests.infra.postgres import fresh_database, postgres_server
    from tests.infra.s3 import s3_server

    with postgres_server() as admin, fresh_database(admin) as url, s3_server() as s3:
        PRODUCTION.update(
            {
                "AKTE_DATABASE_URL": url,
                "AKTE_STORAGE_BACKEND": "s3",
                "AKTE_S3_ENDPOINT": s3.endpoint,
                "AKTE_S3_ACCESS_KEY": s3.access_key,
                "AKTE_S3_SECRET_KEY": s3.secret_key,
                "AKTE_S3_BUCKET": "akte-bench-load",
                "AKTE_INPROCESS_WORKER": "false",
                "AKTE_METRICS_DIR": str(data_dir / "metrics"),
            }
        )
        (data_dir / "metrics").mkdir()
        try:
            if s3.process is not None:
                PRODUCTION["weed_pid"] = str(s3.process.pid)
            # made once before the servers start, as an operator does (two uvicorn workers
            # creating it at the same moment once got HTTP 500 from a loaded SeaweedFS)
            from minio import Minio

            Minio(
                s3.endpoint, access_key=s3.access_key, secret_key=s3.secret_key, secure=False
            ).make_bucket(PRODUCTION["AKTE_S3_BUCKET"])
            yield s3
        finally:
            PRODUCTION.clear()


def seed_data(data_dir: Path, base: str) -> Seed:
    os.environ.update(_env(data_dir))
    from akte.core.context import AppContext
    from akte.core.database import session_scope
    from akte.core.migrations import upgrade
    from akte.core.settings import get_settings
    from tests.builders import make_case_file, make_world

    settings = get_settings()
    if PRODUCTION:  # once per deployment, its own step: what ``akte db upgrade`` runs
        subprocess.run(
            [str(Path(sys.executable).parent / "akte"), "db", "upgrade"],
            env=_env(data_dir),
            check=True,
            stdout=subprocess.DEVNULL,
        )
    else:
        upgrade(settings.effective_database_url)
    ctx = AppContext.from_settings(settings)
    world = make_world(ctx)
    with session_scope(ctx.session_factory) as session:
        extra = [make_case_file(session, world.tenant_a, world.unit_a1) for _ in range(8)]
    ctx.close()
    return Seed(
        base=base,
        caseworker=world.headers["caseworker_a1"],
        case_file_ids=[str(world.case_a1.id)] + [str(c.id) for c in extra],
        provider=world.headers["provider_a"],
        codes=[],
        words=["Lohnabrechnung", "Kontoauszug", "Mietvertrag", "Bescheid"],
        importer=world.headers["importer_a"],
        aktenzeichen=world.case_a1.aktenzeichen,
    )


def start_worker(data_dir: Path, processes: int) -> subprocess.Popen:
    """``akte worker`` as its own process (production shape)."""
    with (data_dir / "worker.log").open("wb") as log:
        return subprocess.Popen(
            [str(Path(sys.executable).parent / "akte"), "worker", "--processes", str(processes)],
            env=_env(data_dir),
            stdout=subprocess.DEVNULL,
            stderr=log,
        )


def start_server(data_dir: Path, port: int, workers: int = 1) -> subprocess.Popen:
    """The API; started again (three attempts) when it refuses to start, as a supervisor
    would: a loaded SeaweedFS answered its start-up bucket check with HTTP 500 twice."""
    for attempt in range(3):
        with (data_dir / "server.log").open("ab") as log:
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "akte.asgi:app",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--log-level",
                    "warning",
                    "--no-access-log",
                    "--workers",
                    str(workers),
                ],
                env=_env(data_dir),
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                    return proc
            except httpx.HTTPError:
                time.sleep(0.3)
        proc.kill()
        proc.wait(10)
        print(f"server start {attempt + 1} failed; see {data_dir / 'server.log'}")
    raise RuntimeError(f"server did not start; see {data_dir / 'server.log'}")


def issue_codes(seed: Seed, n: int) -> None:
    with httpx.Client(base_url=seed.base, headers=seed.caseworker, timeout=30) as http:
        for _ in range(n):
            r = http.post(f"/api/v1/case-files/{seed.case_file_ids[0]}/upload-codes", json={})
            r.raise_for_status()
            seed.codes.append(r.json()["code"])


#: 20 users: 8 caseworkers, 5 staff uploading, 3 citizens, 1 importer, 3 print-provider
#: pollers, interleaved so that fewer users still bring every role.
MIX = [
    caseworker,
    uploader,
    citizen,
    provider,
    importer,
    caseworker,
    uploader,
    caseworker,
    citizen,
    caseworker,
    uploader,
    provider,
    caseworker,
    caseworker,
    uploader,
    citizen,
    caseworker,
    uploader,
    provider,
    caseworker,
]


def run_phase(
    seed: Seed, users: int, seconds: float, stats: Stats | None = None
) -> tuple[Stats, float]:
    roles = [MIX[i % len(MIX)] for i in range(users)] if users > 1 else [caseworker]
    return run_roles(seed, roles, seconds, stats)


def run_baseline(seed: Seed, seconds: float) -> tuple[Stats, float]:
    """One user at a time, each role in turn: every action's latency without concurrency."""
    stats, elapsed = Stats(), 0.0
    for role in dict.fromkeys(MIX):
        _, spent = run_roles(seed, [role], seconds, stats)
        elapsed += spent
    return stats, elapsed


def run_roles(
    seed: Seed,
    roles: list,
    seconds: float,  # type: ignore[type-arg]
    stats: Stats | None = None,
) -> tuple[Stats, float]:
    issue_codes(seed, sum(1 for r in roles if r is citizen))
    stats, stop = stats or Stats(), threading.Event()
    threads = [
        threading.Thread(target=role, args=(seed, stats, stop, random.Random(i)))
        for i, role in enumerate(roles)
    ]
    started = time.monotonic()
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join(120)
    return stats, time.monotonic() - started


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 2 else (values or [0])[0]


def report(title: str, stats: Stats, elapsed: float) -> tuple[float, float]:
    everything = [v for vs in stats.latencies.values() for v in vs]
    rate = len(everything) / elapsed
    print(
        f"\n{title}: {len(everything)} requests in {elapsed:.1f}s = {rate:.1f} req/s, "
        f"p95 {p95(everything) * 1000:.0f} ms, errors {len(stats.errors)}"
    )
    for action, values in sorted(stats.latencies.items()):
        print(
            f"  {action:15} n={len(values):6}  p50 {statistics.median(values) * 1000:7.1f} ms"
            f"  p95 {p95(values) * 1000:7.1f} ms"
        )
    for message in stats.errors[:10]:
        print(f"  ERROR {message}")
    return rate, p95(everything)


def compare(base: Stats, load: Stats) -> None:
    """Per action: p50/p95 under load against the one-user baseline of the same run."""
    print("\nper action, load vs one-user baseline (ratio of p50 / p95):")
    for action in sorted(load.latencies):
        values, ref = load.latencies[action], base.latencies.get(action)
        if not ref:
            print(f"  {action:15} no baseline")
            continue
        print(
            f"  {action:15} p50 {statistics.median(values) * 1000:7.1f} ms "
            f"(x{statistics.median(values) / statistics.median(ref):5.1f})  "
            f"p95 {p95(values) * 1000:7.1f} ms (x{p95(values) / p95(ref):5.1f})"
        )


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its reaped and living children (``/proc``)."""
    total = 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return total
    return total + sum(cpu_seconds(int(child)) for child in children)


def database_cpu_seconds() -> float:
    """CPU of the PostgreSQL backends connected to this run's database."""
    url = PRODUCTION.get("AKTE_DATABASE_URL")
    if not url:
        return 0.0
    import psycopg

    with psycopg.connect(url.replace("+psycopg", "")) as conn:
        pids = [
            r[0]
            for r in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()"
            )
        ]
    return sum(cpu_seconds(pid) for pid in pids)


def wait_for_queue(data_dir: Path, timeout: float = 300) -> dict[str, int]:
    from akte.core.context import AppContext
    from akte.core.database import session_scope
    from akte.core.settings import get_settings
    from akte.jobs import repository
    from akte.jobs.registry import registered_kinds

    ctx = AppContext.from_settings(get_settings())
    kinds = set(registered_kinds())
    deadline = time.monotonic() + timeout
    try:
        while True:
            with session_scope(ctx.session_factory) as session:
                from sqlalchemy import func, select

                from akte.jobs.models import Job

                pending = session.scalar(
                    select(func.count()).where(
                        Job.status.in_(["queued", "running"]),
                        Job.kind.in_(kinds),
                        Job.kind != "audit.seal_periodic",
                        Job.run_after <= _now(),
                    )
                )
                counts = repository.counts(session)
            if not pending or time.monotonic() > deadline:
                return counts
            time.sleep(1)
    finally:
        ctx.close()


def _now():  # type: ignore[no-untyped-def]
    from akte.core.database import utcnow

    return utcnow()


def consistency(uploaded: list[str]) -> bool:
    from sqlalchemy import func, select

    from akte.core.context import AppContext
    from akte.core.database import session_scope
    from akte.core.settings import get_settings
    from akte.documents.models import DocumentVersion
    from akte.operations.fsck import check

    ctx = AppContext.from_settings(get_settings())
    try:
        with session_scope(ctx.session_factory) as session:
            rows = {
                h: n
                for h, n in session.execute(
                    select(DocumentVersion.sha256, func.count()).group_by(DocumentVersion.sha256)
                )
            }
        not_once = [h for h in uploaded if rows.get(h) != 1]
        fsck = check(ctx, grace_seconds=0)
    finally:
        ctx.close()
    index = (
        "not checked"
        if fsck.index is None
        else ", ".join(f"{k} {len(v)}" for k, v in fsck.index.items())
    )
    print(
        f"\nconsistency: {len(uploaded)} accepted uploads, {len(not_once)} not present "
        f"exactly once; fsck: blobs {fsck.blobs}, orphaned {len(fsck.orphaned)}, missing "
        f"{len(fsck.missing)}, corrupt {len(fsck.corrupt)} (re-hashed {fsck.hashed}); "
        f"index: {index} -> {'CLEAN' if fsck.clean and not not_once else 'INCONSISTENT'}"
    )
    return fsck.clean and not not_once


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--baseline-seconds", type=float, default=10)
    parser.add_argument(
        "--production",
        action="store_true",
        help="PostgreSQL + S3, several uvicorn workers, a separate akte worker",
    )
    parser.add_argument("--api-workers", type=int, default=2)
    parser.add_argument("--worker-processes", type=int, default=1)
    parser.add_argument(
        "--drain-timeout",
        type=float,
        default=1200,
        help="seconds the workers get to finish the queue after the load",
    )
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="akte-bench-load-"))
    with contextlib.ExitStack() as stack:
        if args.production:
            stack.enter_context(production_shape(data_dir))
        return run(args, data_dir)


def run(args: argparse.Namespace, data_dir: Path) -> int:
    from tests.infra.ports import free_port

    port = free_port()
    seed = seed_data(data_dir, f"http://127.0.0.1:{port}")
    server = start_server(data_dir, port, args.api_workers if args.production else 1)
    worker = start_worker(data_dir, args.worker_processes) if args.production else None
    print(
        f"shape: {'PostgreSQL + S3, ' + str(args.api_workers) + ' uvicorn workers, akte worker x' + str(args.worker_processes) if args.production else 'embedded (SQLite, folder, in-process worker)'}"
    )
    try:
        with httpx.Client(base_url=seed.base, headers=seed.caseworker) as http:
            for i in range(20):  # something to find and open
                http.post(
                    f"/api/v1/case-files/{seed.case_file_ids[i % 3]}/documents",
                    files={"file": ("s.pdf", _pdf(f"{seed.words[i % 4]} {i}"), "application/pdf")},
                ).raise_for_status()
        wait_for_queue(data_dir)
        run_roles(seed, list(dict.fromkeys(MIX)), 3)  # warm-up (imports, caches), not counted
        wait_for_queue(data_dir)
        base_stats, base_elapsed = run_baseline(seed, args.baseline_seconds)
        base_rate, base_p95 = report(
            "baseline (one user at a time, each role in turn)", base_stats, base_elapsed
        )
        watched = {"bench client": os.getpid(), "uvicorn": server.pid}
        if worker is not None:
            watched["akte worker"] = worker.pid
        if PRODUCTION.get("weed_pid"):
            watched["S3 (weed)"] = int(PRODUCTION["weed_pid"])
        cpu_before = {name: cpu_seconds(pid) for name, pid in watched.items()}
        stats, elapsed = run_phase(seed, args.users, args.seconds)
        cpu = {name: cpu_seconds(pid) - cpu_before[name] for name, pid in watched.items()}
        rate, p95_all = report(f"load ({args.users} users)", stats, elapsed)
        print(
            f"\nratio vs baseline: throughput x{rate / base_rate:.2f}, "
            f"p95 x{p95_all / base_p95:.2f}"
        )
        compare(base_stats, stats)
        load = os.getloadavg()
        print(
            f"\nCPU seconds during the {elapsed:.0f} s load phase (machine: "
            f"{os.cpu_count()} cores, load average {load[0]:.1f}): "
            + ", ".join(f"{name} {seconds:.0f}" for name, seconds in cpu.items())
            + (
                f", PostgreSQL backends of this database (cumulative) {database_cpu_seconds():.0f}"
                if PRODUCTION
                else ""
            )
        )
        drain_started = time.monotonic()
        counts = wait_for_queue(data_dir, timeout=args.drain_timeout)
        print(
            f"queue after draining ({time.monotonic() - drain_started:.0f} s after the load "
            f"phase; limit {args.drain_timeout:.0f} s): {counts}"
        )
        if counts.get("queued") or counts.get("running"):
            print(
                "  NOT DRAINED: the workers did not catch up; the index check below counts "
                "the documents still waiting for their index job as missing"
            )
    finally:
        for proc in (server, worker):
            if proc is not None:
                proc.send_signal(signal.SIGTERM)
        for proc in (server, worker):
            if proc is None:
                continue
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
    ok = consistency(stats.uploaded + base_stats.uploaded)
    errors = len(stats.errors) + len(base_stats.errors)
    # uvicorn shuts down gracefully on SIGTERM, then re-raises it: -15 is the normal exit
    print(f"errors: {errors}; server exit code after SIGTERM: {server.returncode}")
    return 0 if ok and errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
