"""``akte search reindex`` of a kept corpus, Whoosh engine: one process against parts.

``python -m bench.whoosh_reindex --database NAME [--variants one,parts] [--rounds 2]
[--before DIR]`` runs ``akte search reindex`` (a subprocess, each time into a fresh
index folder) on the PostgreSQL database ``NAME`` that ``python -m bench.search
--engines whoosh --mix large --docs N --keep PREFIX --build-only`` kept (``PREFIX_large``),
alternating the variants in each round:

* ``one`` — ``AKTE_SEARCH_REINDEX_WORKERS=1``: the tenant written by one process;
* ``parts`` — ``AKTE_SEARCH_REINDEX_WORKERS=2``: a tenant of 10,000 documents or more
  cut into two parts written side by side (:mod:`search.indexing`);
* ``before`` — the same command from another source tree ``--before DIR`` (e.g. an
  export of main), its default workers.

Per run: documents, wall seconds and documents/s, CPU seconds of the reindex process and
every process it started (user + system, from ``getrusage``) per document, the cores
that CPU filled on average (CPU ÷ wall), the CPU of the PostgreSQL backends serving
the database (sampled from ``/proc`` every 0.2 s: a backend's command line names its
database; what a backend spends after its last sample is missed), and the load average
before and after. On a shared machine compare CPU per document; wall clock says what
the other load let through. ``(reindex CPU + backend CPU) ÷ cores`` per document is what
an idle machine would need.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.search import _env


def _cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class BackendCpu:
    """CPU seconds of the PostgreSQL backends of one database while it runs (a thread)."""

    def __init__(self, database: str) -> None:
        self.marker = f" {database} ".encode()
        self.seen: dict[int, float] = {}
        self.running = True
        self.tick = os.sysconf("SC_CLK_TCK")
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _sample(self) -> None:
        while self.running:
            for entry in Path("/proc").iterdir():
                if not entry.name.isdigit():
                    continue
                try:
                    if self.marker not in (entry / "cmdline").read_bytes():
                        continue
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                self.seen[int(entry.name)] = (int(fields[11]) + int(fields[12])) / self.tick
            time.sleep(0.2)

    def stop(self) -> float:
        self.running = False
        self.thread.join()
        return sum(self.seen.values())


def run(url: str, variant: str, before: Path | None, wordsets: Path) -> str:
    data_dir = Path(tempfile.mkdtemp(prefix="akte-bench-reindex-"))
    env = {**_env(data_dir, url, "whoosh"), "AKTE_WORDSET_CACHE": str(wordsets)}
    cwd = None
    if variant == "before":
        assert before is not None
        env["PYTHONPATH"] = str(before)
        cwd = str(before)
    else:
        env["AKTE_SEARCH_REINDEX_WORKERS"] = "1" if variant == "one" else "2"
    command = [sys.executable, "-c", "from akte.cli import main; main()", "search", "reindex"]
    load = os.getloadavg()[0]
    backends = BackendCpu(url.rsplit("/", 1)[1])
    cpu, wall = _cpu_of_children(), time.monotonic()
    try:
        done = subprocess.run(
            command, env=env, cwd=cwd, capture_output=True, text=True, check=False
        )
        wall, cpu = time.monotonic() - wall, _cpu_of_children() - cpu
        db_cpu = backends.stop()
        if done.returncode != 0:
            raise RuntimeError(f"reindex failed: {done.stdout[-2000:]} {done.stderr[-2000:]}")
        docs = int(done.stdout.rsplit("indexed ", 1)[1].split()[0])
        segments = len(list((data_dir / "index" / "tenants").rglob("*.seg")))
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    return (
        f"{variant:>6}: {docs} documents, {segments} segment(s), wall {wall:.1f}s "
        f"({docs / wall:.0f} docs/s), CPU {cpu:.1f}s ({1000 * cpu / docs:.2f} ms a document, "
        f"{cpu / wall:.2f} cores), PostgreSQL backends {db_cpu:.1f}s "
        f"({1000 * db_cpu / docs:.2f} ms a document), load {load:.1f} → {os.getloadavg()[0]:.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", required=True, help="a database bench.search kept")
    parser.add_argument("--variants", default="one,parts")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--before", type=Path, default=None, help="source tree of 'before'")
    args = parser.parse_args()
    from tests.infra.postgres import postgres_server

    wordsets = Path(tempfile.gettempdir()) / "akte-bench-wordsets"
    with postgres_server() as admin:
        base = admin.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
        url = f"{base}/{args.database}"
        # the compound word set is built once into the shared cache, not in a measured run
        subprocess.run(
            [sys.executable, "-c", "from search import compounds; compounds.decompounder()"],
            env={**os.environ, "AKTE_WORDSET_CACHE": str(wordsets)},
            check=True,
        )
        print(f"reindex of {args.database}, {os.cpu_count()} cores", flush=True)
        for _round in range(args.rounds):
            for variant in args.variants.split(","):
                print(run(url, variant, args.before, wordsets), flush=True)


if __name__ == "__main__":
    main()
