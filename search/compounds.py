"""German compounds split into their parts, as Lucene's dictionary decompounder does.

"Nebenkostenabrechnung" is indexed with its parts "Nebenkosten", "Abrechnung", "Neben"
and "Kosten" (in the ``parts`` field / tsvector weight D, ranked below whole words), so a
caseworker typing "Nebenkosten" finds it. Like Lucene's ``DictionaryCompoundWordTokenFilter``
a part must be a dictionary word of at least :data:`MIN_PART` letters, and only words of
:data:`MIN_WORD` letters or more are split; unlike it, the split is a tree, not every
dictionary substring: German compounds are right-headed, so the longest dictionary word
at the end is the head and the rest (minus a linking element -s-, -es-, -n-, -en-, -er-,
-e-) must be a word or a compound itself. That keeps out the chance substrings a flat
scan yields ("Rechnung" in "Abrechnung" yes, "Echnung", "Eben" in "Neben" no) and the
index small. A non-final part may also be a verb stem ("Heiz-" of "heizen", "Miet-").

The word list is Debian's ``wngerman`` (``/usr/share/dict/ngerman``, installed by
``scripts/install-system-deps.sh``) plus ``search/data/words_de.txt`` (words of the
trade the general list lacks: Kita, Bürgergeld, Jobcenter …). Words are folded with
:func:`search.analysis.fold_letters` on both sides (letters only: the ``ae/oe/ue`` rule
would glue the seam of "Brutto|entgelt"). Splits are memoised per word: a county's
documents repeat their vocabulary, so indexing pays for a split once per word form. The
list is held as a compact :class:`search.wordset.WordSet` (about 8 MB, read from a cache
file in milliseconds), not a ``frozenset`` of ``str`` (about 80 MB, 1-2 s per process).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Container
from functools import lru_cache
from pathlib import Path

from search import hyphenation, wordset
from search.memo import Memo
from search.wordset import WordSet

log = logging.getLogger(__name__)

#: Words shorter than this are never split.
MIN_WORD = 7
#: A part is at least this long ("Tag", "Amt", "Kfz"); the final part (the head of the
#: compound) at least :data:`MIN_TAIL` ("-den" of "Schulden" is no head).
MIN_PART = 3
MIN_TAIL = 4
#: Most smallest parts whose adjacent runs are indexed too (runs grow quadratically).
MAX_LEAVES = 6
#: Linking elements (Fugenelemente); none first: "Nebenkosten|abrechnung", not
#: "Nebenkost-en-abrechnung".
LINKS = ("", "s", "es", "n", "en", "er", "e")
#: Endings that turn a verb stem into a dictionary verb/noun ("heiz" → "heizen").
STEM_ENDINGS = ("en", "e", "n")
#: A verb stem is at least this long (shorter ones match chance words: "neb-en").
MIN_STEM = 4
#: Prefixes that are words but make lexicalised words, not compounds: "Mitteilung" is
#: not "mit" + "Teilung", "Überweisung" not "über" + "Weisung".
PARTICLES = frozenset(
    {
        "ab",
        "an",
        "auf",
        "aus",
        "bei",
        "durch",
        "ein",
        "ent",
        "gegen",
        "hinter",
        "mit",
        "nach",
        "uber",
        "um",
        "unter",
        "ver",
        "vor",
        "wider",
        "zer",
        "zu",
        "zuruck",
        "gemein",
        "ge",
        "be",
        "er",
        "miss",
        "un",
        "ur",
        "her",
        "hin",
        "dar",
        "fort",
        "los",
        "weg",
        "voll",
    }
)
#: The shortest final part (head of the compound) at a hyphenation point; a first part
#: may have two letters ("Öl|heizung").
MIN_SHORT_TAIL = 3
WORDLISTS = (Path("/usr/share/dict/ngerman"),)
DATA = Path(__file__).parent / "data"
SUPPLEMENT = DATA / "words_de.txt"
#: Words never split (a split would be wrong: "Verbraucher" is not "Verb" + "Raucher").
KEEP = DATA / "keep_whole_de.txt"
#: Nouns of two or three letters ("Amt", "Ort", "Weg", "Job", "Öl"): parts only at a
#: hyphenation point (:meth:`Decompounder._hyphen_split`), chosen by hand.
SHORT_PARTS = DATA / "short_parts_de.txt"


def _read(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return []
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


#: Bound of each of a :class:`Decompounder`'s two memos (parts, splits), in bytes.
MEMO_BYTES = 4 * 1024 * 1024
_NO_SPLIT = ("",)


class Decompounder:
    """Splits folded lower-case words; build once (loading the list takes ~1 s)."""

    def __init__(
        self,
        words: set[str] | WordSet,
        keep: set[str] | None = None,
        memo_bytes: int = MEMO_BYTES,
        short: set[str] | None = None,
    ) -> None:
        #: anything with ``in``: the process's :class:`WordSet` or a plain set (tests)
        self.words: Container[str] = (
            words
            if isinstance(words, WordSet)
            else frozenset(w for w in words if len(w) >= MIN_PART)
        )
        self.keep = frozenset(keep or ())
        self.short = frozenset(short or ())
        # bounded by bytes (search.memo): every new word form would stay otherwise
        self._cache: Memo[str, tuple[str, ...]] = Memo(memo_bytes)
        self._splits: Memo[str, tuple[str, str] | None] = Memo(memo_bytes)

    # -- public ------------------------------------------------------------------------
    def split(self, word: str) -> tuple[str, str] | None:
        """The top-level split (head part without its linking element, final part), or
        ``None`` when ``word`` is not a compound of dictionary words."""
        if len(word) < MIN_WORD or word in self.keep or not word.isalpha():
            return None
        return self._split(word)

    def parts(self, word: str) -> tuple[str, ...]:
        """Every part of ``word`` on every level of its split, and every run of adjacent
        smallest parts (not ``word`` itself): "umzugskostenubernahme" → umzugs,
        kostenubernahme, kosten, ubernahme, umzugskosten."""
        found = self._cache.get(word)
        if found is None:
            seen: dict[str, None] = {}
            self._collect(word, seen)
            leaves = self._leaves(word, 0)
            if 2 < len(leaves) <= MAX_LEAVES:
                for i in range(len(leaves)):
                    for j in range(i + 2, len(leaves) + 1):
                        seen[word[leaves[i][0] : leaves[j - 1][1]]] = None
            seen.pop(word, None)
            found = self._cache.put(word, tuple(seen))
        return found

    def _split(self, word: str) -> tuple[str, str] | None:
        """:meth:`_split_uncached`, memoised (a head is split again for every compound
        that has it)."""
        found = self._splits.get(word, _NO_SPLIT)
        if found is _NO_SPLIT:
            found = self._splits.put(word, self._split_uncached(word))
        return found

    # -- internals ---------------------------------------------------------------------
    def _collect(self, word: str, seen: dict[str, None]) -> None:
        pair = self.split(word)
        if pair is None:
            return
        for part in pair:
            if part not in seen:
                seen[part] = None
                self._collect(part, seen)

    def _leaves(self, word: str, offset: int) -> list[tuple[int, int]]:
        """Spans (start, end in the outer word, linking element included) of the
        smallest parts of ``word``."""
        pair = self.split(word)
        if pair is None:
            return [(offset, offset + len(word))]
        head, tail = pair
        cut = len(word) - len(tail)
        heads = self._leaves(head, offset)
        # the head's last part keeps its linking element: "umzugs" + "kosten"
        heads[-1] = (heads[-1][0], offset + cut)
        return heads + self._leaves(tail, offset + cut)

    def _is_stem(self, part: str) -> bool:
        """A non-final part that is a verb stem whose verb is a word ("heiz", "miet")."""
        words = self.words
        return len(part) >= MIN_STEM and any(part + e in words for e in STEM_ENDINGS)

    def _split_uncached(self, word: str) -> tuple[str, str] | None:
        # the longest final word first (German compounds are right-headed) ...
        for cut in range(MIN_PART, len(word) - MIN_TAIL + 1):
            found = self._split_at(word, cut)
            if found is None:
                continue
            # ... unless the final word only swallowed a linking element of a word
            # before it: "Vertrag-s-konto", not "Vertrag" + "Skonto"; where hyphenation
            # puts the seam before the "s" and not after it, the "s" starts the final
            # word: "Lohn|steuer", not "Lohn-s-teuer"
            if word[cut] == "s" and not self._seam_before_s(word, cut):
                linked = self._split_at(word, cut + 1, linked_word=True) or self._short_tail_split(
                    word, cut + 1
                )
                if linked is not None:
                    return linked
            return found
        # no split of dictionary words of the usual length: one at a hyphenation point
        # with a short noun ("Jugend|amt", "Öl|heizung", "Mini|job")
        return self._hyphen_split(word)

    def _seam_before_s(self, word: str, cut: int) -> bool:
        """Whether German hyphenation breaks ``word`` before its ``s`` at ``cut`` and not
        after it (``lohn-steu-er``, ``ver-trags-kon-to``): the patterns know the seams
        of compounds, and every "-steuer" (Lohn-, Kirchen-, Einkommensteuer) would
        otherwise be split as "-s-" + "teuer"."""
        points = hyphenation_points(word)
        return cut in points and cut + 1 not in points

    # -- hyphenation fallback ----------------------------------------------------------
    def _short(self, part: str) -> bool:
        return part in self.short

    def _might_have_short_part(self, word: str) -> bool:
        """Cheap check before hyphenating: a short noun at either end."""
        return self._short(word[-3:]) or self._short(word[:2]) or self._short(word[:3])

    def _head_ok(self, head: str) -> str | None:
        """``head`` without its linking element when it is a dictionary word, a verb stem
        or a compound, or (no linking element) a short noun of two letters ("Öl"; one of
        three letters is a first part when the dictionary has it: "Gas|heizung")."""
        if len(head) < MIN_PART and self._short(head):
            return head
        for link in LINKS:
            if not head.endswith(link) or len(head) - len(link) < MIN_PART:
                continue
            stem = head[: len(head) - len(link)]
            if stem in PARTICLES:
                continue
            if (
                stem in self.words
                or self._is_stem(stem)
                or (len(stem) >= MIN_WORD and self._split(stem))
            ):
                return stem
        return None

    def _short_tail_split(self, word: str, cut: int) -> tuple[str, str] | None:
        """``word[cut:]`` a noun of three letters at a hyphenation point, after a head that
        is a word with the linking -s- ("Ordnung-s-amt", not "Ordnung" + "Samt")."""
        tail = word[cut:]
        if len(tail) != MIN_SHORT_TAIL or not self._short(tail):
            return None
        if cut not in hyphenation_points(word):
            return None
        stem = word[: cut - 1]
        return (stem, tail) if stem in self.words and stem not in PARTICLES else None

    def _hyphen_split(self, word: str) -> tuple[str, str] | None:
        """Lucene's hyphenation decompounder, restricted: a cut only at a hyphenation point
        of the German patterns, and only where both sides are known — the final part a
        dictionary word (a short noun of three letters allowed here), the first a word,
        verb stem or compound with its linking element, or a short noun of two letters."""
        if not self.short or not self._might_have_short_part(word):
            return None
        for cut in sorted(hyphenation_points(word)):
            tail, head = word[cut:], word[:cut]
            if len(tail) < MIN_SHORT_TAIL:
                continue
            if not (tail in self.words if len(tail) >= MIN_TAIL else self._short(tail)):
                continue
            stem = self._head_ok(head)
            if stem is not None:
                return stem, tail
        return None

    def _split_at(self, word: str, cut: int, linked_word: bool = False) -> tuple[str, str] | None:
        """The split with the final word ``word[cut:]``; ``linked_word``: only a head that
        is a dictionary word followed by the linking -s-."""
        words = self.words
        tail = word[cut:]
        if len(tail) < MIN_TAIL or tail not in words:
            return None
        head = word[:cut]
        links = ("s",) if linked_word else LINKS
        stems = [
            head[: len(head) - len(link)]
            for link in links
            if head.endswith(link) and len(head) - len(link) >= MIN_PART
        ]
        stems = [s for s in stems if s not in PARTICLES]
        # a dictionary word first, then a verb stem, then a compound head
        for stem in stems:
            if stem in words:
                return stem, tail
        if linked_word:
            return None
        for stem in stems:
            if self._is_stem(stem):
                return stem, tail
        for stem in stems:
            if len(stem) >= MIN_WORD and self._split(stem):
                return stem, tail
        return None


#: Bumped when what the cached word set holds changes (the fold, :data:`MIN_PART`).
WORDSET_VERSION = f"fold1-min{MIN_PART}"


def _folded_words() -> list[str]:
    """The folded words of the lists (the slow part: reading and folding 356,000 lines)."""
    from search.analysis import fold_letters as fold

    words: list[str] = []
    for path in (*WORDLISTS, SUPPLEMENT):
        lines = _read(path)
        if not lines and path != SUPPLEMENT:
            log.warning(
                "German word list %s is missing: compounds are split with the "
                "supplement only (run scripts/install-system-deps.sh)",
                path,
            )
        words.extend(fold(w) for w in lines if w.isalpha())
    return [w for w in words if len(w) >= MIN_PART]


def hyphenation_points(word: str) -> frozenset[int]:
    """Offsets in ``word`` (folded) where German hyphenation may break it
    (:mod:`search.hyphenation`). ``AKTE_SEARCH_HYPHENATION=off`` turns the fallback off
    (for measurements)."""
    if os.environ.get("AKTE_SEARCH_HYPHENATION", "on").lower() in ("off", "false", "0"):
        return frozenset()
    return frozenset(hyphenation.positions(word))


def load_words() -> WordSet:
    """The folded word list as a compact :class:`~search.wordset.WordSet`, from the cache
    file under ``AKTE_DATA_DIR/cache`` when the lists have not changed since it was
    written (a few MB and milliseconds instead of ~80 MB and 1-2 s per process)."""
    return wordset.cached("words_de", (*WORDLISTS, SUPPLEMENT), WORDSET_VERSION, _folded_words)


@lru_cache(maxsize=1)
def decompounder() -> Decompounder:
    """The process's decompounder (word list read on first use). ``AKTE_SEARCH_COMPOUNDS=
    off`` gives one that splits nothing (``bench.search --analysis`` measures the index
    without parts that way; every worker process of a reindex inherits it)."""
    from search.analysis import fold_letters as fold

    if os.environ.get("AKTE_SEARCH_COMPOUNDS", "on").lower() in ("off", "false", "0"):
        return Decompounder(set())
    keep = {fold(w) for w in _read(KEEP)}
    short = {fold(w) for w in _read(SHORT_PARTS)}
    return Decompounder(load_words(), keep, short=short)
