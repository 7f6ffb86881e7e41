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
``marshal`` call per chunk of terms (each chunk prefixed by its length, so that the
merge reads it with one ``read`` and ``marshal.loads``), and merges runs term by term,
concatenating each term's lists in run order. :class:`RebuildWriter` then writes each
term's posting list block by block through Whoosh's own W3 postings writer (the same
block statistics, minification, pickling and compression), with the field lengths
decoded once per field instead of read per posting. The files are the same bytes as Whoosh's own writer makes
(``tests/search/test_rebuild_writer.py`` compares them); only the path there is cheaper.

It uses a few private names of the W3 postings writer (block buffers and
``_write_block``), as :mod:`search.vectorized` does for reading; Whoosh is pinned.
"""

from __future__ import annotations

import contextlib
import heapq
import marshal
import struct
import zlib
from array import array
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from hashlib import md5
from itertools import chain, pairwise, repeat
from operator import sub
from pickle import dumps
from typing import Any

from whoosh import fields, formats
from whoosh.analysis import CompositeAnalyzer, IDTokenizer, RegexTokenizer
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, WHOOSH3_HEADER_MAGIC, _lenfield
from whoosh.index import TOC, clean_files
from whoosh.system import pack_byte, pack_int, pack_uint, pack_ushort
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.writing import SegmentWriter

from search.analysis import WORD_PATTERN, GermanStemFilter, WordPairFilter, words_of
from search.schema import COMPRESS_FROM_BYTES, AktePostingsWriter

#: A term's postings, flat and in document order: ``[docnum, weight, value, docnum, …]``
#: (one ``list.extend`` a posting, made in C by :meth:`RebuildWriter.add_document`).
Postings = list[Any]
#: Terms written to a run file per ``marshal`` call at most.
RUN_CHUNK = 4096
#: Postings written to a run file per ``marshal`` call at most; a longer list is cut into
#: pieces of the same term, which the merge joins again. A merge holds one chunk of every
#: run it reads (up to ``MAX_RUNS``), so this bounds its memory: bounded by terms alone, a
#: chunk that held a few words of every letter ("der", "die", "und") carried millions of
#: postings, and the rebuild of a million-document tenant reached 4–6 GB a process.
CHUNK_POSTINGS = 16_384
#: Bytes one buffered posting costs: three list slots (the document number, weight and
#: value objects are shared, except the ``Positions`` fields' fresh value bytes).
POSTING_BYTES = 32
#: Bytes one buffered term costs beyond its postings (key bytes, a list, dict slot).
#: Both measured with ``tracemalloc`` on generated letters: 1,146,712 postings of
#: 63,381 terms took 43.1 MB, these figures estimate 49.4 MB.
TERM_BYTES = 200
#: Run files open at once in a merge; beyond it the runs are first merged into one (a
#: tenant of a million documents spills about 200 runs at the default budget).
MAX_RUNS = 64

_LENGTH_OF_BYTE = [0] + [byte_to_length(b) for b in range(1, 256)]
_HEADER = WHOOSH3_HEADER_MAGIC


class FieldTerms(dict[bytes, Postings]):
    """One field's terms → their postings; a term not seen yet gets an empty list (in C,
    through ``__getitem__``: only a new term costs a Python call) and is counted in the
    pool's size."""

    __slots__ = ("pool",)

    def __init__(self, pool: TermPool) -> None:
        super().__init__()
        self.pool = pool

    def __missing__(self, tbytes: bytes) -> Postings:
        postings: Postings = []
        self[tbytes] = postings
        self.pool.size += TERM_BYTES + len(tbytes)
        return postings


class TermPool:
    """Postings grouped by field and term, spilled to sorted runs beyond ``limitmb``.

    Replaces the writer's ``PostingPool``; documents must be added in document-number
    order (a rebuild's writer adds nothing else).
    """

    def __init__(self, tempstore: Any, limitmb: int) -> None:
        self.tempstore = tempstore
        self.limit = limitmb * 1024 * 1024
        self.size = 0
        self.fields: dict[str, FieldTerms] = {}
        self.runs: list[str] = []
        self._made = 0
        self.fieldnames: set[str] = set()

    def terms_of(self, fieldname: str) -> FieldTerms:
        """The buffered terms of ``fieldname`` (until the next :meth:`save`)."""
        terms = self.fields.get(fieldname)
        if terms is None:
            terms = self.fields[fieldname] = FieldTerms(self)
            self.fieldnames.add(fieldname)
        return terms

    def add(self, item: tuple[str, bytes, int, float, bytes | None]) -> None:
        fieldname, tbytes, docnum, weight, vbytes = item
        if docnum < 0:
            return  # Whoosh's marker for spelling words; no field of ours has them
        self.terms_of(fieldname)[tbytes].extend((docnum, weight, vbytes or b""))
        self.size += POSTING_BYTES
        if self.size > self.limit:
            self.save()

    def _sorted(self) -> Iterator[tuple[tuple[str, bytes], Postings]]:
        """The buffered terms in (field, term) order."""
        for fieldname in sorted(self.fields):
            terms = self.fields[fieldname]
            for tbytes in sorted(terms):
                yield (fieldname, tbytes), terms[tbytes]

    def save(self) -> None:
        """Writes the buffered terms, sorted, as one run file."""
        if not self.fields:
            return
        name = self._run_name()
        items = self._sorted()
        with self.tempstore.create_file(name).raw_file() as f:
            _write_run(f, _chunks(items))
        self.runs.append(name)
        self.fields = {}
        self.size = 0
        if len(self.runs) >= MAX_RUNS:
            self._compact()

    def _compact(self) -> None:
        """Merges every run into one (bounds the files a merge opens)."""
        name = self._run_name()
        merged = self._merged(self.runs)
        with self.tempstore.create_file(name).raw_file() as f:
            _write_run(f, _chunks(merged))
        for old in self.runs:
            self.tempstore.delete_file(old)
        self.runs = [name]

    def _run_name(self) -> str:
        self._made += 1
        return f"terms{self._made}.run"

    def _read_run(self, name: str) -> Iterator[tuple[tuple[str, bytes], Postings]]:
        with self.tempstore.open_file(name).raw_file() as f:
            while True:
                head = f.read(_CHUNK_LENGTH.size)
                if not head:
                    return
                # the bytes are not kept while the chunk's terms are handed out: a merge
                # holds one chunk of each of up to ``MAX_RUNS`` runs
                size = _CHUNK_LENGTH.unpack(head)[0]
                chunk = marshal.loads(f.read(size))  # noqa: S302 (our own run file, just written)
                yield from chunk

    def terms_in_order(self) -> Iterator[tuple[tuple[str, bytes], Postings]]:
        """Every term with all its postings, in (field, term) order; the runs are in
        document order, so a term's lists from successive runs are concatenated."""
        if not self.runs:
            yield from self._sorted()
            return
        self.save()
        yield from self._merged(self.runs)

    def _merged(self, runs: list[str]) -> Iterator[tuple[tuple[str, bytes], Postings]]:
        merged = heapq.merge(*(self._read_run(r) for r in runs), key=lambda t: t[0])
        current: tuple[str, bytes] | None = None
        postings: Postings = []
        for key, more in merged:
            if key != current:
                if current is not None:
                    yield current, postings
                current, postings = key, more
            else:
                postings += more
        if current is not None:
            yield current, postings

    def cleanup(self) -> None:
        for name in self.runs:
            with contextlib.suppress(OSError):
                self.tempstore.delete_file(name)
        self.runs = []
        self.fields = {}


#: A run file is a sequence of chunks, each its byte length and then its ``marshal``
#: bytes. ``marshal.load`` on a file object reads value by value through the file's
#: ``readinto`` (about 30x the time of ``marshal.loads`` on the same bytes, measured on a
#: buffered file); one read a chunk, then ``loads``, keeps the merge's reading in C.
_CHUNK_LENGTH = struct.Struct("<Q")


def _write_run(f: Any, chunks: Iterable[list[tuple[tuple[str, bytes], Postings]]]) -> None:
    for chunk in chunks:
        data = marshal.dumps(chunk)
        f.write(_CHUNK_LENGTH.pack(len(data)))
        f.write(data)


def _chunks(
    items: Iterable[tuple[tuple[str, bytes], Postings]],
) -> Iterator[list[tuple[tuple[str, bytes], Postings]]]:
    """``items`` in chunks of at most ``RUN_CHUNK`` terms and ``CHUNK_POSTINGS`` postings,
    a term's longer list cut into consecutive pieces (document order kept: the merge
    takes equal keys of one run in the order they were written)."""
    limit = CHUNK_POSTINGS * 3  # a posting is three list entries
    chunk: list[tuple[tuple[str, bytes], Postings]] = []
    held = 0
    for key, postings in items:
        for start in range(0, max(len(postings), 1), limit):
            piece = postings if len(postings) <= limit else postings[start : start + limit]
            chunk.append((key, piece))
            held += len(piece)
            if held >= limit or len(chunk) >= RUN_CHUNK:
                yield chunk
                chunk, held = [], 0
    if chunk:
        yield chunk


def write_postings(fieldwriter: Any, schema: Any, perdoc: Any, terms: Any, count: int) -> None:
    """What ``FieldWriter.add_postings`` does for a stream of single postings, for whole
    posting lists, one :class:`FieldEncoder` per field."""
    lastfn: str | None = None
    encoder: FieldEncoder | None = None
    add = None
    for (fieldname, btext), postings in terms:
        if fieldname != lastfn:
            if encoder is not None:
                encoder.finish()
            encoder = FieldEncoder(fieldwriter, fieldname, schema[fieldname], perdoc)
            add = encoder.add
            lastfn = fieldname
        add(btext, postings)  # type: ignore[misc]
    if encoder is not None:
        encoder.finish()


#: ``(field id, term)`` → term info row: ``W3TermInfo``'s struct, then the posting list's
#: offset (``pack_long``) and length (``pack_int``), as ``W3TermInfo.to_bytes`` packs them
#: for a posting list that is not inlined (``!`` packs without padding, so one struct is
#: the three concatenated).
_TERMINFO = struct.Struct("!BfIBBfIIqi")
_KEY_VALUE_LENGTHS = struct.Struct("!ii")  # filetables.HashWriter.add
#: ``length_to_byte`` of every length the length column can decode to (and of ``None``).
_BYTE_OF_LENGTH: dict[int | None, int] = {n: length_to_byte(n) for n in _LENGTH_OF_BYTE}
_BYTE_OF_LENGTH[None] = length_to_byte(None)
#: Buffered bytes of posting and term files written at once.
FLUSH_BYTES = 1 << 20


class FieldEncoder:
    """Writes one field's posting lists and term table rows, the same bytes as
    ``W3FieldWriter``/``W3PostingsWriter``/``W3TermInfo``/``OrderedHashWriter`` write
    posting by posting, with one Python call a term instead of some forty.

    A block (up to the codec's ``blocklimit`` postings,
    :data:`search.schema.POSTINGS_PER_BLOCK`) is, as ``W3PostingsWriter._write_block``
    makes it: the block length (negative for the term's last block), the pickled block
    info (count, last id, maximum weight, compression, minimum and maximum length
    byte) and the ``zlib``-compressed pickle of (delta-coded ids, weights as
    ``array("f")`` minified, values minified), left uncompressed when it is short with
    akte's codec (:class:`search.schema.AktePostingsWriter`); a term's first block is
    preceded by ``WHOOSH3_HEADER_MAGIC``. The term's statistics add up block by block as
    ``W3TermInfo.add_block`` adds them (the same float sums, in the same order). Both
    files are written in chunks; their positions are counted here.
    """

    def __init__(self, fieldwriter: Any, fieldname: str, fieldobj: Any, perdoc: Any) -> None:
        fieldwriter.start_field(fieldname, fieldobj)
        self.fieldwriter = fieldwriter
        postwriter = fieldwriter._postwriter
        if postwriter._inlinelimit > 1 or postwriter._byteids:
            raise ValueError("FieldEncoder writes neither inlined postings nor byte ids")
        self.limit = postwriter._blocklimit
        self.compression = postwriter._compression
        #: akte's codec leaves short blocks uncompressed (Whoosh's own compresses all)
        akte = isinstance(postwriter, AktePostingsWriter)
        self.compress_from = COMPRESS_FROM_BYTES if akte else 0
        self.fixedsize = fieldobj.format.fixed_value_size()
        self.prefix = pack_ushort(fieldwriter._fieldid)
        column = perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
        #: document number → field length as ``doc_field_length`` decodes it (or ``None``:
        #: a field without lengths, every block's minimum ``None`` and maximum 0)
        self.lengths: list[int] | None = (
            None if column is None else [_LENGTH_OF_BYTE[b] for b in column]
        )
        self.postfile = fieldwriter._postfile
        self.postpos = self.postfile.tell()
        self.posts: list[bytes] = []
        self.postsize = 0
        tindex = fieldwriter._tindex
        self.tindex = tindex
        self.termfile = tindex.dbfile
        self.termpos = self.termfile.tell()
        self.rows: list[bytes] = []
        self.rowsize = 0
        self.positions: list[int] = []
        self.buckets = tindex.buckets
        self.hashfn = _md5_low32 if tindex.hashtype == 0 else tindex.hashfn
        self.lastkey = tindex.lastkey

    def add(self, btext: bytes, postings: Postings) -> None:
        """Writes one term's posting list (document order) and its term table row."""
        ids, weights, values = postings[0::3], postings[1::3], postings[2::3]
        n = len(ids)
        limit = self.limit
        comp = self.compression
        compress_from = self.compress_from
        lengths = self.lengths
        fixedsize = self.fixedsize
        start = self.postpos + self.postsize
        posts = self.posts
        size = len(_HEADER)
        posts.append(_HEADER)
        total: float = 0
        minlength: int | None = None
        maxlength = 0
        maxweight: float = 0
        for first in range(0, n, limit):
            if n <= limit:
                bids, bweights, bvalues = ids, weights, values
            else:
                bids = ids[first : first + limit]
                bweights = weights[first : first + limit]
                bvalues = values[first : first + limit]
            inblock = len(bids)
            floats = array("f", bweights)
            total += sum(floats)
            top = max(bweights)
            bmaxweight = top if top > 0 else 0
            if lengths is None:
                bmin, bmax = None, 0
            else:
                found = list(map(lengths.__getitem__, bids))
                bmax = max(found)  # the minimum of the lengths that are not 0:
                bmin = (min(found) or min(filter(None, found))) if bmax else None
            minlength = bmin if minlength is None else min(minlength, bmin)  # type: ignore[type-var]
            maxlength = max(maxlength, bmax)
            maxweight = max(maxweight, bmaxweight)
            # W3PostingsWriter._mini_ids / _mini_weights / _mini_values
            mini_ids = (bids[0],) if inblock == 1 else tuple(map(sub, bids, chain((0,), bids)))
            one = floats[0]
            if floats.count(one) == inblock:
                mini_weights: Any = None if one == 1.0 else one
            else:
                mini_weights = tuple(floats)
            if fixedsize == 0:
                mini_values: Any = None
            elif fixedsize is None or fixedsize < 0:
                mini_values = tuple([v for v in bvalues if v])
            else:
                mini_values = b"".join(bvalues)
            data = dumps((mini_ids, mini_weights, mini_values), 2)
            bcomp = comp if len(data) >= compress_from else 0
            if bcomp:
                data = zlib.compress(data, bcomp)
            info = dumps(
                (
                    inblock,
                    bids[-1],
                    bmaxweight,
                    bcomp,
                    _BYTE_OF_LENGTH[bmin],
                    _BYTE_OF_LENGTH[bmax],
                ),
                2,
            )
            blocklength = len(info) + len(data)
            if first + limit >= n:
                blocklength = -blocklength  # the term's last block
            posts += (pack_int(blocklength), info, data)
            size += 4 + len(info) + len(data)
        self.postsize += size
        key = self.prefix + btext
        if key <= self.lastkey:
            raise ValueError(f"Keys must increase: {self.lastkey!r}..{key!r}")
        self.lastkey = key
        row = _TERMINFO.pack(
            0,
            total,
            n,
            0 if minlength is None else _BYTE_OF_LENGTH[minlength],
            _BYTE_OF_LENGTH[maxlength],
            maxweight,
            ids[0],
            ids[-1],
            start,
            size,
        )
        position = self.termpos + self.rowsize
        self.positions.append(position)
        h = self.hashfn(key)
        self.buckets[h & 255].append((h, position))
        self.rows += (_KEY_VALUE_LENGTHS.pack(len(key), len(row)), key, row)
        self.rowsize += 8 + len(key) + len(row)
        if self.postsize > FLUSH_BYTES or self.rowsize > FLUSH_BYTES:
            self._flush()

    def _flush(self) -> None:
        if self.posts:
            self.postfile.write(b"".join(self.posts))
            self.postpos += self.postsize
            self.posts, self.postsize = [], 0
        if self.rows:
            self.termfile.write(b"".join(self.rows))
            self.termpos += self.rowsize
            self.rows, self.rowsize = [], 0
        if self.positions:
            index = self.tindex.index  # GrowableArray: widens its type when a value overflows
            try:
                index.array.fromlist(self.positions)  # unchanged on OverflowError
            except (OverflowError, AttributeError):
                index.extend(self.positions)
            self.positions = []

    def finish(self) -> None:
        self._flush()
        self.tindex.lastkey = self.lastkey
        self.fieldwriter.finish_field()


def _md5_low32(key: bytes) -> int:
    """``filetables.md5_hash``: the digest's low 32 bits (its last four bytes)."""
    return int.from_bytes(md5(key, usedforsecurity=False).digest()[12:], "big")


#: A field value's terms, frequencies, weights and encoded values (parallel lists).
Indexed = tuple[list[bytes], list[int], list[float], list[bytes]]
Indexer = Callable[[str], Indexed]


class FreqTable(dict[int, Any]):
    """``make(freq)`` by frequency, computed once: the weights and encoded values of a
    field's postings are a few shared objects (looked up in C by ``map``)."""

    __slots__ = ("make",)

    def __init__(self, make: Callable[[int], Any]) -> None:
        super().__init__()
        self.make = make

    def __missing__(self, freq: int) -> Any:
        made = self[freq] = self.make(freq)
        return made


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
    from one ``findall``, the stem memo and a ``Counter``, as four parallel lists made
    by ``map`` (a field's weights and encoded values are shared objects, one for each
    frequency: the pool holds pointers). ``None`` for any other field.
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
    weight_of = FreqTable(lambda freq: float(freq) * boost).__getitem__
    value_of = FreqTable(pack_uint).__getitem__

    def index(value: str) -> Indexed:
        words = words_in(value)
        if pairs:
            words = list(map(" ".join, pairwise(words)))  # f"{a} {b}"
        counts = Counter(words)
        freqs = list(counts.values())
        return (
            list(map(str.encode, counts)),  # UTF-8
            freqs,
            list(map(weight_of, freqs)),
            list(map(value_of, freqs)),
        )

    return index


def id_indexer(fieldobj: Any) -> Indexer | None:
    """``fieldobj.index`` of an ``ID`` field (the whole value one term, weight the field
    boost, no value bytes: ``Existence.word_values`` of ``IDTokenizer``'s one token)
    without the token stream; ``None`` for any other field."""
    fmt = fieldobj.format
    if not (
        type(fieldobj) is fields.ID
        and type(fmt) is formats.Existence
        and type(fieldobj.analyzer) is IDTokenizer
    ):
        return None
    freqs, weights, values = [1], [fmt.field_boost], [b""]

    def index(value: Any) -> Indexed:
        if type(value) is not str:
            return _transposed(fieldobj.index(value))
        return [value.encode("utf-8")], freqs, weights, values

    return index


def numeric_indexer(fieldobj: Any) -> Indexer | None:
    """``fieldobj.index`` of a ``NUMERIC`` or ``DATETIME`` field: the value's sortable
    number encoded once (``to_bytes(value, 0)``), its terms at the other shifts packed
    from it as ``sortable_to_bytes`` packs them, instead of every shift encoding the
    value again; ``None`` for any other field."""
    step = getattr(fieldobj, "shift_step", 0)
    if type(fieldobj) not in (fields.NUMERIC, fields.DATETIME) or not step:
        return None
    shifts = [(pack_byte(shift), shift) for shift in range(step, fieldobj.bits, step)]
    number = fieldobj._struct
    count = len(shifts) + 1
    freqs, weights, values = [1] * count, [1.0] * count, [b""] * count

    def index(value: Any) -> Indexed:
        if value is None or isinstance(value, (bytes, list, tuple)):
            return _transposed(fieldobj.index(value))  # Whoosh's special cases
        first = fieldobj.to_bytes(value, 0)
        x = number.unpack(first[1:])[0]
        terms = [first, *[prefix + number.pack(x >> shift) for prefix, shift in shifts]]
        return terms, freqs, weights, values

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
            indexer = (
                german_text_indexer(fieldobj, stemmed)
                or id_indexer(fieldobj)
                or numeric_indexer(fieldobj)
            )
            if indexer is not None:
                self._indexers[name] = indexer
        #: the short ``add_document`` below knows no spelling or vector fields
        self._plain = not any(f.separate_spelling() or f.vector for _name, f in self.schema.items())

    def add_document(self, **fields: Any) -> None:
        """``SegmentWriter.add_document`` for a schema without spelling or vector
        fields, the German text, ID and number fields indexed by the indexers above
        (:func:`german_text_indexer`, :func:`id_indexer`, :func:`numeric_indexer`)."""
        if not self._plain:
            super().add_document(**fields)
            return
        self._check_state()
        perdocwriter = self.perdocwriter
        schema = self.schema
        docnum = self.docnum
        pool = self.pool
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
                    if indexer is not None:
                        tbytes, freqs, weights, values = indexer(value)
                    else:
                        tbytes, freqs, weights, values = _transposed(field.index(value))
                    if tbytes:
                        if field.scorable:
                            length = sum(freqs)
                        if fieldboost != 1.0:
                            weights = [weight * fieldboost for weight in weights]
                        # TermPool.add for every posting, in C: each term's list (new
                        # ones made by FieldTerms.__missing__) extended by its posting
                        deque(
                            map(
                                list.extend,
                                map(pool.terms_of(fieldname).__getitem__, tbytes),
                                zip(repeat(docnum), weights, values),
                            ),
                            0,
                        )
                        added += len(tbytes)
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


def _transposed(items: Iterator[tuple[bytes, int, float, bytes | None]]) -> Indexed:
    """``field.index``'s postings as the four lists of an :data:`Indexer`."""
    columns = list(zip(*items, strict=True))
    if not columns:
        return [], [], [], []
    tbytes, freqs, weights, values = columns
    if None in values:
        values = tuple(v or b"" for v in values)
    return tbytes, freqs, weights, values  # type: ignore[return-value]


def commit_segments(ix: Any, segments: list[Any]) -> None:
    """Commits ``segments``, in this order, as the next generation of the empty index
    ``ix`` (what ``SegmentWriter.commit`` does with its one new segment): the index's
    document numbers run through the segments in order, so a rebuild written in K parts
    numbers its documents as one writer would have."""
    generation = ix.latest_generation() + 1
    TOC(ix.schema, segments, generation).write(ix.storage, ix.indexname)
    clean_files(ix.storage, ix.indexname, generation, segments)
