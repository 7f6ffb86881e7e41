"""German text analysis for the index and for queries (the same chain on both sides).

Why three analyzers:

* ``text_analyzer`` (document text, titles, Dokumentart): words are lower-cased, umlauts
  and ß are folded *to the bare vowel* (ä/ae → a, ö/oe → o, ü/ue → u, ß → ss) and then
  stemmed with the Snowball German stemmer. Folding before stemming makes "Kontoauszüge",
  "Kontoauszuege" and "Kontoauszug" one term. Digraphs after a, e or q are diphthongs and
  stay ("Steuer", "Bauer", "Quelle"); the rare remaining false merge ("Duell"/"Dull") is the
  price of finding umlaut words typed on a keyboard without umlauts.
* ``name_analyzer`` (person names): the same folding, no stemming, so fuzzy queries
  (``Müler~``) compare whole folded names and "Mueller" equals "Müller".
* ``ident_analyzer`` (Aktenzeichen, BG-Nummer, Kundennummer, IBAN): the whole value is one
  token without separators, upper-cased (see :func:`akte.case_files.identifiers.
  normalize_identifier`), so ``AZ-2024-000123`` and ``az2024000123`` are the same term.
"""

from __future__ import annotations

import re

from whoosh.analysis import (
    Filter,
    IDTokenizer,
    LowercaseFilter,
    RegexTokenizer,
    SpaceSeparatedTokenizer,
)
from whoosh.lang import stemmer_for_language

from akte.case_files.identifiers import normalize_identifier
from search import compounds
from search.compounds import MIN_WORD
from search.folding import latin_fold
from search.memo import Memo

#: Bound of the shared stem memo (:class:`GermanStemFilter`): about 70,000 word forms.
STEM_MEMO_BYTES = 16 * 1024 * 1024
#: Bound of the word → compound parts memo (:func:`parts_text`).
PARTS_MEMO_BYTES = 8 * 1024 * 1024

_UMLAUTS = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "ß": "ss", "é": "e", "è": "e"})
#: ``ae/oe/ue`` written for an umlaut; not after a/e/q, where they are diphthongs or "qu"
#: (Bauer, Steuer, Quelle stay as they are).
_DIGRAPHS = re.compile(r"(?<![aeq])([aou])e")


def fold(word: str) -> str:
    """Lower-case German word with umlauts, their ``ae/oe/ue`` spellings and ß folded,
    and every other Latin letter reduced to its base (:func:`search.folding.latin_fold`:
    "Şahin" → "sahin", "Łódź" → "lodz")."""
    word = latin_fold(word).lower().translate(_UMLAUTS)
    return _DIGRAPHS.sub(r"\1", word)


def fold_letters(word: str) -> str:
    """:func:`fold` without the ``ae/oe/ue`` rule (compounds are split in this form)."""
    return latin_fold(word).lower().translate(_UMLAUTS)


class GermanFoldFilter(Filter):
    """Folds umlaut spellings so "Strasse" finds "Straße" and "Mueller" finds "Müller"."""

    def __call__(self, tokens):  # type: ignore[no-untyped-def]
        for token in tokens:
            token.text = fold(token.text)
            yield token


class IdentifierFilter(Filter):
    """Normalises a file reference the way the database compares it."""

    def __call__(self, tokens):  # type: ignore[no-untyped-def]
        for token in tokens:
            value = normalize_identifier(token.text)
            if value:
                token.text = value
                yield token


_WORDS = r"\w+(?:[.,]\w+)*"
#: How the text analyzer cuts words (snippets cut the same way to find the matches).
WORD_PATTERN = re.compile(_WORDS)
_findall = WORD_PATTERN.findall
#: The last texts :func:`words_of` cut, with their words (newest first; replaced as one
#: tuple, so threads never see half an update).
_last_cuts: tuple[tuple[str, list[str]], ...] = ()


def words_of(text: str) -> list[str]:
    """``WORD_PATTERN.findall(text)``, remembered for the last three texts (the same
    objects): a rebuild cuts each document's text for three fields (``parts`` with the
    title and Dokumentart, then ``content`` and ``pairs``), and cutting a letter is
    about a tenth of its analysis. The list must not be changed."""
    global _last_cuts
    cuts = _last_cuts
    for last, words in cuts:
        if text is last:
            return words
    words = _findall(text)
    _last_cuts = ((text, words), *cuts[:2])
    return words


class GermanStemFilter(Filter):
    """Lower-case, fold and stem in one step, memoised per word form.

    A county's documents use a vocabulary of some hundred thousand word forms; looking a
    form up in a dict is several times cheaper than lower-casing, folding (two string
    passes and a regex) and stemming it again — indexing spends most of its time here.
    Every instance computes the same, so they share one memo per process (:attr:`memo`,
    bounded by bytes, :mod:`search.memo`); a process has several instances (the schema's
    text and pair analyzers, the snippets' …), and each had a memo of its own.
    """

    #: the process's word form → stem memo, shared by every instance
    memo: Memo[str, str] = Memo(STEM_MEMO_BYTES)

    def __init__(self) -> None:
        self._stem = stemmer_for_language("de")

    def __getstate__(self) -> dict:
        # Whoosh pickles the schema (with its analyzers) into every index TOC: the memo
        # must not travel along. The state is what earlier versions read back.
        return {"_cachesize": 200_000}

    def __setstate__(self, state: dict) -> None:
        self.__init__()  # type: ignore[misc]

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self))

    def stem(self, word: str) -> str:
        """The index term of one word as the tokenizer cut it (memoised)."""
        memo = self.memo
        stemmed = memo.young.get(word) or memo.get(word)
        if stemmed is None:
            stemmed = memo.put(word, self._stem(fold(word)))
        return stemmed

    def __call__(self, tokens):  # type: ignore[no-untyped-def]
        stem = self.stem
        for token in tokens:
            token.text = stem(token.text)
            yield token


class WordPairFilter(Filter):
    """Each word joined with the next: "Kosten der Unterkunft" → "kost der", "der unterkunft".

    Phrase search runs as a conjunction of these pair terms instead of comparing word
    positions document by document. Position checks cost pure-Python work for every
    candidate document, and boilerplate phrases ("Mit freundlichen Grüßen") have a
    candidate in almost every letter of a county. A pair lookup is one posting list, like
    a word. A two-word phrase is matched exactly; a longer one matches documents holding
    every consecutive pair of it (what a reader would call the phrase in all but
    contrived cases).
    """

    def __call__(self, tokens):  # type: ignore[no-untyped-def]
        previous = None
        for token in tokens:
            text = token.text
            if previous is not None:
                token.text = f"{previous} {text}"
                yield token
            previous = text


def text_analyzer():  # type: ignore[no-untyped-def]
    return RegexTokenizer(_WORDS) | GermanStemFilter()


def pair_analyzer():  # type: ignore[no-untyped-def]
    """Word pairs of the document text (see :class:`WordPairFilter`)."""
    return RegexTokenizer(_WORDS) | GermanStemFilter() | WordPairFilter()


def name_analyzer():  # type: ignore[no-untyped-def]
    return RegexTokenizer(r"\w+") | LowercaseFilter() | GermanFoldFilter()


def word_analyzer():  # type: ignore[no-untyped-def]
    """Words cut as :func:`text_analyzer` cuts them, lower-cased and nothing else: the
    query parser of the PostgreSQL engine, which folds and stems in the database (the
    ``akte_german`` configuration) with the same chain as the index rows."""
    return RegexTokenizer(_WORDS) | LowercaseFilter()


def word_pair_analyzer():  # type: ignore[no-untyped-def]
    return RegexTokenizer(_WORDS) | LowercaseFilter() | WordPairFilter()


def name_word_analyzer():  # type: ignore[no-untyped-def]
    """Name words, lower-cased only (see :func:`word_analyzer`)."""
    return RegexTokenizer(r"\w+") | LowercaseFilter()


def ident_analyzer():  # type: ignore[no-untyped-def]
    """One value, one token (``AZ-2024 000123`` typed with a space included)."""
    return IDTokenizer() | IdentifierFilter()


def ident_list_analyzer():  # type: ignore[no-untyped-def]
    """A space-separated list of identifiers (each already without inner spaces)."""
    return SpaceSeparatedTokenizer() | IdentifierFilter()


# ``\b`` before the first letter (digit) is written as a look-behind after it: the same
# matches, but a pattern that starts with a character class is scanned for it in C, one
# that starts with ``\b`` tries every position (half of these patterns' cost: 0.023 ->
# 0.011 ms each per 2-KB document; the same matches on 15,000 generated documents and
# 20,000 random strings).
_IBAN = re.compile(r"[A-Z](?<!\w[A-Z])[A-Z]\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b")
_BG = re.compile(r"\d(?<!\w\d)\d{4}\s?BG\s?\d{7}\b")


def identifiers_in(text: str) -> list[str]:
    """IBANs and BG-Nummern mentioned in a document's text, normalised.

    They become exact tokens of the identifier field, so a search for an IBAN with or
    without its spaces finds the bank statement that mentions it.
    """
    found = {normalize_identifier(m.group(0)) for m in _IBAN.finditer(text)}
    found |= {normalize_identifier(m.group(0)) for m in _BG.finditer(text)}
    return sorted(v for v in found if v)


def compound_parts(word: str) -> tuple[str, ...]:
    """The parts of ``word`` (as cut by :data:`WORD_PATTERN`) that are indexed, folded
    and not stemmed; the same for both engines (the PostgreSQL engine sends them as a
    text that ``akte_german`` stems, see :mod:`search.pg.rows`)."""
    if len(word) < MIN_WORD:
        return ()
    return compounds.decompounder().parts(fold_letters(word))


#: word form → its parts: a county's vocabulary repeats across documents
_parts_memo: Memo[str, tuple[str, ...]] = Memo(PARTS_MEMO_BYTES)


def parts_text(*texts: str | list[str] | None) -> str:
    """The compound parts of ``texts`` as one space-separated text (each part once). A
    text may come already cut into words (:data:`WORD_PATTERN`), so a caller that needs
    the words anyway does not cut a long text twice."""
    seen: dict[str, None] = {}
    memo = _parts_memo
    for text in texts:
        if not text:
            continue
        # in order of first occurrence, not a set's (hash-seeded) order: the parts' positions
        # in a PostgreSQL row are then the same in every process
        for word in dict.fromkeys(words_of(text) if isinstance(text, str) else text):
            if len(word) >= MIN_WORD:
                parts = memo.get(word)
                if parts is None:
                    parts = memo.put(word, compound_parts(word))
                for part in parts:
                    seen[part] = None
    return " ".join(seen)
