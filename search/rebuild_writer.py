"""A faster writer for ``akte search reindex``: the same segment, written term by term.

Whoosh's ``SegmentWriter`` hands every posting — one per distinct word of a field of a
document, about 380 for a two-page letter — to an external sort: a tuple pickled into a
run file when 128 MB are buffered, unpickled again, merged through ``heapq`` and handed
one at a time to the codec, which then reads the document's field length from the
length column on disk, again per posting. Profiled on a rebuild of 3,000 generated
documents this took about three quarters of the CPU time, analysis the rest.

A rebuild adds its documents in document-number order, so a term's postings arrive
already sorted. :class:`TermPool` therefore groups them by term as they come (three
lists per term, no per-posting tuple kept), spills a whole sorted run with one
``marshal`` call per chunk of terms, and merges runs term by term, concatenating each
term's lists in run order. :class:`RebuildWriter` then writes each term's posting list
block by block through Whoosh's own W3 postings writer (the same block statistics,
minification, pickling and compression), with the field lengths decoded once per field
instead of read per posting. The files are the same bytes as Whoosh's own writer makes
(``tests/search/test_rebuild_writer.py`` compares them); only the path there is cheaper.

It uses a few private names of the W3 postings writer (block buffers and
``_write_block``), as :mod:`search.vectorized` does for reading; Whoosh is pinned.
"""

from __future__ import annotations

import contextlib
import heapq
import marshal
from array import array
from collections import Counter
from collections.abc import Callable, Iterator
from itertools import islice, pairwise
from typing import Any

from whoosh import formats
from whoosh.analysis import CompositeAnalyzer, RegexTokenizer
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.index import TOC, clean_files
from whoosh.system import pack_uint
from whoosh.util.numeric import byte_to_length
from whoosh.writing import SegmentWriter

from search.analysis import WORD_PATTERN, GermanStemFilter, WordPairFilter, words_of

#: A term's postings: document numbers, weights and encoded values, in document order.
Postings = tuple[list[int], list[float], list[bytes]]
#: Terms written to a run file per ``marshal`` call (bounds what a merge holds per run).
RUN_CHUNK = 4096
#: Bytes one buffered posting costs (three list slots, a float, a small bytes), measured
#: with ``tracemalloc`` on generated letters.
POSTING_BYTES = 88
#: Bytes one buffered term costs beyond its postings (key tuple, three lists, dict slot).
TERM_BYTES = 400
#: Run files open at once in a merge; beyond it the runs are first merged into one (a
#: tenant of a million documents spills about 200 runs at the default budget).
MAX_RUNS = 64

_LENGTH_OF_BYTE = [0] + [byte_to_length(b) for b in range(1, 256)]


class TermPool:
    """Postings grouped by ``(field, term)``, spilled to sorted runs beyond ``limitmb``.

    Replaces the writer's ``PostingPool``; documents must be added in document-number
    order (a rebuild's writer adds nothing else).
    """

    def __init__(self, tempstore: Any, limitmb: int) -> None:
        self.tempstore = tempstore
        self.limit = limitmb * 1024 * 1024
        self.size = 0
        self.terms: dict[tuple[str, bytes], Postings] = {}
        self.runs: list[str] = []
        self._made = 0
        self.fieldnames: set[str] = set()

    def add(self, item: tuple[str, bytes, int, float, bytes | None]) -> None:
        fieldname, tbytes, docnum, weight, vbytes = item
        if docnum < 0:
            return  # Whoosh's marker for spelling words; no field of ours has them
        key = (fieldname, tbytes)
        postings = self.terms.get(key)
        if postings is None:
            postings = self.terms[key] = ([], [], [])
            self.size += TERM_BYTES + len(tbytes)
            self.fieldnames.add(fieldname)
        postings[0].append(docnum)
        postings[1].append(weight)
        if vbytes:
            postings[2].append(vbytes)
        else:
            postings[2].append(b"")
        self.size += POSTING_BYTES
        if self.size > self.limit:
            self.save()

    def save(self) -> None:
        """Writes the buffered terms, sorted, as one run file."""
        if not self.terms:
            return
        name = self._run_name()
        items = sorted(self.terms.items())
        with self.tempstore.create_file(name).raw_file() as f:
            for start in range(0, len(items), RUN_CHUNK):
                marshal.dump(items[start : start + RUN_CHUNK], f)
        self.runs.append(name)
        self.terms = {}
        self.size = 0
        if len(self.runs) >= MAX_RUNS:
            self._compact()

    def _compact(self) -> None:
        """Merges every run into one (bounds the files a merge opens)."""
        name = self._run_name()
        merged = self._merged(self.runs)
        with self.tempstore.create_file(name).raw_file() as f:
            while chunk := list(islice(merged, RUN_CHUNK)):
                marshal.dump(chunk, f)
        for old in self.runs:
            self.tempstore.delete_file(old)
        self.runs = [name]

    def _run_name(self) -> str:
        self._made += 1
        return f"terms{self._made}.run"

    def _read_run(self, name: str) -> Iterator[tuple[tuple[str, bytes], Postings]]:
        with self.tempstore.open_file(name).raw_file() as f:
            while True:
                try:
                    chunk = marshal.load(f)  # noqa: S302 (our own run file, just written)
                except EOFError:
                    return
                yield from chunk

    def terms_in_order(self) -> Iterator[tuple[tuple[str, bytes], Postings]]:
        """Every term with all its postings, in (field, term) order; the runs are in
        document order, so a term's lists from successive runs are concatenated."""
        if not self.runs:
            yield from sorted(self.terms.items())
            return
        self.save()
        yield from self._merged(self.runs)

    def _merged(self, runs: list[str]) -> Iterator[tuple[tuple[str, bytes], Postings]]:
        merged = heapq.merge(*(self._read_run(r) for r in runs), key=lambda t: t[0])
        current: tuple[str, bytes] | None = None
        ids: list[int] = []
        weights: list[float] = []
        values: list[bytes] = []
        for key, (i, w, v) in merged:
            if key != current:
                if current is not None:
                    yield current, (ids, weights, values)
                current, ids, weights, values = key, i, w, v
            else:
                ids += i
                weights += w
                values += v
        if current is not None:
            yield current, (ids, weights, values)

    def cleanup(self) -> None:
        for name in self.runs:
            with contextlib.suppress(OSError):
                self.tempstore.delete_file(name)
        self.runs = []
        self.terms = {}


def _lengths(perdoc: Any, fieldname: str, count: int) -> list[int]:
    """Per-document length of ``fieldname`` as ``doc_field_length`` decodes it."""
    column = perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
    if column is None:
        return [0] * count
    table = _LENGTH_OF_BYTE
    return [table[b] for b in column]


def write_postings(fieldwriter: Any, schema: Any, perdoc: Any, terms: Any, count: int) -> None:
    """What ``FieldWriter.add_postings`` does for a stream of single postings, for whole
    posting lists: blocks of the codec's size, each filled at once."""
    lastfn: str | None = None
    lengths: list[int] = []
    for (fieldname, btext), (ids, weights, values) in terms:
        if fieldname != lastfn:
            if lastfn is not None:
                fieldwriter.finish_field()
            fieldwriter.start_field(fieldname, schema[fieldname])
            lengths = _lengths(perdoc, fieldname, count)
            lastfn = fieldname
        fieldwriter.start_term(btext)
        writer = fieldwriter._postwriter
        limit = writer._blocklimit
        for start in range(0, len(ids), limit):
            if start:
                writer._write_block()
            _fill_block(
                writer,
                ids[start : start + limit],
                weights[start : start + limit],
                values[start : start + limit],
                lengths,
            )
        fieldwriter.finish_term()
    if lastfn is not None:
        fieldwriter.finish_field()


def _fill_block(
    writer: Any, ids: list[int], weights: list[float], values: list[bytes], lengths: list[int]
) -> None:
    """The block buffer as ``add_posting`` leaves it after adding these postings."""
    writer._ids = array("I", ids)
    writer._weights = array("f", weights)
    writer._values = [v for v in values if v]
    top = max(weights)
    writer._maxweight = top if top > 0 else 0
    found = [n for n in map(lengths.__getitem__, ids) if n]
    if found:
        writer._minlength = min(found)
        writer._maxlength = max(found)


Indexer = Callable[[str], Iterator[tuple[bytes, int, float, bytes]]]


class _StemmedText:
    """The stemmed words of the last text asked for (the same object): ``content`` and
    ``pairs`` index the same text, so each document's words are stemmed once."""

    def __init__(self, stemmer: GermanStemFilter) -> None:
        self.stemmer = stemmer
        self.text: str | None = None
        self.words: list[str] = []

    def __call__(self, text: str) -> list[str]:
        if text is not self.text:
            young, stem = self.stemmer.memo.young, self.stemmer.stem
            # the memo's newer generation looked up inline (a call per word saved);
            # ``stem`` looks in both generations and fills the memo
            self.words = [young.get(w) or stem(w) for w in words_of(text)]
            self.text = text
        return self.words


def _stem_filter(schema: Any) -> GermanStemFilter:
    """The schema's first ``GermanStemFilter`` (its memo lives as long as the schema)."""
    for _name, fieldobj in schema.items():
        for item in getattr(getattr(fieldobj, "analyzer", None), "items", ()):
            if type(item) is GermanStemFilter:
                return item
    return GermanStemFilter()


def german_text_indexer(fieldobj: Any, stemmed: _StemmedText | None = None) -> Indexer | None:
    """``fieldobj.index`` without Whoosh's token stream, for the German text fields.

    ``Frequency.word_values`` runs every word through a chain of generators (tokenizer,
    stem filter, pair filter) and adds up each token's boost; for the text analyzers of
    :mod:`search.analysis` (words cut by :data:`WORD_PATTERN`, stemmed, optionally
    paired, every boost 1.0) the same terms, frequencies, weights and encoded values come
    from one ``findall``, the stem memo and a ``Counter``. ``None`` for any other field.
    ``stemmed`` is shared by the fields of one writer (every ``GermanStemFilter`` stems
    alike): a text indexed by two fields is cut and stemmed once.
    """
    fmt, analyzer = fieldobj.format, getattr(fieldobj, "analyzer", None)
    if type(fmt) is not formats.Frequency or not isinstance(analyzer, CompositeAnalyzer):
        return None
    items = list(analyzer.items)
    if not (
        len(items) in (2, 3)
        and type(items[0]) is RegexTokenizer
        and items[0].expression.pattern == WORD_PATTERN.pattern
        and not items[0].gaps
        and type(items[1]) is GermanStemFilter
        and (len(items) == 2 or type(items[2]) is WordPairFilter)
    ):
        return None
    words_in = stemmed or _StemmedText(items[1])
    pairs, boost = len(items) == 3, fmt.field_boost

    def index(value: str) -> Iterator[tuple[bytes, int, float, bytes]]:
        words = words_in(value)
        if pairs:
            words = [f"{a} {b}" for a, b in pairwise(words)]
        for word, freq in Counter(words).items():
            yield word.encode("utf-8"), freq, float(freq) * boost, pack_uint(freq)

    return index


class RebuildWriter(SegmentWriter):
    """A ``SegmentWriter`` for a new, empty index whose documents come in order."""

    def __init__(self, ix: Any, limitmb: int = 256, **kwargs: Any) -> None:
        super().__init__(ix, limitmb=limitmb, **kwargs)
        self.pool.cleanup()
        # a temporary folder of its own (Whoosh names it after the index): the writers of
        # a rebuild in parts write one index at once, each its own segment
        self._tempstorage = self.storage.temp_storage(
            f"{self.indexname}.{self.newsegment.segid}.tmp"
        )
        self.pool = TermPool(self._tempstorage, limitmb)
        self._indexers: dict[str, Indexer] = {}
        stemmed = _StemmedText(_stem_filter(self.schema))
        for name, fieldobj in self.schema.items():
            indexer = german_text_indexer(fieldobj, stemmed)
            if indexer is not None:
                self._indexers[name] = indexer
        #: the short ``add_document`` below knows no spelling or vector fields
        self._plain = not any(f.separate_spelling() or f.vector for _name, f in self.schema.items())

    def add_document(self, **fields: Any) -> None:
        """``SegmentWriter.add_document`` for a schema without spelling or vector
        fields, with the German text fields indexed by :func:`german_text_indexer`."""
        if not self._plain:
            super().add_document(**fields)
            return
        self._check_state()
        perdocwriter = self.perdocwriter
        schema = self.schema
        docnum = self.docnum
        pool = self.pool
        terms = pool.terms
        added = 0
        indexers = self._indexers
        docboost = self._doc_boost(fields)
        fieldnames = sorted(name for name in fields if not name.startswith("_"))
        self._check_fields(schema, fieldnames)
        perdocwriter.start_doc(docnum)
        try:
            for fieldname in fieldnames:
                value = fields.get(fieldname)
                if value is None:
                    continue
                field = schema[fieldname]
                length = 0
                if field.indexed:
                    fieldboost = self._field_boost(fields, fieldname, docboost)
                    indexer = indexers.get(fieldname)
                    items = indexer(value) if indexer is not None else field.index(value)
                    scorable = field.scorable
                    # TermPool.add inlined (about 380 postings a document)
                    for tbytes, freq, weight, vbytes in items:
                        if scorable:
                            length += freq
                        postings = terms.get((fieldname, tbytes))
                        if postings is None:
                            postings = terms[(fieldname, tbytes)] = ([], [], [])
                            pool.size += TERM_BYTES + len(tbytes)
                            pool.fieldnames.add(fieldname)
                        postings[0].append(docnum)
                        postings[1].append(weight * fieldboost)
                        postings[2].append(vbytes or b"")
                        added += 1
                customval = fields.get(f"_stored_{fieldname}", value)
                perdocwriter.add_field(
                    fieldname, field, customval if field.stored else None, length
                )
                column = field.column_type
                if column and customval is not None:
                    perdocwriter.add_column_value(
                        fieldname, column, field.to_column_value(customval)
                    )
        except Exception:
            perdocwriter.cancel_doc()
            raise
        perdocwriter.finish_doc()
        self._added = True
        self.docnum += 1
        pool.size += POSTING_BYTES * added
        if pool.size > pool.limit:
            pool.save()  # between documents: a run holds whole documents

    def finish_segment(self) -> Any:
        """Writes the segment and returns it without committing a TOC: one part of a
        rebuild in parts, whose segments are then committed in order together
        (``commit_segments``), as Whoosh's ``MpWriter(multisegment=True)`` does."""
        self._check_state()
        segment = self._finalize_segment()
        self._finish()
        return segment

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        perdoc = self.per_document_reader()
        try:
            write_postings(
                self.fieldwriter,
                self.schema,
                perdoc,
                self.pool.terms_in_order(),
                self.docnum,
            )
        finally:
            perdoc.close()
        self.fieldwriter.close()


def commit_segments(ix: Any, segments: list[Any]) -> None:
    """Commits ``segments``, in this order, as the next generation of the empty index
    ``ix`` (what ``SegmentWriter.commit`` does with its one new segment): the index's
    document numbers run through the segments in order, so a rebuild written in K parts
    numbers its documents as one writer would have."""
    generation = ix.latest_generation() + 1
    TOC(ix.schema, segments, generation).write(ix.storage, ix.indexname)
    clean_files(ix.storage, ix.indexname, generation, segments)
