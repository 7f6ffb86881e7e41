"""German hyphenation points (Liang's algorithm) from a compact cached pattern table.

The decompounder's fallback (:meth:`search.compounds.Decompounder._hyphen_split`) cuts a
compound only where German hyphenation may break it. The patterns are LibreOffice's
``hyph_de_DE.dic`` as bundled by ``pyphen`` (78,000 patterns, including 69,000 words and
compounds with their breaks). ``pyphen`` itself parses them into a ``dict`` on every
start: about 19 MB and 1-4 s per process, which would undo what the compact word list
saves. So the parsed table is written once into a :class:`search.wordset.WordSet` map
(pattern → start offset and values), cached like the word list, and looked up the way
``pyphen.HyphDict.positions`` does: :func:`positions` gives the same points as
``pyphen.Pyphen(lang="de_DE").positions`` (``tests/search/test_german.py`` compares them).
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

from search import wordset
from search.memo import Memo
from search.wordset import SEP, WordSet

log = logging.getLogger(__name__)

#: As pyphen's defaults: no break within the first or last two letters.
LEFT = RIGHT = 2
#: The key of the entry that holds the longest pattern's length.
_MAXLEN = "\x01maxlen"


def _dictionary() -> Path | None:
    try:
        import pyphen
    except ImportError:
        return None
    path = pyphen.LANGUAGES.get("de_DE")
    return Path(path) if path else None


def _entries(path: Path) -> list[str]:
    """The patterns as map entries (slow: pyphen's parser, once per installation)."""
    import pyphen

    patterns = pyphen.HyphDict(path).patterns
    entries = [
        f"{key}{SEP}{chr(48 + start)}{''.join(chr(48 + int(v)) for v in values)}"
        for key, (start, values) in patterns.items()
    ]
    entries.append(f"{_MAXLEN}{SEP}{max(len(k) for k in patterns)}")
    return entries


@lru_cache(maxsize=1)
def _table() -> tuple[WordSet, int] | None:
    path = _dictionary()
    if path is None:
        log.warning(
            "German hyphenation patterns missing (pyphen): compounds with parts "
            "of two or three letters are not split"
        )
        return None
    table = wordset.cached("hyph_de", [path], "liang1", lambda: _entries(path))
    maxlen = table.get(_MAXLEN)
    return table, int(maxlen or 0)


#: word → its hyphenation points (bounded by bytes, :mod:`search.memo`)
_positions: Memo[str, tuple[int, ...]] = Memo(2 * 1024 * 1024)


def positions(word: str) -> tuple[int, ...]:
    """Offsets in ``word`` where it may be hyphenated ("jugendamt" → 2, 6), memoised."""
    found = _positions.get(word)
    if found is None:
        found = _positions.put(word, _positions_uncached(word))
    return found


def _positions_uncached(word: str) -> tuple[int, ...]:
    loaded = _table()
    if loaded is None:
        return ()
    table, maxlen = loaded
    pointed = f".{word.lower()}."
    refs = [0] * (len(pointed) + 1)
    for i in range(len(pointed) - 1):
        for j in range(i + 1, min(i + maxlen, len(pointed)) + 1):
            found = table.get(pointed[i:j])
            if found is None:
                continue
            start = i + ord(found[0]) - 48
            for k, char in enumerate(found[1:]):
                value = ord(char) - 48
                if value > refs[start + k]:
                    refs[start + k] = value
    right = len(word) - RIGHT
    return tuple(i - 1 for i, ref in enumerate(refs) if ref % 2 and LEFT <= i - 1 <= right)
