"""Every Latin letter folded to its base letters, so "Sahin" finds "Şahin".

Caseworkers type names on a German keyboard: "Sahin" for Şahin, "Lukasz" for Łukasz,
"Dvorak" for Dvořák, "Nguyen Van Duc" for Nguyễn Văn Đức. :func:`latin_fold` maps every
letter of the Latin blocks (Latin-1 Supplement, Latin Extended-A/B, Latin Extended
Additional) to the letters a German keyboard has: the Unicode decomposition without its
accents, plus a table for letters that do not decompose (ł, ı, đ, ø, æ, œ, þ …).

The German letters ä, ö, ü and ß are left alone: :func:`search.analysis.fold` (and
``akte_fold`` in PostgreSQL) fold them together with their ``ae/oe/ue/ss`` spellings,
which needs the letter before the digraph. Case is kept (``Ş`` → ``S``): lower-casing
is the next step of both chains.

The PostgreSQL engine applies this function in Python to the texts it sends (rows and
query words), then the database folds and stems as before; the Whoosh engine applies it
inside :func:`search.analysis.fold`. One table, both engines.
"""

from __future__ import annotations

import re
import unicodedata

#: Letters without a decomposition to a base letter.
_SPECIAL = {
    "ł": "l",
    "Ł": "L",
    "ı": "i",
    "đ": "d",
    "Đ": "D",
    "ð": "d",
    "Ð": "D",
    "ø": "o",
    "Ø": "O",
    "æ": "ae",
    "Æ": "AE",
    "œ": "oe",
    "Œ": "OE",
    "þ": "th",
    "Þ": "TH",
    "ħ": "h",
    "Ħ": "H",
    "ŧ": "t",
    "Ŧ": "T",
    "ŋ": "n",
    "Ŋ": "N",
    "ĸ": "k",
    "ſ": "s",
    "ƀ": "b",
    "Ɓ": "B",
    "ƈ": "c",
    "Ƈ": "C",
    "ɗ": "d",
    "Ɗ": "D",
    "ƒ": "f",
    "Ƒ": "F",
    "ɠ": "g",
    "Ɠ": "G",
    "ƙ": "k",
    "Ƙ": "K",
    "ƚ": "l",
    "ɲ": "n",
    "Ɲ": "N",
    "ƥ": "p",
    "Ƥ": "P",
    "ƫ": "t",
    "ƭ": "t",
    "Ƭ": "T",
    "ʈ": "t",
    "Ʈ": "T",
    "ƴ": "y",
    "Ƴ": "Y",
    "ƶ": "z",
    "Ƶ": "Z",
    "ȥ": "z",
    "Ȥ": "Z",
    "ɇ": "e",
    "Ɇ": "E",
    "ɉ": "j",
    "Ɉ": "J",
    "ɍ": "r",
    "Ɍ": "R",
    "ɏ": "y",
    "Ɏ": "Y",
    "ȼ": "c",
    "Ȼ": "C",
    "ȿ": "s",
    "ɀ": "z",
    "ǝ": "e",
    "Ǝ": "E",
    "ə": "e",
    "Ə": "E",
    "ɛ": "e",
    "Ɛ": "E",
    "ɔ": "o",
    "Ɔ": "O",
    "ẞ": "SS",
}
#: Folded by the German fold instead (see the module docstring).
_GERMAN = set("äöüÄÖÜß")
_BLOCKS = ((0x00C0, 0x024F), (0x1E00, 0x1EFF))


def _table() -> dict[int, str]:
    table: dict[int, str] = {}
    for start, end in _BLOCKS:
        for code in range(start, end + 1):
            char = chr(code)
            if char in _GERMAN or not char.isalpha():
                continue
            if char in _SPECIAL:
                base = _SPECIAL[char]
            else:
                base = "".join(
                    c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
                )
                # a base that is not plain letters (ligatures such as "ǆ" → "dž")
                base = "".join(_SPECIAL.get(c, c) for c in base)
                if not base.isascii():
                    continue
            if base != char:
                table[code] = base
    # the dotted capital I lower-cases to "i" plus a combining dot; the dotless i has none
    table[ord("İ")] = "I"
    return table


#: code point → replacement; also read by the SQL agreement test.
LATIN_TABLE: dict[int, str] = _table()
_FOLDABLE = re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(LATIN_TABLE)) + "]")


def latin_fold(text: str) -> str:
    """``text`` with every foldable Latin letter replaced (German umlauts and ß kept).

    Most German text has none of them: one regex scan, and the copy only when needed."""
    if text.isascii() or _FOLDABLE.search(text) is None:
        return text
    return text.translate(LATIN_TABLE)
