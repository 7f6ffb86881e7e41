"""What a typo-tolerant retry actually matched, said back to the user.

When a query finds nothing as typed, :func:`search.service.search` runs it once more with
each long word allowed a typo (:func:`search.query.typo_tolerant`). The engines match
folded, stemmed index terms, which are no words to show a person ("lohnabrechn"); the
words as the documents write them are the ones the snippets mark. So the correction is
read from the marked words of the hits: each loosened word is replaced by the closest
marked word with the same first letter. This works the same on both engines, and names
only words the caller may see (snippets come from their own hits).

If a loosened word has no marked counterpart (it matched a title or an Akte's data only,
which have no snippet), there is no honest correction: :func:`corrected_query` returns
``None`` and the page says "with typo tolerance" instead.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from whoosh.support.levenshtein import distance

from search.folding import latin_fold
from search.query import _TYPO_WORD

_MARKED = re.compile(r"<mark>(.*?)</mark>", re.DOTALL)
_OPERATORS = ("AND", "OR", "NOT")
#: Edits between a typed word and a marked word still taken for its correction: the
#: retry's one or two, plus the ending stemming ignores ("Lohnabrechnug" → "Lohnabrechnungen").
MAX_EDITS = 4


def _key(word: str) -> str:
    return latin_fold(word).lower()


def marked_words(snippets: Iterable[str]) -> list[str]:
    """The words wrapped in ``<mark>`` in the (escaped HTML) snippets, most frequent first."""
    counts: dict[str, int] = {}
    for snippet in snippets:
        for marked in _MARKED.findall(snippet):
            for word in html.unescape(marked).split():
                word = word.strip(".,;:!?()[]\"'„“”")
                if word:
                    counts[word] = counts.get(word, 0) + 1
    return sorted(counts, key=lambda w: -counts[w])


def corrected_query(q: str, snippets: Iterable[str]) -> str | None:
    """``q`` with each word the retry loosened replaced by the marked word closest to it
    (same first letter, at most :data:`MAX_EDITS` edits); ``None`` unless every loosened
    word found one, or when nothing changed."""
    candidates = [(word, _key(word)) for word in marked_words(snippets)]
    missing = False

    def replace(match: re.Match[str]) -> str:
        nonlocal missing
        typed = match.group(1)
        if typed in _OPERATORS:
            return typed
        key = _key(typed)
        best: tuple[int, str] | None = None
        for word, word_key in candidates:
            if not word_key or word_key[0] != key[0]:
                continue
            edits = distance(key, word_key)
            if edits <= MAX_EDITS and (best is None or edits < best[0]):
                best = (edits, word)
        if best is None:
            missing = True
            return typed
        return typed if best[0] == 0 else best[1]

    corrected = _TYPO_WORD.sub(replace, q)
    return None if missing or corrected == q else corrected
