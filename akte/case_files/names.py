"""A person's name folded for finding an Akte, so "Yilmaz" finds "Yılmaz" and "Mueller"
finds "Müller".

Caseworkers type names on a German keyboard, from a letter, from the phone. The Akten
filter compares :func:`fold_name` of what they typed, as a substring, with the stored
``case_files.person_name_key`` (the same fold of the Akte's name, kept by the model's
insert/update hooks). Both sides are folded the same way, so a fold only has to map the
variants of one spelling together; that it also maps some unrelated spellings together
("Manuel" and "Manul") only widens a filter a person reads anyway.

The fold: lower case; every Latin letter with an accent or stroke to its base letter
(ı/İ → i, ş → s, ğ → g, ç → c, ł → l, ą → a, ż/ź → z, ø → o …); the German umlauts and
their spellings together (ä/ae → a, ö/oe → o, ü/ue → u, ß → ss); the common
transcription variants of Arabic names (ou → u as in Youssef/Yusef, ph → f, doubled letters
single as in Mohammed/Mohamed); anything but letters, digits and spaces dropped.
"""

from __future__ import annotations

import re
import unicodedata

#: Letters without a decomposition to a base letter.
_SPECIAL = str.maketrans(
    {
        "ł": "l",
        "ı": "i",
        "đ": "d",
        "ð": "d",
        "ø": "o",
        "æ": "ae",
        "œ": "oe",
        "þ": "th",
        "ħ": "h",
        "ŧ": "t",
        "ŋ": "n",
        "ß": "ss",
        "ẞ": "ss",
        "ə": "e",
    }
)
_GERMAN = str.maketrans({"ä": "a", "ö": "o", "ü": "u"})
_DIGRAPHS = re.compile(r"(?<=[a-z])(ae|oe|ue)")
_DOUBLED = re.compile(r"([a-z])\1+")
_NOT_WORD = re.compile(r"[^a-z0-9 ]+")
_SPACES = re.compile(r"\s+")


def fold_name(text: str | None) -> str:
    """``text`` folded as described in the module docstring ("" for none)."""
    if not text:
        return ""
    lowered = text.replace("İ", "I").lower().translate(_GERMAN).translate(_SPECIAL)
    plain = "".join(
        c for c in unicodedata.normalize("NFKD", lowered) if not unicodedata.combining(c)
    )
    plain = _DIGRAPHS.sub(lambda m: m.group(1)[0], plain)
    plain = plain.replace("ou", "u").replace("ph", "f")
    plain = _DOUBLED.sub(r"\1", plain)
    plain = _NOT_WORD.sub("", _SPACES.sub(" ", plain))
    return plain.strip()
