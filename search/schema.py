"""The index schema: what one indexed document holds, and the query-language field names.

One Whoosh document per Dokument (its current version). Fields split by purpose:

* permission fields (``tenant_id``, ``org_unit_id``, ``case_file_id``) — exact ids the
  permission filter of every query matches on;
* searchable text (``content``, ``title``, ``doc_type``, ``name``, ``ident``) with the German
  analyzers of :mod:`search.analysis`, and ``pairs`` (consecutive word pairs of the text)
  that phrase queries on the text are answered from;
* facet and sort columns (``f_*``, ``sort_date``), stored as Whoosh columns so counting
  facets over a million matches reads a compact array instead of stored documents;
* stored values for result lists (title, Aktenzeichen…) and the ``stamp`` that
  ``akte search check`` compares with the database.

Document text is *not* stored: snippets are cut from the page texts in the database for
the hits on the page being shown. That keeps the index about half the size.
"""

from __future__ import annotations

from pickle import dumps
from typing import Any

from whoosh import fields
from whoosh.codec.whoosh3 import W3Codec, W3PostingsWriter

from search.analysis import (
    ident_analyzer,
    ident_list_analyzer,
    name_analyzer,
    name_word_analyzer,
    pair_analyzer,
    text_analyzer,
    word_analyzer,
    word_pair_analyzer,
)

#: "3": the ``parts`` field, every Latin letter folded.
SCHEMA_VERSION = "3"

#: Postings per block of a posting list. Whoosh's default is 128; a query of a large
#: tenant decodes whole lists of common words, and each block costs a pickled header,
#: a ``zlib`` stream and a pickled tuple of its own: at 512 the same list decodes in about
#: 0.56x the time and the postings file is about 30 % smaller. The block is also the unit
#: a caseworker's query skips by (``search.vectorized``), so it stays far below the size
#: of an org unit's share of a tenant. Older segments with 128 keep working: a block's
#: header says how many postings it holds.
POSTINGS_PER_BLOCK = 512


#: Blocks whose pickled postings are shorter than this many bytes are written without
#: ``zlib``: a stream's header and checksum make them longer, not shorter (half the
#: blocks of a tenant are a rare word's one or two postings, 1.0-1.6x their size when
#: compressed), and each ``compress`` call costs 10-20 microseconds of setting up its
#: state. Whoosh meant to do the same below 20 bytes (``W3PostingsWriter._write_block``
#: sets ``comp = 0``, then overwrites it). A block's header says whether it is
#: compressed, so every reader reads both kinds, and older segments keep working.
COMPRESS_FROM_BYTES = 64


class AktePostingsWriter(W3PostingsWriter):
    """Whoosh's postings writer that leaves short blocks uncompressed
    (:data:`COMPRESS_FROM_BYTES`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._level = self._compression

    def _write_block(self, last: bool = False) -> None:
        if self._level:
            data = (self._mini_ids(), self._mini_weights(), self._mini_values())
            short = len(dumps(data, 2)) < COMPRESS_FROM_BYTES
            self._compression = 0 if short else self._level
        super()._write_block(last)


class AkteCodec(W3Codec):
    """W3 with akte's block size and :class:`AktePostingsWriter`."""

    def postings_writer(self, dbfile: Any, byteids: bool = False) -> W3PostingsWriter:
        return AktePostingsWriter(
            dbfile,
            blocklimit=self._blocklimit,
            byteids=byteids,
            compression=self._compression,
            inlinelimit=self._inlinelimit,
        )


def make_codec() -> W3Codec:
    """The codec every writer of an index uses (adding documents, merging segments, a
    rebuild): Whoosh's W3 format with akte's block size, short blocks uncompressed."""
    return AkteCodec(blocklimit=POSTINGS_PER_BLOCK)


#: Weight of a compound part relative to the same word standing alone in the text.
PARTS_BOOST = 0.4


def make_schema(analysed: bool = True) -> fields.Schema:
    """The Whoosh index's schema; ``analysed=False`` gives the same fields with words only
    cut and lower-cased (the PostgreSQL engine parses with it and analyses in SQL)."""
    text = text_analyzer() if analysed else word_analyzer()
    pairs = pair_analyzer() if analysed else word_pair_analyzer()
    names = name_analyzer() if analysed else name_word_analyzer()
    return fields.Schema(
        doc_id=fields.ID(unique=True, stored=True),
        tenant_id=fields.ID,
        org_unit_id=fields.ID,
        case_file_id=fields.ID(stored=True),
        #: No positions: phrases in the text are matched through ``pairs`` (see
        #: :class:`search.analysis.WordPairFilter`), which keeps the index smaller too.
        content=fields.TEXT(analyzer=text, phrase=False),
        #: Compound parts of the text, title and Dokumentart (:func:`search.analysis.
        #: parts_text`), boosted below the whole words: "Nebenkosten" finds a
        #: Nebenkostenabrechnung, after the documents that say "Nebenkosten".
        parts=fields.TEXT(analyzer=text, phrase=False, field_boost=PARTS_BOOST),
        pairs=fields.TEXT(analyzer=pairs, phrase=False),
        title=fields.TEXT(analyzer=text, stored=True, field_boost=2.0),
        doc_type=fields.TEXT(analyzer=text, field_boost=1.5),
        name=fields.TEXT(analyzer=names, field_boost=3.0),
        #: Identifiers as words too, so "az 2024/004711" (typed apart) finds AZ-2024-004711.
        refs=fields.TEXT(analyzer=names),
        ident=fields.TEXT(analyzer=ident_list_analyzer(), field_boost=5.0),
        aktenzeichen=fields.TEXT(analyzer=ident_analyzer(), field_boost=5.0),
        bg=fields.TEXT(analyzer=ident_analyzer(), field_boost=5.0),
        kundennummer=fields.TEXT(analyzer=ident_analyzer(), field_boost=5.0),
        datum=fields.DATETIME,
        eingang=fields.DATETIME,
        jahr=fields.NUMERIC(int),
        f_art=fields.ID(sortable=True),
        f_year=fields.ID(sortable=True),
        f_source=fields.ID(sortable=True),
        f_status=fields.ID(sortable=True),
        sort_date=fields.DATETIME(sortable=True),
        stored=fields.STORED,
        stamp=fields.STORED,
    )


#: Query-language names (as users type them) → index fields.
FIELD_ALIASES: dict[str, str] = {
    "art": "doc_type",
    "dokumentart": "doc_type",
    "typ": "doc_type",
    "titel": "title",
    "title": "title",
    "text": "content",
    "inhalt": "content",
    "az": "aktenzeichen",
    "aktenzeichen": "aktenzeichen",
    "bg": "bg",
    "bgnummer": "bg",
    "kundennummer": "kundennummer",
    "kdnr": "kundennummer",
    "iban": "ident",
    "name": "name",
    "person": "name",
    "quelle": "f_source",
    "source": "f_source",
    "status": "f_status",
    "datum": "datum",
    "date": "datum",
    "eingang": "eingang",
    "received": "eingang",
    "jahr": "jahr",
    "year": "jahr",
}

#: Searched when a word names no field; boosts are set on the fields themselves.
#: ``ident`` holds Aktenzeichen, BG-Nummer, Kundennummer and IBANs normalised, so the
#: single-purpose identifier fields (``az:``, ``bg:``, ``kdnr:``) need not be searched too:
#: every default field multiplies the work per query word.
DEFAULT_FIELDS = ["content", "parts", "title", "doc_type", "name", "refs", "ident"]

FACETS = {"doc_type": "f_art", "year": "f_year", "source": "f_source", "case_status": "f_status"}
