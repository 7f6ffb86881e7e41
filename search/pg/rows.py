"""One ``search_documents`` row per document, analysed exactly as the Whoosh engine does.

Why the analysis runs in Python and the ``tsvector`` is written as a literal instead of
``to_tsvector('german', …)``: both engines must fold and stem identically (Müller =
Mueller = Muller needs the ``ae/oe/ue`` rule of :func:`search.analysis.fold`, which no
PostgreSQL dictionary has), and the query parser already hands over analysed terms. The
stemmer is the same Snowball German one PostgreSQL's ``german`` configuration uses.

Fields share one ``tsvector`` and are told apart by weight: **A** person name and the
words of the Aktenzeichen/BG-Nummer (``refs``), **B** title, **C** Dokumentart, **D** the
page text. Fields are placed one after another with gaps, so a phrase never runs across
two fields. Identifiers live in ``idents`` (normalised, separators removed), person names
folded in ``names`` for trigram typo tolerance.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from akte.case_files.identifiers import normalize_identifier
from search.analysis import WORD_PATTERN, GermanStemFilter, fold, identifiers_in
from search.backend import IndexDoc

#: PostgreSQL's limits: positions above 16383 are clamped, at most 256 per lexeme,
#: lexemes shorter than 2 KB.
MAX_POS = 16383
MAX_POSITIONS = 255
MAX_LEXEME_BYTES = 2046
#: The page text analysed for the tsvector (a 1 MB tsvector is PostgreSQL's hard limit).
MAX_TEXT_CHARS = 2_000_000
_NAME_WORDS = re.compile(r"\w+")
GAP = 8

COLUMNS = (
    "doc_id", "tenant_id", "org_unit_id", "case_file_id", "title", "doc_type", "source",
    "aktenzeichen", "person_name", "case_status", "document_date", "received_at",
    "sort_date", "year", "az", "bg", "kdnr", "idents", "names", "tsv", "stamp",
)

_stemmer = GermanStemFilter()
#: word form → index term, and lexeme → its quoted literal; bounded like the stem filter's
#: own memo (a county's vocabulary is some hundred thousand forms).
_terms: dict[str, str] = {}
_quoted: dict[str, str] = {}
MEMO_SIZE = 300_000


def stem(word: str) -> str:
    term = _terms.get(word)
    if term is None:
        if len(_terms) >= MEMO_SIZE:
            _terms.clear()
        term = _terms[word] = _stemmer.stem(word)
    return term


def quote(lexeme: str) -> str:
    """A lexeme as tsvector/tsquery literal text."""
    quoted = _quoted.get(lexeme)
    if quoted is None:
        if len(_quoted) >= MEMO_SIZE:
            _quoted.clear()
        quoted = _quoted[lexeme] = "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"
    return quoted


def name_words(text: str | None) -> list[str]:
    """Names and identifier words as the Whoosh ``name`` analyzer cuts them."""
    return [fold(w) for w in _NAME_WORDS.findall(text or "")]


def text_words(text: str | None) -> list[str]:
    if not text:
        return []
    memo = _terms
    return [memo.get(w) or stem(w) for w in WORD_PATTERN.findall(text[:MAX_TEXT_CHARS])]


class _Vector:
    """Collects lexeme positions and writes PostgreSQL's tsvector literal.

    Positions are plain numbers; each field's weight is known from its position range,
    and D (the text, by far the most positions) is the literal's default, written bare.
    """

    def __init__(self) -> None:
        self.positions: dict[str, list[int]] = {}
        self.cursor = 1
        #: (first position, weight letter) of each field added, in order
        self.fields: list[tuple[int, str]] = []

    def add(self, words: list[str], weight: str) -> None:
        pos = self.cursor
        self.fields.append((pos, "" if weight == "D" else weight))
        positions = self.positions
        for word in words:
            slots = positions.get(word)
            if slots is None:
                if not word or (len(word) * 4 > MAX_LEXEME_BYTES and \
                        len(word.encode()) > MAX_LEXEME_BYTES):
                    pos += 1
                    continue
                positions[word] = slots = []
            if len(slots) < MAX_POSITIONS:
                slots.append(pos if pos < MAX_POS else MAX_POS)
            pos += 1
        self.cursor = min(pos + GAP, MAX_POS)

    def literal(self) -> str:
        starts = self.fields
        text_start = next((p for p, w in starts if w == ""), MAX_POS + 1)
        parts = []
        for word, slots in self.positions.items():
            if slots[0] >= text_start and len(starts) and starts[-1][1] == "":
                body = ",".join(map(str, slots))
            else:
                body = ",".join(f"{p}{self._weight(p)}" for p in slots)
            parts.append(f"{quote(word)}:{body}")
        return " ".join(parts)

    def _weight(self, pos: int) -> str:
        weight = ""
        for start, letter in self.fields:
            if pos >= start:
                weight = letter
        return weight


def to_row(doc: IndexDoc) -> dict[str, Any]:
    """The ``search_documents`` row of ``doc`` (column → value)."""
    idents_raw = [doc.aktenzeichen, doc.bg_nummer, doc.kundennummer, *identifiers_in(doc.text)]
    idents = sorted({v for v in (normalize_identifier(i.replace(" ", ""))
                                 for i in idents_raw if i) if v})
    vector = _Vector()
    vector.add(name_words(doc.person_name), "A")
    vector.add(name_words(" ".join(i for i in idents_raw[:3] if i)), "A")
    vector.add(text_words(doc.title), "B")
    vector.add(text_words(doc.doc_type), "C")
    vector.add(text_words(doc.text), "D")
    received = doc.received_at if doc.received_at.tzinfo else doc.received_at.replace(tzinfo=UTC)
    sort_date = (datetime(doc.document_date.year, doc.document_date.month, doc.document_date.day)
                 if doc.document_date else received.astimezone(UTC).replace(tzinfo=None))
    return {
        "doc_id": doc.doc_id,
        "tenant_id": doc.tenant_id,
        "org_unit_id": doc.org_unit_id,
        "case_file_id": doc.case_file_id,
        "title": doc.title,
        "doc_type": doc.doc_type,
        "source": doc.source,
        "aktenzeichen": doc.aktenzeichen,
        "person_name": doc.person_name,
        "case_status": doc.case_status,
        "document_date": doc.document_date,
        "received_at": received,
        "sort_date": sort_date,
        "year": (doc.document_date or received.date()).year,
        "az": normalize_identifier(doc.aktenzeichen),
        "bg": normalize_identifier(doc.bg_nummer),
        "kdnr": normalize_identifier(doc.kundennummer),
        "idents": idents,
        "names": " ".join(name_words(doc.person_name)),
        "tsv": vector.literal(),
        "stamp": doc.stamp,
    }
