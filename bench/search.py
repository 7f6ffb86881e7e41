"""Search benchmark: Whoosh through the HTTP API against PostgreSQL full-text search.

Builds a corpus in a fresh PostgreSQL database — Akten of 17 tenants (4 org units each),
German documents of 1–3 pages (names, addresses, IBANs, amounts; ~1–1.5 KB a page) — then:

1. indexes it with ``akte search reindex``'s code path (streamed from the database into a
   new index generation per tenant): documents/s, index size, peak RSS;
2. builds the PostgreSQL baseline on the same rows: one ``tsvector`` per document
   (``german`` configuration: person name, title, page texts) with a GIN index;
3. runs one fixed, seeded query mix — rare names, fuzzy names, common words, phrases,
   prefixes, Dokumentart and date filters, Aktenzeichen — as caseworkers of every tenant
   who each hold one of the four org units (every query is permission-filtered):
   * through the API (``uvicorn`` on loopback, 2 worker processes, httpx) with 1 and 8
     concurrent clients; each answer has total, facets and snippets, and is audited; the
     result cache is off for these figures, and on for one more run of the repeated mix;
   * in-process: the engine alone (no database), the same engine with Whoosh's own
     collector instead of :mod:`search.vectorized` (same index, same queries), and the
     search service (plus snippet texts from the database and the audit entry), 1 client;
   * directly against PostgreSQL (psycopg): the same filter, ``ts_rank`` top 20, the total
     and the same four facet counts, with 1 and 8 concurrent connections.

Run: ``python -m bench.search --docs 100000`` (default); ``--workdir DIR`` keeps corpus,
index and baseline for the next run (a million documents take about 45 minutes to build).
Prints p50/p95/p99 per mode and the ratio Whoosh-API p95 / PostgreSQL p95 measured in the
same run.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
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
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import psycopg

SECRET = "bench-secret-key-that-is-long-enough-0123456789"
TENANTS = 17
UNITS_PER_TENANT = 4
DOCS_PER_AKTE = 3
SYLLABLES = ["brz", "ko", "wa", "ni", "ecz", "ski", "tre", "mul", "hau", "ber", "sto", "lin", "gra", "fen", "wit", "zek", "pol", "dor", "quan", "vel", "mar", "tus", "ock", "ram", "sel", "ing", "hof"]


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

    return Settings(env="test", data_dir=data_dir, secret_key=SECRET, inprocess_worker=False,
                    database_url=url, search_cache_size=0)


def build_corpus(url: str, n_docs: int, seed: int = 17) -> Corpus:
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
        for t in range(TENANTS):
            tid = uuid.uuid4()
            conn.execute(insert(Tenant), [{"id": tid, "slug": f"jc-{t:02d}-{tid.hex[:6]}",
                                           "name": f"Jobcenter {t}", "options": {}}])
            units = [uuid.uuid4() for _ in range(UNITS_PER_TENANT)]
            conn.execute(insert(OrgUnit), [{"id": u, "tenant_id": tid, "code": f"OE{i}",
                                            "name": f"Team {i}"} for i, u in enumerate(units)])
            corpus.tenants.append(tid)
            corpus.units[tid] = units
    n_akten = max(1, n_docs // DOCS_PER_AKTE)
    batch_cf, batch_doc, batch_ver, batch_page = [], [], [], []

    def flush() -> None:
        with engine.begin() as conn:
            for table, rows in ((CaseFile, batch_cf), (Document, batch_doc),
                                (DocumentVersion, batch_ver), (DocumentPage, batch_page)):
                if rows:
                    conn.execute(insert(table), rows)
                    rows.clear()

    made = 0
    for a in range(n_akten):
        tid = corpus.tenants[a % TENANTS]
        unit = corpus.units[tid][(a // TENANTS) % UNITS_PER_TENANT]
        rare = rng.random() < 0.02
        who = person(rng, _rare_surname(rng) if rare else None)
        az = f"AZ-{2015 + a % 10}-{a:07d}"
        cf_id = uuid.uuid4()
        bg = f"{10000 + a % 90000}BG{a:07d}"
        batch_cf.append({"id": cf_id, "tenant_id": tid, "org_unit_id": unit, "aktenzeichen": az,
                         "bg_nummer": bg, "bg_nummer_norm": bg, "kundennummer": f"K{a:08d}",
                         "person_name": who.name, "status": "open" if a % 5 else "closed",
                         "created_at": now, "updated_at": now})
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
            batch_doc.append({"id": doc_id, "tenant_id": tid, "case_file_id": cf_id,
                              "title": f"{doc_type} {day.year}", "doc_type": doc_type,
                              "source": rng.choice(SOURCES), "document_date": day,
                              "received_at": now - timedelta(days=rng.randint(0, 3000)),
                              "status": "ready", "filed": True, "current_version": 1,
                              "created_at": now, "updated_at": now})
            batch_ver.append({"id": ver_id, "document_id": doc_id, "version_no": 1,
                              "filename": "scan.pdf", "mime_type": "application/pdf",
                              "size": 50_000, "page_count": len(texts), "created_at": now,
                              "sha256": hashlib.sha256(doc_id.bytes).hexdigest()})
            for p, text in enumerate(texts, 1):
                batch_page.append({"version_id": ver_id, "page_no": p, "text": text,
                                   "method": "ocr", "confidence": 0.9})
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


def make_caseworkers(url: str, corpus: Corpus) -> list[tuple[uuid.UUID, uuid.UUID, str]]:
    """One caseworker per tenant and org unit: ``(tenant, unit, bearer token)``."""
    from sqlalchemy import create_engine, insert

    from akte.core.security import issue_token
    from akte.users.models import Membership, User

    engine = create_engine(url)
    people = []
    with engine.begin() as conn:
        for tid in corpus.tenants:
            for unit in corpus.units[tid]:
                uid = uuid.uuid4()
                conn.execute(insert(User), [{"id": uid, "tenant_id": tid, "role": "caseworker",
                                             "username": f"sb-{uid.hex[:10]}",
                                             "display_name": "SB", "password_hash": None}])
                conn.execute(insert(Membership), [{"user_id": uid, "org_unit_id": unit}])
                token = issue_token(SECRET, subject=str(uid), ttl_seconds=6 * 3600)
                people.append((tid, unit, token))
    engine.dispose()
    return people


@dataclass
class Q:
    kind: str
    text: str  # the Whoosh query language
    #: PostgreSQL: (tsquery function, its argument, extra SQL condition, its parameters)
    pg: tuple[str, str, str, tuple]
    who: int


def query_mix(corpus: Corpus, people: list, n: int, seed: int = 5) -> list[Q]:
    rng = random.Random(seed)
    mix: list[Q] = []
    kinds = ["rare_name", "fuzzy_name", "full_name", "common_word", "two_words", "phrase",
             "art_filter", "aktenzeichen", "prefix", "date_range"]
    while len(mix) < n:
        kind = kinds[len(mix) % len(kinds)]
        who = rng.randrange(len(people))
        tid, unit, _ = people[who]
        rare = corpus.rare.get((tid, unit)) or ["Niemand"]
        if kind == "rare_name":
            name = rng.choice(rare)
            q = Q(kind, name, ("plainto_tsquery", name, "", ()), who)
        elif kind == "fuzzy_name":
            name = rng.choice(rare)
            typo = name[:-2] + name[-1]  # one deletion
            q = Q(kind, f"{typo}~", ("plainto_tsquery", typo, "", ()), who)
        elif kind == "full_name":
            name = f"{rng.choice(['Anna', 'Thomas', 'Fatma'])} {rng.choice(['Müller', 'Weber'])}"
            q = Q(kind, name, ("plainto_tsquery", name, "", ()), who)
        elif kind == "common_word":
            word = rng.choice(["Miete", "Jobcenter", "Unterlagen", "Konto"])
            q = Q(kind, word, ("plainto_tsquery", word, "", ()), who)
        elif kind == "two_words":
            words = rng.choice(["Kontoauszug Sparkasse", "Lohnsteuer Auszahlungsbetrag",
                                "Heizkosten Nachzahlung"])
            q = Q(kind, words, ("plainto_tsquery", words, "", ()), who)
        elif kind == "phrase":
            phrase = rng.choice(["Kosten der Unterkunft", "Sicherung des Lebensunterhalts",
                                 "Mit freundlichen Grüßen"])
            q = Q(kind, f'"{phrase}"', ("phraseto_tsquery", phrase, "", ()), who)
        elif kind == "art_filter":
            q = Q(kind, "art:Lohnabrechnung Pflegedienst",
                  ("plainto_tsquery", "Pflegedienst", "AND doc_type = %s", ("Lohnabrechnung",)),
                  who)
        elif kind == "aktenzeichen":
            az = rng.choice(corpus.aktenzeichen.get((tid, unit)) or ["AZ-0000-0000000"])
            q = Q(kind, az, ("", "", "AND aktenzeichen = %s", (az,)), who)
        elif kind == "prefix":
            q = Q(kind, "Nebenkost*", ("to_tsquery", "nebenkost:*", "", ()), who)
        else:
            q = Q(kind, "Bescheid datum:2018-01-01..2018-06-30",
                  ("plainto_tsquery", "Bescheid",
                   "AND document_date BETWEEN %s AND %s", (date(2018, 1, 1), date(2018, 6, 30))),
                  who)
        mix.append(q)
    return mix


def build_pg_fts(url: str) -> float:
    """One tsvector per document (german), GIN index; returns seconds."""
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    start = time.monotonic()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '256MB'")
        conn.execute("DROP TABLE IF EXISTS bench_fts")
        conn.execute("""
            CREATE TABLE bench_fts AS
            SELECT d.id, d.tenant_id, cf.org_unit_id, d.doc_type, d.source, d.document_date,
                   cf.aktenzeichen, cf.status,
                   extract(year FROM d.document_date)::int AS year,
                   setweight(to_tsvector('german', coalesce(cf.person_name, '')), 'A') ||
                   setweight(to_tsvector('german', d.title), 'B') ||
                   to_tsvector('german', coalesce(string_agg(p.text, ' ' ORDER BY p.page_no), ''))
                   AS tsv
            FROM documents d
            JOIN case_files cf ON cf.id = d.case_file_id
            JOIN document_versions v ON v.document_id = d.id AND v.version_no = d.current_version
            LEFT JOIN document_pages p ON p.version_id = v.id
            WHERE d.status = 'ready'
            GROUP BY d.id, cf.id
        """)
        conn.execute("CREATE INDEX ON bench_fts USING gin (tsv)")
        conn.execute("CREATE INDEX ON bench_fts (tenant_id, org_unit_id)")
        conn.execute("CREATE INDEX ON bench_fts (aktenzeichen)")
        conn.execute("ANALYZE bench_fts")
    return time.monotonic() - start


def pg_query(conn: psycopg.Connection, q: Q, tid: uuid.UUID, unit: uuid.UUID) -> int:
    func, arg, extra, params = q.pg
    if func:
        match = f"tsv @@ {func}('german', %s)"
        rank = f"ts_rank(tsv, {func}('german', %s))"
        match_params: tuple = (arg,)
    else:
        match, rank, match_params = "TRUE", "1.0", ()
    where = f"tenant_id = %s AND org_unit_id = %s AND {match} {extra}"
    base = (tid, unit, *match_params, *params)
    # The SQL fragments are constants of this module; every value is a bound parameter.
    top = conn.execute(
        f"SELECT id, {rank} AS r FROM bench_fts WHERE {where} ORDER BY r DESC LIMIT 20",  # noqa: S608
        (*match_params, *base),
    ).fetchall()
    facets = conn.execute(
        f"SELECT doc_type, year, source, status, count(*) FROM bench_fts WHERE {where} "  # noqa: S608
        "GROUP BY GROUPING SETS ((doc_type), (year), (source), (status), ())",
        base,
    ).fetchall()
    return len(top) + len(facets)


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
        rotated = mix[k * len(mix) // clients:] + mix[: k * len(mix) // clients]
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


def start_server(data_dir: Path, url: str, workers: int,
                 cache: int) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {**os.environ, "AKTE_ENV": "test", "AKTE_DATA_DIR": str(data_dir),
           "AKTE_DATABASE_URL": url, "AKTE_SECRET_KEY": SECRET, "AKTE_INPROCESS_WORKER": "false",
           "AKTE_SEARCH_CACHE_SIZE": str(cache)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "akte.asgi:app", "--host", "127.0.0.1", "--port",
         str(port), "--workers", str(workers), "--log-level", "warning"],
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


def du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


@contextmanager
def _database(admin: str, workdir: Path | None) -> Iterator[str]:
    """A throw-away database, or with ``--workdir`` one that is kept for the next run."""
    from tests.infra.postgres import fresh_database

    if workdir is None:
        with fresh_database(admin) as url:
            yield url
        return
    name = f"akte_bench_{hashlib.sha256(str(workdir.resolve()).encode()).hexdigest()[:10]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    base = admin.rsplit("/", 1)[0]
    yield f"{base.replace('postgresql://', 'postgresql+psycopg://', 1)}/{name}"


def _saved_corpus(workdir: Path | None, docs: int) -> Corpus | None:
    if workdir is None or not (workdir / "corpus.json").exists():
        return None
    saved = json.loads((workdir / "corpus.json").read_text())
    if saved["docs"] != docs:
        raise SystemExit(f"{workdir} holds a corpus of {saved['docs']} documents, not {docs}")
    key = lambda k: tuple(uuid.UUID(x) for x in k.split("/"))  # noqa: E731
    return Corpus(
        tenants=[uuid.UUID(t) for t in saved["tenants"]],
        units={uuid.UUID(t): [uuid.UUID(u) for u in us] for t, us in saved["units"].items()},
        rare={key(k): v for k, v in saved["rare"].items()},
        aktenzeichen={key(k): v for k, v in saved["aktenzeichen"].items()},
        docs=saved["docs"], pages=saved["pages"], text_bytes=saved["text_bytes"],
    )


def _save_corpus(workdir: Path | None, corpus: Corpus) -> None:
    if workdir is None:
        return
    key = lambda k: "/".join(str(x) for x in k)  # noqa: E731
    (workdir / "corpus.json").write_text(json.dumps({
        "tenants": [str(t) for t in corpus.tenants],
        "units": {str(t): [str(u) for u in us] for t, us in corpus.units.items()},
        "rare": {key(k): v for k, v in corpus.rare.items()},
        "aktenzeichen": {key(k): v for k, v in corpus.aktenzeichen.items()},
        "docs": corpus.docs, "pages": corpus.pages, "text_bytes": corpus.text_bytes,
    }))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200, help="size of the query mix")
    parser.add_argument("--server-workers", type=int, default=2)
    parser.add_argument("--workdir", type=Path, default=None,
                        help="keep the corpus database, index and PostgreSQL baseline here and "
                             "reuse them on the next run (a million documents take an hour)")
    parser.add_argument("--reindex", action="store_true",
                        help="with --workdir: rebuild the Whoosh index even if one is there")
    args = parser.parse_args()

    from akte.core.context import AppContext
    from akte.core.migrations import upgrade
    from tests.infra.postgres import postgres_server

    print(f"search benchmark: {args.docs} documents, {TENANTS} tenants, "
          f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    workdir = args.workdir.resolve() if args.workdir else None
    if workdir:
        workdir.mkdir(parents=True, exist_ok=True)
    with postgres_server() as admin, _database(admin, workdir) as url:
        data_dir = workdir / "data" if workdir else Path(tempfile.mkdtemp(prefix="akte-bench-"))
        try:
            upgrade(url)
            corpus = _saved_corpus(workdir, args.docs)
            if corpus is None:
                t0 = time.monotonic()
                corpus = build_corpus(url, args.docs)
                print(f"corpus: inserted in {time.monotonic() - t0:.0f}s")
                _save_corpus(workdir, corpus)
            print(f"corpus: {corpus.docs} documents, {corpus.pages} pages, "
                  f"{corpus.text_bytes / 1e6:.0f} MB text")
            people = make_caseworkers(url, corpus)
            mix = query_mix(corpus, people, args.queries)

            settings = _settings(data_dir, url)
            ctx = AppContext.from_settings(settings)
            service = ctx.extensions["search"]
            if args.reindex or not service.backend.healthy() or not workdir:
                t0 = time.monotonic()

                def progress(msg: str, n: int) -> None:
                    print(f"  indexed {n:>9} ({n / (time.monotonic() - t0):.0f}/s) {msg}",
                          flush=True)

                indexed = service.reindex(ctx, progress)
                t_index = time.monotonic() - t0
                index_bytes = du(settings.index_dir)
                workers = settings.search_reindex_workers or os.cpu_count()
                print(f"whoosh index: {indexed} documents in {t_index:.0f}s = "
                      f"{indexed / t_index:.0f} docs/s ({workers} processes), "
                      f"size {index_bytes / 1e6:.0f} MB "
                      f"({index_bytes / max(corpus.text_bytes, 1):.2f}x text)")
            else:
                print(f"whoosh index: reused, size {du(settings.index_dir) / 1e6:.0f} MB")
            dsn = url.replace("postgresql+psycopg://", "postgresql://")
            with psycopg.connect(dsn) as conn:
                have_pg = conn.execute("SELECT to_regclass('bench_fts')").fetchone()[0]
            if not have_pg or not workdir:
                t_pg = build_pg_fts(url)
                print(f"postgres fts: built in {t_pg:.0f}s = {corpus.docs / t_pg:.0f} docs/s")
            with psycopg.connect(dsn) as conn:
                pg_size = conn.execute(
                    "SELECT pg_total_relation_size('bench_fts')").fetchone()[0]
            print(f"postgres fts: table+GIN {pg_size / 1e6:.0f} MB")
            measure(ctx, service, people, mix, corpus, data_dir, url, args)
        finally:
            if workdir:
                print(f"kept corpus, index and baseline for the next run in {workdir}")
            else:
                shutil.rmtree(data_dir, ignore_errors=True)


def measure(ctx, service, people, mix, corpus, data_dir, url, args) -> None:  # type: ignore[no-untyped-def]
    """Runs the query mix in every mode and prints the table."""
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    results: dict[str, tuple[float, float, float, float]] = {}
    # -- in-process, no HTTP ----------------------------------------------------
    from akte.auth.principal import Principal
    from akte.core.database import session_scope
    from akte.users.models import Role
    from search import service as search_service

    def direct(state: dict, q: Q) -> None:
        tid, unit, _ = people[q.who]
        principal = Principal(uuid.uuid4(), "bench", Role.caseworker, tid,
                              frozenset({unit}))
        with session_scope(ctx.session_factory) as session:
            search_service.search(ctx, session, principal, q=q.text, size=20)

    from search.backend import QuerySpec, Scope

    def engine(state: dict, q: Q) -> None:
        tid, unit, _ = people[q.who]
        service.backend.search(QuerySpec(q.text, Scope(tid, frozenset({unit}))))

    from search.whoosh_backend import WhooshBackend

    collector = WhooshBackend(service.backend.root, cache_size=0, vectorized=False)

    def whoosh_collector(state: dict, q: Q) -> None:
        tid, unit, _ = people[q.who]
        collector.search(QuerySpec(q.text, Scope(tid, frozenset({unit}))))

    run_clients(mix, 1, engine)  # warm-up: open searchers, OS page cache
    lat, wall = run_clients(mix, 1, engine)
    results["engine only (no DB), 1 client"] = (*percentiles(lat), len(lat) / wall)
    run_clients(mix[:20], 1, whoosh_collector)
    lat, wall = run_clients(mix, 1, whoosh_collector)
    results["engine only, Whoosh's own collector, 1 client"] = (
        *percentiles(lat), len(lat) / wall)
    collector.close()
    lat, wall = run_clients(mix, 1, direct)
    results["search.service in-process, 1 client"] = (*percentiles(lat), len(lat) / wall)
    ctx.close()

    # -- through the API ------------------------------------------------------
    def api(state: dict, q: Q) -> None:
        if "client" not in state:
            state["client"] = httpx.Client(base_url=state_base[0], timeout=60)
            state["close"] = state["client"].close
        response = state["client"].get(
            "/api/v1/search", params={"q": q.text, "size": 20},
            headers={"Authorization": f"Bearer {people[q.who][2]}"})
        if response.status_code != 200:
            raise RuntimeError(f"{q.text}: {response.status_code} {response.text}")

    state_base = [""]
    for cache, runs in ((0, (1, 8)), (512, (8,))):
        proc, state_base[0] = start_server(data_dir, url, args.server_workers, cache)
        try:
            # warm every worker: searchers open, OS page cache hot (and, with the
            # result cache on, every query of the mix seen once: "repeated mix")
            run_clients(mix, args.server_workers * 2, api)
            for clients in runs:
                lat, wall = run_clients(mix, clients, api)
                label = "via API" if not cache else "via API, cache, repeated"
                results[f"whoosh {label}, {clients} client(s)"] = (
                    *percentiles(lat), len(lat) / wall)
        finally:
            proc.terminate()
            proc.wait(30)

    # -- PostgreSQL full-text search ------------------------------------------
    def pg(state: dict, q: Q) -> None:
        if "conn" not in state:
            state["conn"] = psycopg.connect(dsn, autocommit=True)
            state["close"] = state["conn"].close
        tid, unit, _ = people[q.who]
        pg_query(state["conn"], q, tid, unit)

    run_clients(mix, 2, pg)  # warm the buffer cache
    for clients in (1, 8):
        lat, wall = run_clients(mix, clients, pg)
        results[f"postgres fts direct, {clients} client(s)"] = (
            *percentiles(lat), len(lat) / wall)

    print(f"\nquery mix: {len(mix)} queries ({len({q.kind for q in mix})} kinds), "
          "every one filtered to one org unit of one tenant; total + 4 facets + top 20")
    print(f"{'mode':46s} {'p50 ms':>8s} {'p95 ms':>8s} {'p99 ms':>8s} {'q/s':>7s}")
    for mode, (p50, p95, p99, qps) in results.items():
        print(f"{mode:46s} {p50:8.1f} {p95:8.1f} {p99:8.1f} {qps:7.1f}")
    api8 = results["whoosh via API, 8 client(s)"][1]
    pg8 = results["postgres fts direct, 8 client(s)"][1]
    print(f"\nratio p95 whoosh-API / postgres-fts (8 clients): {api8 / pg8:.2f}x")
    print(f"target p95 ≤ 100 ms through the API with 8 clients: "
          f"{'met' if api8 <= 100 else 'NOT met'} ({api8:.0f} ms at {corpus.docs} docs)")


if __name__ == "__main__":
    main()
