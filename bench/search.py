"""Search benchmark: the Whoosh and the PostgreSQL engine, through the API, in one run.

For each corpus layout ("mix") a fresh PostgreSQL database gets German documents of 1–3
pages (names, addresses, IBANs, amounts; ~1–1.5 KB a page), then for each engine:

1. indexing with ``akte search reindex`` (a subprocess, as an operator runs it):
   documents/s, index size (Whoosh: the folder; PostgreSQL: ``search_documents`` with its
   indexes), peak RSS of the process tree;
2. one fixed, seeded query mix — rare names, fuzzy names, full names, common words, two
   words, phrases, Dokumentart filter, Aktenzeichen, prefix, date range — through the API
   (``uvicorn`` on loopback, 2 worker processes, result cache off) with 1 and 8 clients;
   each answer has total, four facets, 20 hits with snippets and is audited. Peak RSS of
   the API processes is reported too.

Mixes: ``current`` — 17 tenants, caseworkers holding one of four org units (each query
sees 1/68 of the corpus); ``large`` — one tenant (a large jobcenter) with ten org units:
caseworkers of one unit (10 %) and, as a Poststelle or tenant admin searches, members of
every unit (tenant-wide), reported separately.

Run: ``python -m bench.search --docs 100000 [--mix current,large]``. Prints p50/p95/p99
and q/s per engine and mix, and the ratio PostgreSQL / Whoosh of each figure.

``--analysis`` measures what understanding German costs: per engine ``akte search
reindex`` without compound parts (``AKTE_SEARCH_COMPOUNDS=off``) and with them — index
size and documents/s —, then the same query mix through the API on each index, the
"without" server also without synonyms and query-side splitting
(``AKTE_SEARCH_SYNONYMS=off``): p50/p95/p99 with 1 and 8 clients and the ratios
with / without.

``--engines postgres`` measures one engine only; ``--pg-baseline`` first indexes the same
rows the way the PostgreSQL engine did before its analysis moved into the database
(Python analysis, :mod:`bench.pg_python_baseline`) and prints the ratio new / old.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import pickle
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import psycopg

SECRET = "bench-secret-key-that-is-long-enough-0123456789"
TENANTS = 17
UNITS_PER_TENANT = 4
DOCS_PER_AKTE = 3
SYLLABLES = [
    "brz",
    "ko",
    "wa",
    "ni",
    "ecz",
    "ski",
    "tre",
    "mul",
    "hau",
    "ber",
    "sto",
    "lin",
    "gra",
    "fen",
    "wit",
    "zek",
    "pol",
    "dor",
    "quan",
    "vel",
    "mar",
    "tus",
    "ock",
    "ram",
    "sel",
    "ing",
    "hof",
]


def _rare_surname(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(3)).capitalize() + rng.choice(
        ["er", "ski", "mann", "ow", "ic"]
    )


@dataclass
class Corpus:
    tenants: list[uuid.UUID] = field(default_factory=list)
    units: dict[uuid.UUID, list[uuid.UUID]] = field(default_factory=dict)
    #: (tenant, unit) → rare surnames / Aktenzeichen in that org unit
    rare: dict[tuple[uuid.UUID, uuid.UUID], list[str]] = field(default_factory=dict)
    aktenzeichen: dict[tuple[uuid.UUID, uuid.UUID], list[str]] = field(default_factory=dict)
    docs: int = 0
    pages: int = 0
    text_bytes: int = 0


def _settings(data_dir: Path, url: str):  # type: ignore[no-untyped-def]
    from akte.core.settings import Settings

    return Settings(
        env="test",
        data_dir=data_dir,
        secret_key=SECRET,
        inprocess_worker=False,
        database_url=url,
        search_cache_size=0,
    )


def build_corpus(
    url: str,
    n_docs: int,
    seed: int = 17,
    tenants: int = TENANTS,
    units_per_tenant: int = UNITS_PER_TENANT,
) -> Corpus:
    """Inserts tenants, org units, Akten, documents, versions and pages in bulk."""
    from sqlalchemy import create_engine, insert

    from akte.case_files.models import CaseFile
    from akte.documents.models import Document, DocumentPage, DocumentVersion
    from akte.tenants.models import OrgUnit, Tenant
    from tests.search.corpus import DOC_TYPES, SOURCES, page_texts, person

    rng = random.Random(seed)
    corpus = Corpus()
    engine = create_engine(url)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        for t in range(tenants):
            tid = uuid.uuid4()
            conn.execute(
                insert(Tenant),
                [
                    {
                        "id": tid,
                        "slug": f"jc-{t:02d}-{tid.hex[:6]}",
                        "name": f"Jobcenter {t}",
                        "options": {},
                    }
                ],
            )
            units = [uuid.uuid4() for _ in range(units_per_tenant)]
            conn.execute(
                insert(OrgUnit),
                [
                    {"id": u, "tenant_id": tid, "code": f"OE{i}", "name": f"Team {i}"}
                    for i, u in enumerate(units)
                ],
            )
            corpus.tenants.append(tid)
            corpus.units[tid] = units
    n_akten = max(1, n_docs // DOCS_PER_AKTE)
    batch_cf, batch_doc, batch_ver, batch_page = [], [], [], []

    def flush() -> None:
        with engine.begin() as conn:
            for table, rows in (
                (CaseFile, batch_cf),
                (Document, batch_doc),
                (DocumentVersion, batch_ver),
                (DocumentPage, batch_page),
            ):
                if rows:
                    conn.execute(insert(table), rows)
                    rows.clear()

    made = 0
    for a in range(n_akten):
        tid = corpus.tenants[a % tenants]
        unit = corpus.units[tid][(a // tenants) % units_per_tenant]
        rare = rng.random() < 0.02
        who = person(rng, _rare_surname(rng) if rare else None)
        az = f"AZ-{2015 + a % 10}-{a:07d}"
        cf_id = uuid.uuid4()
        bg = f"{10000 + a % 90000}BG{a:07d}"
        batch_cf.append(
            {
                "id": cf_id,
                "tenant_id": tid,
                "org_unit_id": unit,
                "aktenzeichen": az,
                "bg_nummer": bg,
                "bg_nummer_norm": bg,
                "kundennummer": f"K{a:08d}",
                "person_name": who.name,
                "status": "open" if a % 5 else "closed",
                "created_at": now,
                "updated_at": now,
            }
        )
        if rare:
            corpus.rare.setdefault((tid, unit), []).append(who.name.split()[-1])
        if a % 50 == 0:
            corpus.aktenzeichen.setdefault((tid, unit), []).append(az)
        for _ in range(DOCS_PER_AKTE if a < n_akten - 1 else n_docs - made):
            if made >= n_docs:
                break
            doc_type = rng.choice(DOC_TYPES)
            doc_id, ver_id = uuid.uuid4(), uuid.uuid4()
            texts = page_texts(rng, who, doc_type, rng.randint(1, 3), filler=rng.randint(8, 16))
            day = date(2015, 1, 1) + timedelta(days=rng.randint(0, 3650))
            batch_doc.append(
                {
                    "id": doc_id,
                    "tenant_id": tid,
                    "case_file_id": cf_id,
                    "title": f"{doc_type} {day.year}",
                    "doc_type": doc_type,
                    "source": rng.choice(SOURCES),
                    "document_date": day,
                    "received_at": now - timedelta(days=rng.randint(0, 3000)),
                    "status": "ready",
                    "filed": True,
                    "current_version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            batch_ver.append(
                {
                    "id": ver_id,
                    "document_id": doc_id,
                    "version_no": 1,
                    "filename": "scan.pdf",
                    "mime_type": "application/pdf",
                    "size": 50_000,
                    "page_count": len(texts),
                    "created_at": now,
                    "sha256": hashlib.sha256(doc_id.bytes).hexdigest(),
                }
            )
            for p, text in enumerate(texts, 1):
                batch_page.append(
                    {
                        "version_id": ver_id,
                        "page_no": p,
                        "text": text,
                        "method": "ocr",
                        "confidence": 0.9,
                    }
                )
                corpus.text_bytes += len(text.encode())
            corpus.pages += len(texts)
            made += 1
        if len(batch_doc) >= 5000:
            flush()
            print(f"  inserted {made:>9} documents", flush=True)
    flush()
    corpus.docs = made
    engine.dispose()
    return corpus


def make_caseworkers(url: str, corpus: Corpus) -> list[tuple]:
    """Per tenant, one caseworker per org unit and one member of every unit (tenant-wide):
    ``(tenant, tenant-wide?, bearer token, org units)``."""
    from sqlalchemy import create_engine, insert

    from akte.core.security import issue_token
    from akte.users.models import Membership, User

    engine = create_engine(url)
    people = []
    with engine.begin() as conn:
        for tid in corpus.tenants:
            for units in [[u] for u in corpus.units[tid]] + [corpus.units[tid]]:
                uid = uuid.uuid4()
                conn.execute(
                    insert(User),
                    [
                        {
                            "id": uid,
                            "tenant_id": tid,
                            "role": "caseworker",
                            "username": f"sb-{uid.hex[:10]}",
                            "display_name": "SB",
                            "password_hash": None,
                        }
                    ],
                )
                conn.execute(
                    insert(Membership), [{"user_id": uid, "org_unit_id": u} for u in units]
                )
                token = issue_token(SECRET, subject=str(uid), ttl_seconds=6 * 3600)
                people.append((tid, len(units) > 1, token, tuple(units)))
    engine.dispose()
    return people


@dataclass
class Q:
    kind: str
    text: str  # the query language of search/README.md
    who: int


def query_mix(corpus: Corpus, people: list, n: int, wide: bool, seed: int = 5) -> list[Q]:
    """``n`` queries, each by a unit caseworker (or, ``wide``, a tenant-wide member)."""
    rng = random.Random(seed)
    mix: list[Q] = []
    kinds = [
        "rare_name",
        "fuzzy_name",
        "full_name",
        "common_word",
        "two_words",
        "phrase",
        "art_filter",
        "aktenzeichen",
        "prefix",
        "date_range",
    ]
    askers = [i for i, p in enumerate(people) if p[1] == wide]
    while len(mix) < n:
        kind = kinds[len(mix) % len(kinds)]
        who = rng.choice(askers)
        tid, units = people[who][0], people[who][3]
        rare = [n for u in units for n in corpus.rare.get((tid, u), [])] or ["Niemand"]
        azs = [a for u in units for a in corpus.aktenzeichen.get((tid, u), [])]
        if kind == "rare_name":
            text = rng.choice(rare)
        elif kind == "fuzzy_name":
            name = rng.choice(rare)
            text = f"{name[:-2] + name[-1]}~"  # one deletion
        elif kind == "full_name":
            text = f"{rng.choice(['Anna', 'Thomas', 'Fatma'])} {rng.choice(['Müller', 'Weber'])}"
        elif kind == "common_word":
            text = rng.choice(["Miete", "Jobcenter", "Unterlagen", "Konto"])
        elif kind == "two_words":
            text = rng.choice(
                ["Kontoauszug Sparkasse", "Lohnsteuer Auszahlungsbetrag", "Heizkosten Nachzahlung"]
            )
        elif kind == "phrase":
            text = (
                '"'
                + rng.choice(
                    [
                        "Kosten der Unterkunft",
                        "Sicherung des Lebensunterhalts",
                        "Mit freundlichen Grüßen",
                    ]
                )
                + '"'
            )
        elif kind == "art_filter":
            text = "art:Lohnabrechnung Pflegedienst"
        elif kind == "aktenzeichen":
            text = rng.choice(azs or ["AZ-0000-0000000"])
        elif kind == "prefix":
            text = "Nebenkost*"
        else:
            text = "Bescheid datum:2018-01-01..2018-06-30"
        mix.append(Q(kind, text, who))
    return mix


def per_kind(mix: list[Q], latencies: list[float]) -> str:
    """Median ms per kind of query, from one client's run (its latencies are in mix
    order): which kind a p95 comes from."""
    by_kind: dict[str, list[float]] = {}
    for q, seconds in zip(mix, latencies, strict=True):
        by_kind.setdefault(q.kind, []).append(seconds * 1000)
    return "median ms per kind: " + ", ".join(
        f"{kind} {statistics.median(ms):.0f}" for kind, ms in sorted(by_kind.items())
    )


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    qs = statistics.quantiles(samples, n=100, method="inclusive")
    return qs[49] * 1000, qs[94] * 1000, qs[98] * 1000


def run_clients(mix: list[Q], clients: int, fn) -> tuple[list[float], float]:  # type: ignore[no-untyped-def]
    """Every client runs the whole mix (rotated); returns latencies and wall seconds."""
    latencies: list[float] = []
    lock = threading.Lock()

    def client(k: int) -> None:
        state: dict = {}
        local = []
        rotated = mix[k * len(mix) // clients :] + mix[: k * len(mix) // clients]
        for q in rotated:
            start = time.perf_counter()
            fn(state, q)
            local.append(time.perf_counter() - start)
        with lock:
            latencies.extend(local)
        if "close" in state:
            state["close"]()

    start = time.monotonic()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, range(clients)))
    return latencies, time.monotonic() - start


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(
    data_dir: Path, url: str, workers: int, engine: str, extra: dict[str, str] | None = None
) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {**_env(data_dir, url, engine), **(extra or {})}
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
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.5)
    proc.terminate()
    raise RuntimeError("uvicorn did not start")


def _env(data_dir: Path, url: str, engine: str) -> dict[str, str]:
    return {
        **os.environ,
        "AKTE_ENV": "test",
        "AKTE_DATA_DIR": str(data_dir),
        "AKTE_DATABASE_URL": url,
        "AKTE_SECRET_KEY": SECRET,
        "AKTE_INPROCESS_WORKER": "false",
        "AKTE_SEARCH_CACHE_SIZE": "0",
        "AKTE_SEARCH_BACKEND": engine,
    }


def tree_peak_rss(pid: int) -> int:
    """Peak RSS (bytes) summed over a process and its children (``VmHWM``)."""
    pids = [pid]
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            pids += [int(c) for c in (task / "children").read_text().split()]
    except OSError:
        pass
    total = 0
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            continue
    return total


def index(url: str, data_dir: Path, engine: str, plain: bool = False) -> tuple[int, float, int]:
    """``akte search reindex`` in a subprocess: (documents, seconds, peak RSS bytes of the
    largest process, as GNU time reports it). ``plain``: without compound parts
    (``AKTE_SEARCH_COMPOUNDS=off``)."""
    akte = str(Path(sys.executable).parent / "akte")
    env = _env(data_dir, url, engine)
    if plain:
        env["AKTE_SEARCH_COMPOUNDS"] = "off"
    start = time.monotonic()
    done = subprocess.run(
        ["/usr/bin/time", "-f", "PEAKRSS %M", akte, "search", "reindex"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.monotonic() - start
    if done.returncode != 0:
        raise RuntimeError(f"reindex failed: {done.stdout[-2000:]} {done.stderr[-2000:]}")
    indexed = int(done.stdout.rsplit("indexed ", 1)[1].split()[0])
    rss = int(done.stderr.rsplit("PEAKRSS ", 1)[1].split()[0]) * 1024
    return indexed, seconds, rss


def index_baseline(url: str, limit: float | None) -> tuple[int, float]:
    """The pre-0840 PostgreSQL indexing (Python analysis) on the same rows, in a
    subprocess with the same number of processes; empties ``search_documents`` after.

    With ``limit`` (seconds) the run is stopped then and the rows committed so far are
    counted: at about 100 documents/s a full baseline of a large corpus takes longer than
    the rest of the benchmark, and the rate is steady after the first batches."""
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    start = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.pg_python_baseline", url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        proc.communicate()
        seconds = time.monotonic() - start
        with psycopg.connect(dsn) as conn:
            done = conn.execute("SELECT count(*) FROM search_documents").fetchone()[0]
    else:
        seconds = time.monotonic() - start
        if proc.returncode != 0:
            raise RuntimeError(f"baseline failed: {out[-2000:]} {err[-2000:]}")
        done = int(out.rsplit("indexed ", 1)[1].split()[0])
    with psycopg.connect(dsn) as conn:
        conn.execute("TRUNCATE search_documents")
    return done, seconds


def index_size(url: str, data_dir: Path, engine: str) -> int:
    if engine == "whoosh":
        return du(data_dir / "index")
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as conn:
        return conn.execute("SELECT pg_total_relation_size('search_documents')").fetchone()[0]


def du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


LAYOUTS = {"current": (TENANTS, UNITS_PER_TENANT), "large": (1, 10)}
ENGINES = ("whoosh", "postgres")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200, help="size of each query mix")
    parser.add_argument("--server-workers", type=int, default=2)
    parser.add_argument("--mix", default="current,large", help="current, large or both")
    parser.add_argument("--engines", default="whoosh,postgres", help="whoosh, postgres or both")
    parser.add_argument(
        "--pg-baseline",
        action="store_true",
        help="also index with the pre-0840 Python analysis (PostgreSQL)",
    )
    parser.add_argument(
        "--baseline-seconds",
        type=float,
        default=None,
        help="stop the baseline after this long and count its rows",
    )
    parser.add_argument(
        "--analysis",
        action="store_true",
        help="only: index size, documents/s and query p95 with and without compound "
        "parts and synonyms, per engine",
    )
    parser.add_argument("--no-api", action="store_true", help="with --analysis: index figures only")
    parser.add_argument(
        "--reuse-index",
        action="store_true",
        help="with --keep, PostgreSQL: query the rows a previous run indexed (no reindex; "
        "indexing docs/s not measured)",
    )
    parser.add_argument(
        "--build-only",
        action="store_true",
        help="with --keep: build (or find) the kept corpus and stop, to measure later",
    )
    parser.add_argument(
        "--lock",
        default=None,
        help="files (comma-separated) to hold exclusive flocks on while queries are measured (not while "
        "indexing), so two benchmarks' latency phases never overlap on a shared machine",
    )
    parser.add_argument(
        "--keep",
        default=None,
        help="database name prefix: build each mix's corpus once, keep it (and its "
        "caseworkers, in /tmp/<name>-<mix>.pickle) and reuse it in the next run, so "
        "two versions of the engine are measured on the same rows",
    )
    args = parser.parse_args()

    from akte.core.migrations import upgrade
    from tests.infra.postgres import postgres_server

    print(
        f"search benchmark: {args.docs} documents, {os.cpu_count()} cores, "
        f"load {os.getloadavg()[0]:.1f}"
    )
    with postgres_server() as admin:
        for layout in args.mix.split(","):
            tenants, units = LAYOUTS[layout]
            with _database(admin, args.keep and f"{args.keep}_{layout}") as (url, kept):
                upgrade(url)
                t0 = time.monotonic()
                if kept and kept.exists():
                    corpus, people = pickle.loads(kept.read_bytes())  # noqa: S301 (our own file)
                else:
                    corpus = build_corpus(url, args.docs, tenants=tenants, units_per_tenant=units)
                    people = make_caseworkers(url, corpus)
                    if kept:
                        kept.write_bytes(pickle.dumps((corpus, people)))
                        with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as c:
                            c.execute("VACUUM ANALYZE")
                print(
                    f"\n== mix {layout}: {tenants} tenant(s) x {units} org units; "
                    f"{corpus.docs} documents, {corpus.pages} pages, "
                    f"{corpus.text_bytes / 1e6:.0f} MB text (ready in "
                    f"{time.monotonic() - t0:.0f}s)",
                    flush=True,
                )
                if args.build_only:
                    continue
                mixes = {"caseworker": query_mix(corpus, people, args.queries, wide=False)}
                if layout == "large":
                    mixes["tenant-wide"] = query_mix(corpus, people, args.queries, wide=True)
                if args.analysis:
                    compare_analysis(url, args, people, mixes)
                    continue
                run_layout(layout, url, corpus, people, mixes, args)


@contextmanager
def _database(admin: str, keep: str | None) -> Iterator[tuple[str, Path | None]]:
    """A fresh database dropped afterwards, or (``keep``) one kept across runs with the
    file that holds its corpus description and caseworkers' tokens."""
    from tests.infra.postgres import fresh_database

    if not keep:
        with fresh_database(admin) as url:
            yield url, None
        return
    kept = Path(tempfile.gettempdir()) / f"{keep}.pickle"
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [keep]).fetchone()
        if exists and not kept.exists():  # a build that did not finish: start again
            conn.execute(f'DROP DATABASE "{keep}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{keep}"')
    if not exists:
        kept.unlink(missing_ok=True)
    base = admin.rsplit("/", 1)[0]
    yield f"{base.replace('postgresql://', 'postgresql+psycopg://', 1)}/{keep}", kept


#: The "without" side of ``--analysis``: no compound parts in the index or the query, no
#: synonyms.
PLAIN_ENV = {"AKTE_SEARCH_COMPOUNDS": "off", "AKTE_SEARCH_SYNONYMS": "off"}


def compare_analysis(url: str, args, people: list, mixes: dict[str, list[Q]]) -> None:  # type: ignore[no-untyped-def]
    """Per engine: ``akte search reindex`` without compound parts, then with them, on the
    same rows (index size, documents/s), and after each the query mixes through the API
    (the "without" server also without synonyms); the ratios with / without."""
    for engine in args.engines.split(","):
        figures = {}
        latency: dict[tuple[bool, str, int], tuple[float, float, float]] = {}
        for plain in (True, False):
            with tempfile.TemporaryDirectory(prefix="akte-bench-") as tmp:
                data_dir = Path(tmp)
                n, seconds, rss = index(url, data_dir, engine, plain=plain)
                if engine == "postgres":
                    dsn = url.replace("postgresql+psycopg://", "postgresql://")
                    with psycopg.connect(dsn, autocommit=True) as conn:
                        conn.execute("VACUUM FULL search_documents")
                size = index_size(url, data_dir, engine)
                label = "without" if plain else "with   "
                print(
                    f"  {engine:8s} {label}: {n} documents in {seconds:6.1f}s = "
                    f"{n / seconds:7.0f} docs/s, index {size / 1e6:7.1f} MB, "
                    f"peak RSS {rss / 1e6:5.0f} MB (load {os.getloadavg()[0]:.1f})",
                    flush=True,
                )
                figures[plain] = (n / seconds, size, rss)
                if args.no_api:
                    continue
                # the second index of the run lives in another folder: this server owns it
                extra = {"AKTE_SEARCH_CLAIM_INDEX": "true", **(PLAIN_ENV if plain else {})}
                with latency_phase(args.lock):
                    proc, base = start_server(data_dir, url, args.server_workers, engine, extra)
                    try:
                        for name, mix in mixes.items():
                            measure_api(base, people, mix, args.server_workers * 2)  # warm-up
                            for clients in (1, 8):
                                lat, _wall = measure_api(base, people, mix, clients)
                                if clients == 1:
                                    print(f"  {engine:8s} {label}: {name} {per_kind(mix, lat)}")
                                latency[(plain, name, clients)] = percentiles(lat)
                                p50, p95, p99 = latency[(plain, name, clients)]
                                print(
                                    f"  {engine:8s} {label}: {name:11s} {clients} client(s) "
                                    f"p50/p95/p99 {p50:7.1f} /{p95:7.1f} /{p99:7.1f} ms "
                                    f"(load {os.getloadavg()[0]:.1f})",
                                    flush=True,
                                )
                    finally:
                        proc.terminate()
                        proc.wait(30)
        (rate0, size0, _), (rate1, size1, _) = figures[True], figures[False]
        print(
            f"  {engine:8s} with / without: index size {size1 / size0:.2f}x, "
            f"indexing docs/s {rate1 / rate0:.2f}x",
            flush=True,
        )
        for name in mixes:
            for clients in (1, 8):
                if (True, name, clients) in latency:
                    p95_0 = latency[(True, name, clients)][1]
                    p95_1 = latency[(False, name, clients)][1]
                    print(
                        f"  {engine:8s} with / without: {name} p95, {clients} client(s) "
                        f"{p95_1 / p95_0:.2f}x",
                        flush=True,
                    )


def run_layout(layout, url, corpus, people, mixes, args) -> None:  # type: ignore[no-untyped-def]
    rows: dict[tuple[str, str], dict[str, float]] = {}
    build: dict[str, dict[str, float]] = {}
    engines = [e for e in ENGINES if e in args.engines.split(",")]
    for engine in engines:
        data_dir = Path(tempfile.mkdtemp(prefix=f"akte-bench-{engine}-"))
        try:
            if engine == "postgres" and args.pg_baseline:
                old, old_seconds = index_baseline(url, args.baseline_seconds)
                build["postgres, Python analysis"] = {"docs/s": old / old_seconds}
                print(
                    f"postgres, Python analysis (before 0840): indexed {old} in "
                    f"{old_seconds:.0f}s = {old / old_seconds:.0f} docs/s "
                    f"(load {os.getloadavg()[0]:.1f})",
                    flush=True,
                )
            if args.reuse_index and engine == "postgres":
                dsn = url.replace("postgresql+psycopg://", "postgresql://")
                with psycopg.connect(dsn) as conn:
                    indexed = conn.execute("SELECT count(*) FROM search_documents").fetchone()[0]
                seconds, rss = float("nan"), 0
            else:
                indexed, seconds, rss = index(url, data_dir, engine)
            size = index_size(url, data_dir, engine)
            build[engine] = {
                "docs/s": indexed / seconds,
                "size MB": size / 1e6,
                "peak RSS MB": rss / 1e6,
            }
            print(
                f"{engine}: indexed {indexed} in {seconds:.0f}s = {indexed / seconds:.0f} "
                f"docs/s, {size / 1e6:.0f} MB ({size / max(corpus.text_bytes, 1):.2f}x "
                f"text), peak RSS {rss / 1e6:.0f} MB (load {os.getloadavg()[0]:.1f})",
                flush=True,
            )
            with latency_phase(args.lock):
                proc, base = start_server(data_dir, url, args.server_workers, engine)
                try:
                    for name, mix in mixes.items():
                        measure_api(base, people, mix, args.server_workers * 2)  # warm-up
                        for clients in (1, 8):
                            lat, wall = measure_api(base, people, mix, clients)
                            if clients == 1:
                                print(f"  {name} {per_kind(mix, lat)}", flush=True)
                            p50, p95, p99 = percentiles(lat)
                            print(
                                f"  {name} {clients} client(s): p50/p95/p99 {p50:.0f} / {p95:.0f} "
                                f"/ {p99:.0f} ms, {len(lat) / wall:.1f} q/s "
                                f"(load {os.getloadavg()[0]:.1f})",
                                flush=True,
                            )
                            rows[(name, f"{engine} {clients}")] = {
                                "p50": p50,
                                "p95": p95,
                                "p99": p99,
                                "q/s": len(lat) / wall,
                            }
                    build[engine]["API peak RSS MB"] = tree_peak_rss(proc.pid) / 1e6
                finally:
                    proc.terminate()
                    proc.wait(30)
        finally:
            shutil.rmtree(data_dir, ignore_errors=True)
    report(layout, corpus, rows, build)


@contextmanager
def latency_phase(lock: str | None) -> Iterator[None]:
    """Holds ``lock`` (``flock``) while latency is measured; prints the wait and load.

    ``lock`` may name several files, comma-separated, locked exclusively in that order:
    a gate first (so no new shared holder comes in while we wait) and then the lock other
    benchmarks hold shared while they run.
    """
    if not lock:
        yield
        return
    import fcntl

    waited = time.monotonic()
    with ExitStack() as files:
        for path in lock.split(","):
            f = files.enter_context(open(path, "a"))
            fcntl.flock(f, fcntl.LOCK_EX)
        print(
            f"  (latency lock after {time.monotonic() - waited:.0f}s wait, "
            f"load {os.getloadavg()[0]:.1f})",
            flush=True,
        )
        yield


def measure_api(base: str, people: list, mix: list[Q], clients: int):  # type: ignore[no-untyped-def]
    def api(state: dict, q: Q) -> None:
        if "client" not in state:
            state["client"] = httpx.Client(base_url=base, timeout=120)
            state["close"] = state["client"].close
        response = state["client"].get(
            "/api/v1/search",
            params={"q": q.text, "size": 20},
            headers={"Authorization": f"Bearer {people[q.who][2]}"},
        )
        if response.status_code == 503 and "search_timeout" in response.text:
            # a search the engine stopped at its statement timeout: its latency counts (it
            # is what the user waited), the run goes on, and the count is printed
            timeouts.append(q.text)
        elif response.status_code != 200:
            raise RuntimeError(f"{q.text}: {response.status_code} {response.text}")

    timeouts: list[str] = []
    result = run_clients(mix, clients, api)
    if timeouts:
        print(
            f"  {len(timeouts)} search(es) stopped at the statement timeout: "
            f"{sorted(set(timeouts))}",
            flush=True,
        )
    return result


def report(layout, corpus, rows, build) -> None:  # type: ignore[no-untyped-def]
    engines = [e for e in ENGINES if e in build]
    both = len(engines) == 2
    print(
        f"\nmix {layout}, {corpus.docs} documents: through the API, total + 4 facets + "
        "top 20 with snippets" + ("; ratio = postgres / whoosh" if both else "")
    )
    print(
        f"{'query mix':12s} {'clients':>7s} {'engine':9s} {'p50 ms':>8s} {'p95 ms':>8s} "
        f"{'p99 ms':>8s} {'q/s':>7s}"
    )
    for name in dict.fromkeys(n for n, _ in rows):
        for clients in (1, 8):
            found = {e: rows[(name, f"{e} {clients}")] for e in engines}
            for engine, r in found.items():
                print(
                    f"{name:12s} {clients:7d} {engine:9s} {r['p50']:8.1f} {r['p95']:8.1f} "
                    f"{r['p99']:8.1f} {r['q/s']:7.1f}"
                )
            if both:
                w, p = found["whoosh"], found["postgres"]
                print(
                    f"{name:12s} {clients:7d} {'ratio':9s} "
                    + " ".join(f"{p[k] / w[k]:8.2f}" for k in ("p50", "p95", "p99"))
                    + f" {p['q/s'] / w['q/s']:7.2f}"
                )
            if clients == 8:
                for engine, r in found.items():
                    verdict = "met" if r["p95"] <= 100 else f"missed by {r['p95'] - 100:.0f} ms"
                    print(f"  target p95 <= 100 ms, {engine}: {verdict}")
    print(
        f"{'':28s} {'indexing docs/s':>16s} {'index MB':>9s} {'index RSS MB':>13s} "
        f"{'API RSS MB':>11s}"
    )
    for engine, b in build.items():
        print(
            f"{engine:28s} {b['docs/s']:16.0f} {b.get('size MB', 0):9.0f} "
            f"{b.get('peak RSS MB', 0):13.0f} {b.get('API peak RSS MB', 0):11.0f}"
        )
    if both:
        w, p = build["whoosh"], build["postgres"]
        print(
            f"{'ratio postgres / whoosh':28s} {p['docs/s'] / w['docs/s']:16.2f} "
            f"{p['size MB'] / w['size MB']:9.2f} {p['peak RSS MB'] / w['peak RSS MB']:13.2f} "
            f"{p.get('API peak RSS MB', 0) / max(w.get('API peak RSS MB', 1), 1):11.2f}"
        )
    if "postgres, Python analysis" in build and "postgres" in build:
        ratio = build["postgres"]["docs/s"] / build["postgres, Python analysis"]["docs/s"]
        print(f"{'ratio SQL / Python analysis':28s} {ratio:16.2f}")
    if "postgres" in build and build["postgres"]["docs/s"] == build["postgres"]["docs/s"]:
        p = build["postgres"]
        verdict = "met" if p["docs/s"] >= 2000 else f"missed ({p['docs/s']:.0f} of 2,000)"
        print(f"  target postgres indexing >= 2,000 docs/s: {verdict}", flush=True)


if __name__ == "__main__":
    main()
