"""Snippets: the passage of a hit's text with the most query words, matches marked.

Why not ``whoosh.highlight``: it runs the whole analyzer chain with a token object per
word and scores every fragment; for a page of 20 hits of a few pages each that cost more
than the query itself. Here a word costs one regex match and one memoised stem lookup,
and only the first :data:`SCAN_CHARS` characters are looked at (a 500-page scan would
otherwise be read in full to show 300 characters).

The result is HTML: all document text is escaped, only ``<mark>…</mark>`` is markup.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

from search.analysis import WORD_PATTERN

SCAN_CHARS = 60_000
#: Characters of context shown before the first match of the chosen passage.
LEAD = 60
_SPACE = re.compile(r"\s+")


def _plain(text: str) -> str:
    return html.escape(_SPACE.sub(" ", text), quote=False)


def make_snippet(
    text: str, words: set[str] | frozenset[str], stem: Callable[[str], str], max_chars: int = 300
) -> str:
    """The best passage of ``text`` (at most ``max_chars``) for the index terms ``words``;
    the beginning of the text when no word occurs."""
    if not text:
        return ""
    spans: list[tuple[int, int]] = []
    if words:
        spans = [
            m.span() for m in WORD_PATTERN.finditer(text, 0, SCAN_CHARS) if stem(m.group()) in words
        ]
    if not spans:
        return _plain(_SPACE.sub(" ", text[: max_chars * 2]).strip()[:max_chars])
    # the window (of max_chars minus the lead) that starts at a match and holds the most
    best, best_count, j = 0, 0, 0
    room = max_chars - LEAD
    for i, (start, _end) in enumerate(spans):
        j = max(j, i)
        while j + 1 < len(spans) and spans[j + 1][1] - start <= room:
            j += 1
        if j - i + 1 > best_count:
            best, best_count = i, j - i + 1
    begin = max(0, spans[best][0] - LEAD)
    if begin:  # start at a word, not inside one
        space = text.find(" ", begin, spans[best][0])
        begin = space + 1 if space >= 0 else spans[best][0]
    end = min(len(text), begin + max_chars)
    if end < len(text):
        space = text.rfind(" ", spans[best][1], end)
        end = space if space > 0 else end
    parts = ["… "] if begin else []
    cursor = begin
    for start, stop in spans[best:]:
        if stop > end:
            break
        parts.append(_plain(text[cursor:start]))
        parts.append(f"<mark>{html.escape(text[start:stop], quote=False)}</mark>")
        cursor = stop
    parts.append(_plain(text[cursor:end]))
    if end < len(text):
        parts.append(" …")
    return "".join(parts).strip()
