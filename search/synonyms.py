"""Query expansion: synonyms and abbreviations of the trade, and compounds split.

A caseworker's query words are rewritten before parsing, the same way for both engines
(the text then goes through the one parser and analysis chain):

* **Synonyms and abbreviations** (``search/data/synonyms_de.txt``, plus a tenant's own
  groups): a word or a run of words equal to a variant becomes ``(word OR other OR
  "multi word other")`` — "KdU" finds "Kosten der Unterkunft", "Lohnabrechnung" a
  Gehaltsabrechnung.
* **Compound words** (:mod:`search.compounds`): a compound also matches its two parts
  anywhere in the document: "Betriebskostenabrechnung" becomes ``(Betriebskostenabrechnung
  OR ((Betriebskosten OR Nebenkosten) Abrechnung))``. The whole word still ranks above.

Only plain words are touched: nothing after ``feld:``, in quotes (except a phrase that
is itself a variant), with ``*``, ``?`` or ``~``, after ``-``/``NOT``, nor identifiers.
Expansion happens at query time: the index does not grow and a new synonym applies to
every document at once.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

from search import compounds
from search.analysis import fold, fold_letters
from search.compounds import MIN_WORD

DATA_FILE = Path(__file__).parent / "data" / "synonyms_de.txt"
#: Boost of the words as typed over their synonyms and parts.
ORIGINAL_BOOST = 2
#: Most words a variant may have (longer runs are not looked up).
MAX_WORDS = 6
_OPERATORS = {"AND", "OR", "NOT"}
#: A token the expansion may touch: letters (and digits after a letter, "Alg2"), standing
#: alone between blanks or parentheses.
_TOKEN = re.compile(r'"[^"]*"|[^\s()"]+|[()]')
_PLAIN = re.compile(r"^[^\W\d_][\w]*$")
_NUMERALS = re.compile(r"^(?:[ivx]+|\d+)$")

Groups = tuple[tuple[str, ...], ...]


def parse_groups(lines: list[str] | str) -> Groups:
    """Synonym groups from text lines (``a, b, c``); comments and blanks skipped."""
    if isinstance(lines, str):
        lines = lines.splitlines()
    groups = []
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        variants = tuple(dict.fromkeys(v.strip() for v in line.split(",") if v.strip()))
        if len(variants) > 1:
            groups.append(variants)
    return tuple(groups)


@lru_cache(maxsize=1)
def default_groups() -> Groups:
    return parse_groups(DATA_FILE.read_text(encoding="utf-8"))


def _key(words: list[str]) -> tuple[str, ...]:
    return tuple(fold(w) for w in words)


class Expander:
    """Rewrites query texts with a fixed set of groups (build once per set)."""

    def __init__(self, groups: Groups) -> None:
        self.table: dict[tuple[str, ...], list[str]] = {}
        for group in groups:
            for variant in group:
                key = _key(re.findall(r"[\w]+", variant))
                if not key:
                    continue
                others = self.table.setdefault(key, [])
                for other in group:
                    if _key(re.findall(r"[\w]+", other)) != key and other not in others:
                        others.append(other)

    def synonyms(self, words: list[str]) -> list[str]:
        """The other variants of the run ``words`` (empty when it is no variant)."""
        return self.table.get(_key(words), [])

    @staticmethod
    def _term(variant: str) -> str:
        words = re.findall(r"[\w]+", variant)
        return words[0] if len(words) == 1 else '"' + " ".join(words) + '"'

    def _alternatives(self, words: list[str], original: str, boost: bool = True) -> str:
        others = [
            t for t in dict.fromkeys(self._term(v) for v in self.synonyms(words)) if t != original
        ]
        if not others:
            return original
        # what was typed ranks above its synonyms (Whoosh; PostgreSQL ranks them alike)
        first = f"{original}^{ORIGINAL_BOOST}" if boost else original
        return "(" + " OR ".join([first, *others]) + ")"

    def _word(self, word: str) -> str:
        """One plain word: its synonyms, and its parts if it is a compound."""
        expanded = self._alternatives([word], word)
        folded = fold_letters(word)
        split = compounds.decompounder().split(folded) if len(word) >= MIN_WORD else None
        if split is None:
            return expanded
        head, tail = split
        # a dictionary word is searched as itself (and found as a part of longer
        # compounds); its parts only when they have synonyms ("Lohn-" → "Gehalt")
        if folded in compounds.decompounder().words and not (
            self.synonyms([head]) or self.synonyms([tail])
        ):
            return expanded
        parts = (
            f"{self._alternatives([head], head, boost=False)} "
            f"{self._alternatives([tail], tail, boost=False)}"
        )
        if expanded.startswith("("):
            return f"({expanded[1:-1]} OR ({parts}))"
        return f"({expanded}^{ORIGINAL_BOOST} OR ({parts}))"

    def expand(self, text: str) -> str:
        tokens = _TOKEN.findall(text)
        out: list[str] = []
        i = 0
        while i < len(tokens):
            token = tokens[i]
            previous = tokens[i - 1] if i else ""
            plain = (
                _PLAIN.match(token) is not None and token not in _OPERATORS and previous != "NOT"
            )
            if token.startswith('"') and token.endswith('"') and len(token) > 1:
                words = re.findall(r"[\w]+", token)
                out.append(self._alternatives(words, token) if self.synonyms(words) else token)
                i += 1
                continue
            if not plain:
                out.append(token)
                i += 1
                continue
            # the longest run of plain words (a numeral may end it: "ALG II") that is a variant
            run = []
            j = i
            while (
                j < len(tokens)
                and len(run) < MAX_WORDS
                and (
                    (_PLAIN.match(tokens[j]) and tokens[j] not in _OPERATORS)
                    or (run and _NUMERALS.match(tokens[j].lower()))
                )
            ):
                run.append(tokens[j])
                j += 1
            for size in range(len(run), 1, -1):
                if self.synonyms(run[:size]):
                    phrase = '"' + " ".join(run[:size]) + '"'
                    out.append(self._alternatives(run[:size], phrase))
                    i += size
                    break
            else:
                out.append(self._word(token))
                i += 1
        return " ".join(out)


@lru_cache(maxsize=64)
def expander(extra: tuple[str, ...] = ()) -> Expander:
    """The expander of the built-in groups plus ``extra`` lines (a tenant's own).

    ``AKTE_SEARCH_SYNONYMS=off`` gives one without any groups (``bench.search --analysis``
    measures queries without synonyms that way, together with ``AKTE_SEARCH_COMPOUNDS=off``;
    not a setting for installations)."""
    if os.environ.get("AKTE_SEARCH_SYNONYMS", "on").lower() in ("off", "false", "0"):
        return Expander(())
    return Expander(default_groups() + parse_groups(list(extra)))
