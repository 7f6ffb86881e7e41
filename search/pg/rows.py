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
from collections.abc import Iterable
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


def stem(word: str) -> str:
    return _stemmer.stem(word)


def quote(lexeme: str) -> str:
    """A lexeme as tsvector/tsquery literal text."""
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def name_words(text: str | None) -> list[str]:
    """Names and identifier words as the Whoosh ``name`` analyzer cuts them."""
    return [fold(w) for w in _NAME_WORDS.findall(text or "")]


def text_words(text: str | None) -> list[str]:
    return [stem(m.group()) for m in WORD_PATTERN.finditer(text or "", 0, MAX_TEXT_CHARS)]


class _Vector:
    """Collects (lexeme, position, weight) and writes PostgreSQL's tsvector literal."""

    def __init__(self) -> None:
        self.positions: dict[str, list[str]] = {}
        self.cursor = 1

    def add(self, words: Iterable[str], weight: str) -> None:
        pos = self.cursor
        for word in words:
            if word and len(word.encode()) <= MAX_LEXEME_BYTES:
                slots = self.positions.setdefault(word, [])
                if len(slots) < MAX_POSITIONS and pos <= MAX_POS:
                    slots.append(f"{pos}{weight}")
            pos += 1
        self.cursor = min(pos + GAP, MAX_POS)

    def literal(self) -> str:
        return " ".join(f"{quote(w)}:{','.join(p) if p else '16383D'}"
                        for w, p in self.positions.items())


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
