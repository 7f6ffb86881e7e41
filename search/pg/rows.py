"""One ``search_documents`` row per document or Aktenvermerk, analysed in Python.

Python gathers what the row needs (scope, facet and sort columns, the result-list fields,
normalised identifiers, the stamp) and computes the ``tsvector`` itself, as PostgreSQL's
text literal (``'kost':12C,40C 'miet':3B …``), with the Whoosh engine's own analysis
chain: words cut by :data:`search.analysis.WORD_PATTERN`, folded and Snowball-stemmed by
:class:`search.analysis.GermanStemFilter` (memoised per word form). The row goes into
the table by ``COPY``; PostgreSQL only parses the literal.

Why not in the database (migrations 0840/0920 did that): PostgreSQL's default text
parser alone cost about 0.36 ms CPU per document of 2 KB, ``akte_search_vector`` 0.55 ms
in all, more than everything else a row needs; cutting words with one compiled regex and
looking each form up in a dict costs a fraction of it (``python -m bench.pg_index``
measures both). And with the same chain on both engines, index and query cannot disagree
about a word: the query's words are analysed by the same functions
(:mod:`search.pg.compile`), so "3,50" is one word on both engines.

Fields share one ``tsvector`` and are told apart by weight: **A** person name and the
words of the Aktenzeichen/BG-Nummer/Kundennummer (folded, not stemmed), **B** title and
Dokumentart, **C** the page text, **D** compound parts (ranked lowest, as the Whoosh
``parts`` field). Positions run on across the fields in that order (as ``||`` of
``tsvector``s numbers them). Identifiers live in ``idents`` (normalised, separators
removed), person names folded in ``names`` for trigram typo tolerance.

PostgreSQL's limits, kept here: a position above 16,383 is stored as 16,383 (words
beyond are found, phrases there not), at most 256 positions per lexeme, lexemes shorter
than 2 KB.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from akte.case_files.identifiers import normalize_identifier
from search.analysis import WORD_PATTERN, GermanStemFilter, fold, identifiers_in, parts_text
from search.backend import IndexDoc
from search.loader import NOTE_SOURCE
from search.memo import Memo

#: The columns of ``search_documents`` an upsert writes, in :func:`to_row` order.
ROW_COLUMNS = (
    "doc_id",
    "document_id",
    "note_id",
    "tenant_id",
    "org_unit_id",
    "case_file_id",
    "title",
    "doc_type",
    "source",
    "aktenzeichen",
    "person_name",
    "case_status",
    "document_date",
    "received_at",
    "sort_date",
    "year",
    "az",
    "bg",
    "kdnr",
    "idents",
    "names",
    "tsv",
    "stamp",
)
#: A rebuild's columns (:mod:`search.pg.rebuild`): ``head`` too, which the live table's
#: trigger computes on every other write (``ts_filter(tsv, '{a,b}')``, migration 0941)
#: and the rebuild's table, filled before it has triggers, gets from Python.
REBUILD_COLUMNS = (*ROW_COLUMNS, "head")
MAX_POS = 16383
MAX_POSITIONS = 256
MAX_LEXEME_BYTES = 2046
#: Shortest lexeme the vocabulary keeps (:data:`search.pg.vocabulary.MIN_LEXEME`).
MIN_VOCABULARY_WORD = 4
#: Name and identifier words: as the Whoosh ``name`` analyzer cuts them.
_NAME_WORDS = re.compile(r"\w+")
#: word form → lexeme, bounded by bytes (:mod:`search.memo`; the stems' memo is shared)
_stemmer = GermanStemFilter()
_folded: Memo[str, str] = Memo(8 * 1024 * 1024)


def stem(word: str) -> str:
    """The lexeme of a word of the text, title or Dokumentart (fold, then stem)."""
    return _stemmer.memo.young.get(word) or _stemmer.stem(word)


def fold_name(word: str) -> str:
    """The lexeme of a name or identifier word (folded, not stemmed)."""
    folded = _folded.young.get(word) or _folded.get(word)
    if folded is None:
        folded = _folded.put(word, fold(word))
    return folded


def quote(lexeme: str) -> str:
    """A lexeme as a quoted ``tsvector``/``tsquery`` operand."""
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def name_words(text: str | None) -> list[str]:
    return [fold_name(w) for w in _NAME_WORDS.findall(text or "")]


#: weight → position → its literal text ("12C"), made once: the inner loop only indexes
_POSITION_TEXT = {w: [f"{p}{w}" for p in range(MAX_POS + 1)] for w in "ABCD"}
_quoted: Memo[str, str] = Memo(8 * 1024 * 1024)


def tsvector(
    fields: list[tuple[str | list[str] | None, str]],
    words: set[str] | None = None,
    head: list[str] | None = None,
) -> str:
    """The ``tsvector`` literal of ``(text, weight)`` fields, positions running on from
    one field to the next. Weight A is cut and folded as names, the others as text (a
    text may come already cut by :data:`WORD_PATTERN`). ``words``, if given, receives
    every lexeme (the writer keeps those :func:`vocabulary_word` accepts, once per
    batch or per rebuild process, not once per row). ``head``, if
    given, receives the literal of the A and B positions alone — what
    ``ts_filter(tsv, '{a,b}')`` makes of the vector — for which the A and B fields
    must come first."""
    positions: dict[str, list[str]] = {}
    pos = 0
    for text, weight in fields:
        if head is not None and not head and weight in "CD":
            head.append(_literal(positions))  # so far: the A and B positions only
        if not text:
            continue
        if weight == "A":
            cut, memo, analyse = _NAME_WORDS.findall, _folded.young, fold_name
        else:
            cut, memo, analyse = WORD_PATTERN.findall, _stemmer.memo.young, _stemmer.stem
        cut_words = cut(text) if isinstance(text, str) else text
        lookup = memo.get
        # the lexemes in one comprehension, the positions as a range: the loop below
        # only files each position under its lexeme
        lexemes = [lookup(w) or analyse(w) for w in cut_words]
        end = pos + len(lexemes)
        numbers: range | list[int] = range(pos + 1, end + 1)
        if end > MAX_POS:  # PostgreSQL stores every later position as the last one
            numbers = [min(p, MAX_POS) for p in numbers]
        pos = min(end, MAX_POS)
        table = _POSITION_TEXT[weight]
        get = positions.get
        for lexeme, number in zip(lexemes, numbers, strict=True):
            slots = get(lexeme)
            if slots is None:
                if len(lexeme) > MAX_LEXEME_BYTES // 4 and len(lexeme.encode()) > MAX_LEXEME_BYTES:
                    continue
                positions[lexeme] = [table[number]]
            elif len(slots) < MAX_POSITIONS:
                slots.append(table[number])  # PostgreSQL drops repeats of the last position
    if words is not None:
        words.update(positions)  # every lexeme; the writer keeps the vocabulary's
    if head is not None and not head:
        head.append(_literal(positions))
    return _literal(positions)


def _literal(positions: dict[str, list[str]]) -> str:
    quoted = _quoted.young.get  # lexeme → "'lexeme'" (the memo's newer generation first)
    return " ".join(
        [
            f"{quoted(lexeme) or _quoted.get(lexeme) or _quoted.put(lexeme, quote(lexeme))}"
            f":{','.join(slots)}"
            for lexeme, slots in positions.items()
        ]
    )


def vocabulary_word(lexeme: str) -> bool:
    """Whether the tenant's vocabulary keeps ``lexeme`` (:mod:`search.pg.vocabulary`):
    four letters or more, letters only."""
    return len(lexeme) >= MIN_VOCABULARY_WORD and lexeme.isalpha()


def names_text(person_name: str | None) -> str:
    """``names``: the folded name words, each once (trigram typo tolerance)."""
    return " ".join(sorted(set(name_words(person_name)), key=str.encode))


def to_row(doc: IndexDoc, words: set[str] | None = None, *, head: bool = False) -> tuple[Any, ...]:
    """The row of ``doc``, in :data:`ROW_COLUMNS` order (:data:`REBUILD_COLUMNS` with
    ``head``); ``words`` receives its vocabulary words (see :func:`tsvector`)."""
    refs = [doc.aktenzeichen, doc.bg_nummer, doc.kundennummer]
    idents = sorted(
        {v for v in (normalize_identifier(i.replace(" ", "")) for i in refs if i) if v}
        | set(identifiers_in(doc.text))
    )
    received = doc.received_at if doc.received_at.tzinfo else doc.received_at.replace(tzinfo=UTC)
    sort_date = (
        datetime(doc.document_date.year, doc.document_date.month, doc.document_date.day)
        if doc.document_date
        else received.astimezone(UTC).replace(tzinfo=None)
    )
    text_words = WORD_PATTERN.findall(doc.text)  # cut once for the vector and the parts
    parts = parts_text(text_words, doc.title, doc.doc_type)
    heads: list[str] | None = [] if head else None
    vector = tsvector(
        [
            (doc.person_name, "A"),
            (" ".join(i for i in refs if i), "A"),
            (doc.title, "B"),
            (doc.doc_type, "B"),
            (text_words, "C"),
            (parts, "D"),
        ],
        words,
        heads,
    )
    note = doc.source == NOTE_SOURCE
    row = (
        doc.doc_id,
        None if note else doc.doc_id,
        doc.doc_id if note else None,
        doc.tenant_id,
        doc.org_unit_id,
        doc.case_file_id,
        doc.title,
        doc.doc_type,
        doc.source,
        doc.aktenzeichen,
        doc.person_name,
        doc.case_status,
        doc.document_date,
        received,
        sort_date,
        (doc.document_date or received.date()).year,
        normalize_identifier(doc.aktenzeichen),
        normalize_identifier(doc.bg_nummer),
        normalize_identifier(doc.kundennummer),
        idents,
        names_text(doc.person_name),
        vector,
        doc.stamp,
    )
    return (*row, heads[0]) if heads else row
