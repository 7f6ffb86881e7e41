"""``akte`` with German compounds not split: the baseline of ``bench.search --analysis``.

Runs the ``akte`` command line (``python -m bench.search_plain search reindex``) with an
empty decompounder, so the index holds no compound parts — the same engine and corpus
as the normal run, without the cost of understanding compounds. Synonyms are expanded
at query time and cost the index nothing.
"""

from __future__ import annotations

import sys

from search import compounds


def main() -> None:
    empty = compounds.Decompounder(set())
    compounds.decompounder = lambda: empty  # type: ignore[assignment]
    from akte.cli import main as akte

    sys.argv[0] = "akte"
    akte()


if __name__ == "__main__":
    main()
