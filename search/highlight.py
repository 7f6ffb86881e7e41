"""Which words of one page's text a search matches, for highlighting them on the drawn page.

The viewer cannot stem German in the browser. Here the query's words go through the same
analysis as the index (:class:`search.analysis.GermanStemFilter`: lower-case, umlauts
folded, Snowball stem) and the page text is cut into words as the index cuts it
(:data:`search.analysis.WORD_PATTERN`); a page word matches when its stem is one of the
query's stems, or starts with a stem the query ends in ``*``. The answer is the exact word
forms as they stand in the text ("Kontoauszüge" for a search for "kontoauszug"), which the
viewer looks for in the page's text layer.

Query syntax is read leniently: operators (``AND``, ``OR``, ``NOT``, ``-word``), field
prefixes (``typ:``), quotes and brackets are dropped; a negated word is not highlighted.
"""

from __future__ import annotations

import re

from search.analysis import WORD_PATTERN, GermanStemFilter

MAX_WORDS = 16
MAX_FORMS = 100
_OPERATORS = {"AND", "OR", "NOT", "UND", "ODER", "NICHT"}
_TOKEN = re.compile(r'(-?)(?:\w+:)?"?([^\s"()]+)')
_stemmer = GermanStemFilter()


def query_stems(query: str) -> tuple[frozenset[str], tuple[str, ...]]:
    """The index terms of the query's words, and the stems of its prefix words (``Konto*``)."""
    stems: set[str] = set()
    prefixes: list[str] = []
    for negated, token in _TOKEN.findall(query[:400]):
        if negated or token in _OPERATORS:
            continue
        words = WORD_PATTERN.findall(token)
        for word in words[:MAX_WORDS]:
            if token.endswith("*") and word == words[-1]:
                prefixes.append(_stemmer.stem(word))
            else:
                stems.add(_stemmer.stem(word))
    return frozenset(stems), tuple(p for p in prefixes if len(p) >= 2)


def matching_forms(query: str, text: str) -> list[str]:
    """The distinct word forms of ``text`` that the query's words match, in order of
    first occurrence (at most :data:`MAX_FORMS`)."""
    stems, prefixes = query_stems(query)
    if not stems and not prefixes:
        return []
    forms: dict[str, None] = {}
    for match in WORD_PATTERN.finditer(text):
        word = match.group()
        if word in forms:
            continue
        stem = _stemmer.stem(word)
        if stem in stems or (prefixes and stem.startswith(prefixes)):
            forms[word] = None
            if len(forms) >= MAX_FORMS:
                break
    return list(forms)
