"""Indexing documents one by one for months must not cost memory or file descriptors.

Every index write replaces segment files; a searcher that still reads the replaced ones
keeps deleted files open (and, with memory-mapped segments, their pages in memory). The
test indexes documents one at a time through the job path in one process, as the
embedded server's in-process worker does, and searches between the writes, as users do.
"""

from __future__ import annotations

import gc
import os
from pathlib import Path

import pytest
from whoosh.searching import Searcher

from akte.core.context import AppContext
from akte.core.database import session_scope
from akte.jobs.worker import run_until_idle
from search import analysis, compounds, hyphenation
from search.analysis import GermanStemFilter
from search.backend import QuerySpec, Scope
from search.memo import Memo
from tests.builders import World
from tests.client import TestClient
from tests.search.conftest import add_document
from tests.search.test_index_lifecycle import found

DOCUMENTS = 300
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
]


@pytest.fixture
def search_engine() -> str:
    """Whoosh only: its files and searchers are what could leak (PostgreSQL keeps none)."""
    return "whoosh"


#: The documents-one-by-one tests run on the embedded pair only (see their docstrings).
EMBEDDED = pytest.mark.parametrize("ctx", ["embedded"], indirect=True)


def open_descriptors() -> dict[str, str]:
    """This process's descriptors and what they point at."""
    found: dict[str, str] = {}
    for fd in os.listdir("/proc/self/fd"):
        try:
            found[fd] = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:  # closed between listing and reading
            continue
    return found


def deleted_index_files(root: Path) -> list[str]:
    return [
        target
        for target in open_descriptors().values()
        if target.endswith("(deleted)") and str(root) in target
    ]


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@EMBEDDED
def test_indexing_one_by_one_holds_no_deleted_files_and_no_growing_descriptors(
    sctx: AppContext, sclient: TestClient, world: World
) -> None:
    """300 documents, each through ``search.index_document`` and searched after its write.

    On the embedded pair only: what leaks here lives in the Whoosh engine (segment files,
    searchers), the same code on both pairs, and a database connection that leaked would
    show as a descriptor on SQLite as on PostgreSQL. The embedded pair is the deployment
    whose API process indexes for months (the in-process worker) and serves searches
    between the writes. The production pair ran the same documents three times as long
    (327 s against 111 s, one run at load 5-7) and proved nothing more."""
    service = sctx.extensions["search"]
    scope = Scope(world.tenant_a.id, frozenset({world.unit_a1.id}))
    descriptors: dict[int, int] = {}
    rss: dict[int, float] = {}
    for n in range(1, DOCUMENTS + 1):
        text = " ".join(WORDS[(n + k) % len(WORDS)] for k in range(400)) + f" Kennwort{n}x"
        with session_scope(sctx.session_factory) as session:
            add_document(session, world.case_a1, title=f"Schreiben {n}", pages=[text])
        run_until_idle(sctx)  # search.index_document, as the worker runs it
        hits = service.backend.search(QuerySpec(text=f"Kennwort{n}x", scope=scope))
        assert hits.total == 1, f"document {n} not searchable"
        service.backend.search(QuerySpec(text="Miete Heizkosten", scope=scope))
        assert deleted_index_files(service.root) == [], f"after document {n}"
        if n % 100 == 0:
            assert len(found(sclient, world, "Widerspruch")) == 20  # a page through the API
        if n in (100, 200, DOCUMENTS):
            descriptors[n] = len(open_descriptors())
            rss[n] = rss_mb()

    # descriptors do not grow with the number of documents (a few for pooled connections)
    assert descriptors[DOCUMENTS] - descriptors[100] <= 3, descriptors
    assert descriptors[DOCUMENTS] - descriptors[200] <= 3, descriptors
    # memory: loosely bounded (the leak this guards against grew by megabytes a document)
    assert rss[DOCUMENTS] - rss[100] < 40, rss
    assert (
        service.backend.search(QuerySpec(text="Miete", scope=scope, facets=False)).total
        == DOCUMENTS
    )
    # decoded arrays are kept only for segments the live searcher still has
    with service.backend._searcher(world.tenant_a.id) as searcher:
        live = {leaf.reader().segment().segment_id() for leaf, _ in searcher.leaf_searchers()}
    assert set(service.backend._arrays._segments) <= live


def test_caches_are_bounded_in_bytes(sctx: AppContext, world: World) -> None:
    backend = sctx.extensions["search"].backend
    with session_scope(sctx.session_factory) as session:
        for n in range(30):
            add_document(
                session,
                world.case_a1,
                title=f"Bescheid {n}",
                pages=[f"Heizkosten Nachzahlung Zeile{n} " * 50],
            )
    run_until_idle(sctx)
    scope = Scope(world.tenant_a.id, frozenset({world.unit_a1.id}))

    backend._cache_max_bytes = 40_000  # a few answers of 20 hits
    for n in range(30):
        backend.search(QuerySpec(text=f"Heizkosten Zeile{n}", scope=scope))
        backend.search(QuerySpec(text="Heizkosten", scope=scope, page=1, size=20 + n))
    assert 0 < backend._cache_bytes <= 40_000
    assert 1 < len(backend._cache) < 60

    backend._arrays.max_bytes = 1  # every query's arrays are dropped after it ran ...
    first = backend.search(QuerySpec(text="Nachzahlung", scope=scope, sort="date"))
    assert backend._arrays.nbytes() == 0
    backend._arrays.max_bytes = 10 * 1024 * 1024  # ... and decoded again, same answer
    again = backend.search(QuerySpec(text="Nachzahlung", scope=scope, sort="date", size=19))
    assert [h.doc_id for h in again.hits] == [h.doc_id for h in first.hits][:19]
    assert first.total == again.total == 30 and first.facets == again.facets
    assert 0 < backend._arrays.nbytes() <= 10 * 1024 * 1024


def searchers_of(root: Path) -> int:
    """Whoosh searchers alive in this process that read the index under ``root``."""
    gc.collect()
    return sum(
        1
        for obj in gc.get_objects()
        if isinstance(obj, Searcher)
        and str(getattr(getattr(obj._ix, "storage", None), "folder", "")).startswith(str(root))
    )


@EMBEDDED
def test_indexing_one_by_one_keeps_only_the_live_searcher(
    sctx: AppContext, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After documents indexed one by one through the job path, each with word forms no
    other has and searched between the writes, the process holds one searcher with one
    reader per live segment — nothing of the index states the writes replaced — and the
    word memos are within their bytes (here small, so they turn over many times).

    On the embedded pair only, for the reasons of the test above: searchers and memos are
    the engine's and the process's, whichever database the documents come from."""
    small = 16 * 1024
    decompounder = compounds.decompounder()
    memos = [Memo(small) for _ in range(5)]
    monkeypatch.setattr(GermanStemFilter, "memo", memos[0])
    monkeypatch.setattr(analysis, "_parts_memo", memos[1])
    monkeypatch.setattr(hyphenation, "_positions", memos[2])
    monkeypatch.setattr(decompounder, "_cache", memos[3])
    monkeypatch.setattr(decompounder, "_splits", memos[4])
    backend = sctx.extensions["search"].backend
    scope = Scope(world.tenant_a.id, frozenset({world.unit_a1.id}))
    for n in range(1, 121):
        text = " ".join(WORDS[(n + k) % len(WORDS)] for k in range(150))
        letters = "".join(chr(97 + int(d)) for d in str(n))  # a new compound each
        with session_scope(sctx.session_factory) as session:
            add_document(
                session,
                world.case_a1,
                title=f"Schreiben {n} vom {n % 28 + 1}.03.2025",
                pages=[f"{text} Kennwort{n}x Mietvertrag{letters}abrechnung AZ-{n:06d}"],
            )
        run_until_idle(sctx)
        assert backend.search(QuerySpec(text=f"Kennwort{n}x", scope=scope)).total == 1
        backend.search(QuerySpec(text=WORDS[n % len(WORDS)], scope=scope))

    with backend._searcher(world.tenant_a.id) as searcher:
        segments = len(searcher.leaf_searchers())
    # the live one and its one per segment; none of the 240 states the writes replaced
    assert searchers_of(backend.root) == 1 + (segments if segments > 1 else 0)
    # the memos kept a few of the 600 word forms the documents brought, not all
    assert all(0 < len(memo) < 300 for memo in memos[:2]), [len(m) for m in memos]
