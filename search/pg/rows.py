"""One ``search_documents`` row per document: the raw values, analysed by PostgreSQL.

Python gathers what the row needs from the document (scope, facet and sort columns, the
result-list fields, normalised identifiers, the stamp) and hands the texts over as they
are; the ``tsvector`` and the folded person name are computed in the database from them
(``akte_search_vector`` and the ``akte_german``/``akte_names`` text search
configurations of migration ``0840``). The analysis is the Whoosh engine's, in
PostgreSQL's C code: fold (``akte_fold`` = :func:`search.analysis.fold`), then Snowball
German. Doing it in Python cost about 1.1 ms CPU per document, ten times more than
everything else a row needs.

The analysis chain is the Whoosh engine's: Python folds every Latin letter beyond the
German ones (:func:`search.folding.latin_fold`, cheap: most texts have none) and splits
compounds (:func:`search.analysis.parts_text`, memoised per word); the database folds
umlauts and stems. ``tests/search/test_analysis_sql.py`` asserts equal tokens.

Fields share one ``tsvector`` and are told apart by weight (migration ``0920``): **A**
person name and the words of the Aktenzeichen/BG-Nummer/Kundennummer (``refs``), **B**
title and Dokumentart, **C** the page text, **D** compound parts (ranked lowest, as the
Whoosh ``parts`` field). Identifiers live in ``idents`` (normalised, separators
removed), person names folded in ``names`` for trigram typo tolerance.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from akte.case_files.identifiers import normalize_identifier
from search.analysis import identifiers_in, parts_text
from search.backend import IndexDoc
from search.folding import latin_fold

#: What Python sends per document (``COPY`` into the load table).
LOAD_COLUMNS = (
    "doc_id", "tenant_id", "org_unit_id", "case_file_id", "title", "doc_type", "source",
    "aktenzeichen", "person_name", "case_status", "document_date", "received_at",
    "sort_date", "year", "az", "bg", "kdnr", "idents", "stamp", "refs", "body", "name_words",
    "title_words", "type_words", "parts",
)
#: Load columns only the analysis reads (not columns of ``search_documents``).
ANALYSED_ONLY = ("refs", "body", "name_words", "title_words", "type_words", "parts")
#: The columns of ``search_documents`` an upsert writes, and the SQL that computes each
#: from the load table ``l`` (the analysed ones: ``names`` and ``tsv``).
ROW_COLUMNS = {
    **{c: f"l.{c}" for c in LOAD_COLUMNS if c not in ANALYSED_ONLY},
    "names": "array_to_string(tsvector_to_array(to_tsvector('akte_names', "
             "akte_words(coalesce(l.name_words, '')))), ' ')",
    "tsv": "akte_search_vector(l.name_words, l.refs, l.title_words, l.type_words, l.body, "
           "l.parts)",
}


def quote(lexeme: str) -> str:
    """A word as a quoted ``tsquery`` operand (analysed by PostgreSQL when parsed)."""
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def to_row(doc: IndexDoc) -> tuple[Any, ...]:
    """The load-table row of ``doc``, in :data:`LOAD_COLUMNS` order."""
    refs = [doc.aktenzeichen, doc.bg_nummer, doc.kundennummer]
    idents = sorted({v for v in (normalize_identifier(i.replace(" ", ""))
                                 for i in refs if i) if v} | set(identifiers_in(doc.text)))
    received = doc.received_at if doc.received_at.tzinfo else doc.received_at.replace(tzinfo=UTC)
    sort_date = (datetime(doc.document_date.year, doc.document_date.month, doc.document_date.day)
                 if doc.document_date else received.astimezone(UTC).replace(tzinfo=None))
    return (
        doc.doc_id, doc.tenant_id, doc.org_unit_id, doc.case_file_id, doc.title, doc.doc_type,
        doc.source, doc.aktenzeichen, doc.person_name, doc.case_status, doc.document_date,
        received, sort_date, (doc.document_date or received.date()).year,
        normalize_identifier(doc.aktenzeichen), normalize_identifier(doc.bg_nummer),
        normalize_identifier(doc.kundennummer), idents, doc.stamp,
        " ".join(i for i in refs if i), latin_fold(doc.text),
        latin_fold(doc.person_name or ""), latin_fold(doc.title or ""),
        latin_fold(doc.doc_type or ""), parts_text(doc.text, doc.title, doc.doc_type),
    )
