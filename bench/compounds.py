"""What the German word list costs a process: RSS, load time and split speed, before/after.

Each variant runs in a fresh subprocess (so RSS is the process's own) and loads the word
list the decompounder uses:

* ``frozenset`` — how it was held before: a ``frozenset`` of the 353,000 folded words,
  built from ``/usr/share/dict/ngerman`` on every start;
* ``wordset cold`` — :class:`search.wordset.WordSet` built from the list (first process
  of an installation, or no writable cache folder), cache file written;
* ``wordset cached`` — the same read from that cache file (every later process);
* ``+ hyphen cold`` / ``+ hyphen cached`` — the cached word set and the German
  hyphenation patterns (:mod:`search.hyphenation`), which the decompounder loads the
  first time a word may have a part of two or three letters: parsed by ``pyphen`` and
  written to their cache file, then read from it.

Then each splits the same 3,000 words (the relevance corpus's long words and generated
compounds) with a fresh memo, to show what a lookup in the compact set costs.

Run: ``python -m bench.compounds [--repeat 3]``; prints the medians and the ratios
against ``frozenset`` measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

_CHILD = r"""
import json, os, sys, time
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
import search.analysis  # Whoosh, the stemmer: the same base in every variant
from search import compounds
from search.analysis import WORD_PATTERN, fold_letters
words = [fold_letters(w) for w in json.loads(sys.argv[2])]
base = rss()
t = time.perf_counter()
if sys.argv[1] == "frozenset":
    d = compounds.Decompounder(set(compounds._folded_words()))
else:
    d = compounds.Decompounder(compounds.load_words())
if sys.argv[1] == "wordset+hyphenation":
    compounds.hyphenation_points("jugendamt")  # the patterns, loaded on first need
load = time.perf_counter() - t
after = rss()
t = time.perf_counter()
n = sum(len(d.parts(w)) for w in words)
split = time.perf_counter() - t
print(json.dumps({"rss": after - base, "load": load, "split": split, "parts": n}))
"""


def sample_words() -> list[str]:
    corpus = Path(__file__).parent.parent / "tests/search/relevance/corpus.tsv"
    from search.analysis import WORD_PATTERN

    words = sorted(
        {
            w
            for w in WORD_PATTERN.findall(corpus.read_text(encoding="utf-8"))
            if len(w) >= 7 and w.isalpha()
        }
    )
    heads = [
        "Miet",
        "Heizkosten",
        "Kinder",
        "Arbeits",
        "Umzugs",
        "Strom",
        "Wohn",
        "Renten",
        "Kranken",
        "Unterhalts",
        "Gehalts",
        "Einkommens",
        "Bewilligungs",
    ]
    tails = [
        "bescheinigung",
        "abrechnung",
        "vertrag",
        "antrag",
        "bescheid",
        "nachweis",
        "erklärung",
        "zahlung",
        "versicherung",
        "kosten",
        "geld",
        "konto",
    ]
    words += [h + t for h in heads for t in tails]
    return (words * (3000 // len(words) + 1))[:3000]


def run(variant: str, words: list[str], cache: str) -> dict[str, float]:
    env = dict(os.environ, AKTE_WORDSET_CACHE=cache)
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, variant, json.dumps(words)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parent.parent,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__)
    args.add_argument("--repeat", type=int, default=3)
    opts = args.parse_args()
    words = sample_words()
    results: dict[str, list[dict[str, float]]] = {}
    for _ in range(opts.repeat):
        with tempfile.TemporaryDirectory() as cache:
            for name, variant in (
                ("frozenset", "frozenset"),
                ("wordset cold", "wordset"),
                ("wordset cached", "wordset"),
                ("+ hyphen cold", "wordset+hyphenation"),
                ("+ hyphen cached", "wordset+hyphenation"),
            ):
                results.setdefault(name, []).append(run(variant, words, cache))
    base = {
        k: statistics.median(r[k] for r in results["frozenset"]) for k in ("rss", "load", "split")
    }
    print(
        f"{len(set(words))} distinct words split ({len(words)} lookups), "
        f"median of {opts.repeat} runs, each variant in a fresh process"
    )
    print(f"{'variant':16s} {'RSS +MB':>9s} {'load s':>8s} {'split s':>8s}   ratios to frozenset")
    for name, rows in results.items():
        med = {k: statistics.median(r[k] for r in rows) for k in ("rss", "load", "split")}
        parts = {r["parts"] for r in rows}
        print(
            f"{name:16s} {med['rss']:9.1f} {med['load']:8.3f} {med['split']:8.3f}   "
            f"RSS {med['rss'] / base['rss']:.3f}  load {med['load'] / base['load']:.3f}  "
            f"split {med['split'] / base['split']:.2f}  (parts {sorted(parts)})"
        )


if __name__ == "__main__":
    main()
