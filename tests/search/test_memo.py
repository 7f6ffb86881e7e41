"""The analysis memos stay within their bytes however many word forms they see.

Every document brings word forms no earlier one had (numbers, names, Aktenzeichen): a memo
bounded by entries grew with each of them for hundreds of thousands of words (the soak,
``python -m bench.soak``). Measured here with ``tracemalloc``: what the memo holds after
it has seen more than twice its bound in distinct words.

Why twice is enough: an unbounded memo holds what it was given, so a fill of twice the
bound (as ``tracemalloc`` counts it, not the memo's own estimate) fails the ``<=`` bound
by a factor of two, and the first words are gone only after two turn-overs. Ten times
showed nothing more and cost most of the module's time: every allocation of a fill is
traced.
"""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable, Iterator

import pytest

from search import analysis, compounds, hyphenation
from search.analysis import GermanStemFilter, pair_analyzer, parts_text, text_analyzer
from search.memo import Memo
from search.schema import make_schema

#: The memos' bound in these tests. What is tested is the ratio — more than twice the bound
#: in distinct words, the memo within it, the same number of turn-overs — so the bound is
#: small: the fills run under ``tracemalloc``, which traces every allocation. At 1 MiB
#: (100,000 words a fill, 2,000 compound pairs) the module took 297 s, at 256 KiB 73 s
#: (both in one loaded run, load average 11-13; docs/ARCHITECTURE.md, "Tests and checks").
BOUND = 256 * 1024
#: Distinct words per fill of a plain memo. Unbounded, a memo of them holds 2.3 times
#: ``BOUND`` (lower-cased values) to 4.8 times (three-part tuples), as ``tracemalloc``
#: counts it; ten times (25,000 words) proved no more and took five times as long.
SEEN = 4_000
#: Words through the three analyzers sharing the stem memo: unbounded, it holds about 2.2
#: times ``BOUND`` (each word brings its stem and the analyzers' own garbage).
STEMMED = 3_600
#: The compound memos' bound and their fill: 125 pairs of new compounds leave about 1.4
#: times the four memos' bounds in them when unbounded (bounded: a third). The ratio is
#: what the test measures; a quarter of ``BOUND`` with 500 pairs held the same ratio and
#: took four times as long.
COMPOUND_BOUND = BOUND // 16
COMPOUNDS = 125


def held_after(fill: Callable[[], object]) -> int:
    """Bytes still allocated once ``fill`` returned and its garbage is gone: what the
    objects it filled keep."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        fill()
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


def words(count: int, start: int = 0) -> Iterator[str]:
    """Distinct word forms as documents bring them (one of a kind each)."""
    return (f"Kennwort{n}x" for n in range(start, start + count))


@pytest.mark.parametrize(
    "value", [lambda w: w.lower(), lambda w: (w[:4], w[4:]), lambda w: (w[:3], w[3:6], w[6:])]
)
def test_a_memo_holds_at_most_its_bytes(value: Callable[[str], object]) -> None:
    memo: Memo[str, object] = Memo(BOUND)

    def fill() -> None:
        for word in words(SEEN):  # more than twice what fits
            memo.put(word, value(word))

    held = held_after(fill)
    assert BOUND / 4 < held <= BOUND, held
    assert f"Kennwort{SEEN - 1}x" in memo and "Kennwort0x" not in memo


def test_a_word_in_use_survives_the_turnover() -> None:
    memo: Memo[str, str] = Memo(BOUND)
    memo.put("miete", "miet")
    for word in words(SEEN):
        memo.put(word, word)
        assert memo.get("miete") == "miet"  # used all the time: moved along


def test_the_stem_filters_share_one_memo_within_its_bound(monkeypatch) -> None:
    """The schema's analyzers, the snippets' and the PostgreSQL rows' stemmers are all
    :class:`GermanStemFilter`: one memo for the process, not one each."""
    monkeypatch.setattr(GermanStemFilter, "memo", Memo(BOUND))
    analyzers = [text_analyzer(), pair_analyzer(), make_schema()["content"].analyzer]

    def fill() -> None:
        for n, word in enumerate(words(STEMMED)):
            list(analyzers[n % 3](word))

    held = held_after(fill)
    assert held <= BOUND, held
    last = f"Kennwort{STEMMED - 1}x"
    assert GermanStemFilter().stem(last) == last.lower()
    assert last in GermanStemFilter.memo


def test_the_compound_memos_stay_within_their_bounds(monkeypatch) -> None:
    bound = COMPOUND_BOUND
    monkeypatch.setattr(analysis, "_parts_memo", Memo(bound))
    monkeypatch.setattr(hyphenation, "_positions", Memo(bound))
    decompounder = compounds.decompounder()
    monkeypatch.setattr(decompounder, "_cache", Memo(bound))
    monkeypatch.setattr(decompounder, "_splits", Memo(bound))
    parts_text("Nebenkostenabrechnung Jugendamt")  # the word list and patterns loaded

    def fill() -> None:
        # words of dictionary words, each new: every memo on the way sees them
        for n in range(COMPOUNDS):
            letters = "".join(chr(97 + int(d)) for d in str(n))
            parts_text(f"Heizkosten{letters}abrechnung Mietvertrag{letters}amt")

    held = held_after(fill)
    assert held <= 4 * bound, held
    assert 0 < len(analysis._parts_memo) < 2 * COMPOUNDS  # turned over
    assert parts_text("Nebenkostenabrechnung").split() == [
        *compounds.decompounder().parts("nebenkostenabrechnung")
    ]
