"""CPU cost of a Whoosh tenant rebuild, without a database: Whoosh's writer against ours.

``python -m bench.whoosh_rebuild --docs 3000 [--writer whoosh|rebuild] [--profile]``
generates the documents of ``bench.search`` (German letters of 1-3 pages, one tenant,
ten org units) in memory, then times ``WhooshBackend.rebuild`` alone: wall clock and CPU
seconds of the process (on a shared machine the CPU seconds are the figure to compare;
wall clock depends on the load). ``--writer whoosh`` rebuilds with Whoosh's own
``SegmentWriter`` (how ``akte search reindex`` wrote before
:mod:`search.rebuild_writer`); ``--profile`` prints where the time goes.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import shutil
import tempfile
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from search import compounds
from search import whoosh_backend as wb
from search.backend import IndexDoc
from tests.search.corpus import DOC_TYPES, SOURCES, page_texts, person


def documents(n: int, seed: int = 17) -> list[IndexDoc]:
    rng = random.Random(seed)
    tenant = uuid.UUID(int=1)
    units = [uuid.UUID(int=100 + i) for i in range(10)]
    now = datetime.now(UTC)
    out: list[IndexDoc] = []
    for a in range(n // 3 + 1):
        who = person(rng, None)
        case_file = uuid.uuid4()
        for _ in range(3):
            doc_type = rng.choice(DOC_TYPES)
            texts = page_texts(rng, who, doc_type, rng.randint(1, 3), filler=rng.randint(8, 16))
            day = date(2015, 1, 1) + timedelta(days=rng.randint(0, 3650))
            out.append(
                IndexDoc(
                    doc_id=uuid.uuid4(),
                    tenant_id=tenant,
                    org_unit_id=units[a % 10],
                    case_file_id=case_file,
                    title=f"{doc_type} {day.year}",
                    doc_type=doc_type,
                    source=rng.choice(SOURCES),
                    aktenzeichen=f"AZ-2020-{a:07d}",
                    bg_nummer=f"{10000 + a}BG{a:07d}",
                    kundennummer=f"K{a:08d}",
                    person_name=who.name,
                    case_status="open",
                    document_date=day,
                    received_at=now,
                    text="\n\n".join(texts),
                    stamp="x" * 24,
                )
            )
    return out[:n]


class PeakRss:
    """The process's resident set sampled every 20 ms while the block runs: ``growth`` is
    its peak above the size at the start (the documents are already in memory then)."""

    def __init__(self) -> None:
        self.start = self.peak = _rss()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._done.wait(0.02):
            self.peak = max(self.peak, _rss())

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()
        self.peak = max(self.peak, _rss())

    @property
    def growth(self) -> int:
        return self.peak - self.start


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=3000)
    parser.add_argument("--writer", choices=("rebuild", "whoosh"), default="rebuild")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--pool-mb",
        type=int,
        default=None,
        help="the postings pool's budget (default: the rebuild's own); small values make "
        "the rebuild spill and merge runs, as a large tenant does",
    )
    args = parser.parse_args()
    if args.pool_mb is not None:
        wb.REBUILD_POOL_MB = args.pool_mb
    docs = documents(args.docs)
    compounds.decompounder()  # the word list is loaded once per process, not per rebuild
    if args.writer == "whoosh":
        wb.RebuildWriter = lambda ix, limitmb, **kw: ix.writer(limitmb=128, **kw)  # type: ignore[assignment,misc]
    root = Path(tempfile.mkdtemp(prefix="akte-bench-rebuild-"))
    try:
        backend = wb.WhooshBackend(root, cache_size=0)
        profile = cProfile.Profile() if args.profile else None
        wall, cpu = time.perf_counter(), time.process_time()
        if profile:
            profile.enable()
        with PeakRss() as peak:
            backend.rebuild(uuid.UUID(int=1), iter(docs))
        if profile:
            profile.disable()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        size = sum(f.stat().st_size for f in root.rglob("*") if f.is_file())
        print(
            f"{args.writer}: {args.docs} documents, wall {wall:.1f}s ({args.docs / wall:.0f} "
            f"docs/s), CPU {cpu:.1f}s ({1000 * cpu / args.docs:.2f} ms a document, "
            f"{args.docs / cpu:.0f} docs per CPU-second), index {size / 1e6:.1f} MB, "
            f"RSS +{peak.growth / 1e6:.0f} MB at its peak during the rebuild, "
            f"load {os.getloadavg()[0]:.1f}",
            flush=True,
        )
        if profile:
            pstats.Stats(profile).sort_stats("tottime").print_stats(25)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
