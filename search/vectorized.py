"""Filter-first, vectorised query execution on Whoosh's segments.

Whoosh matches documents one at a time in Python: a matcher tree steps through posting
lists, scores every candidate and hands it to a collector, which also counts facets. For a
word that occurs in most letters ("Jobcenter", "Mit freundlichen Grüßen") that is tens of
thousands of Python-level steps per query, and the total and the facet counts need every
match, so no top-k shortcut applies.

This executor reads the same on-disk postings (Whoosh's W3 codec), but a whole posting
list at a time into NumPy arrays, and then works on arrays:

* a term is its posting list (document numbers and weights) scored with BM25F exactly as
  Whoosh scores it (same idf, same average field length, same encoded field lengths);
* ``And`` is an intersection, ``Or`` a union with scores summed, ``-x`` a difference;
* the caller's permission filter (org units, granted Akten) is a cached array per
  segment, applied first, so nothing outside the caller's scope is ever counted;
* facets are ``bincount`` over per-segment column codes, the total is a length, the page
  is an ``argpartition``.

Query types without an array form (phrases in small fields, ``Every``…) are answered by
Whoosh's own matcher for that node, so every query still runs and gives Whoosh's answer.
"""

from __future__ import annotations

import io
import pickle
import struct
import threading
import zlib
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
from whoosh import query
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, WHOOSH3_HEADER_MAGIC, _lenfield
from whoosh.fields import NUMERIC
from whoosh.filedb.structfile import StructFile
from whoosh.query import qcore
from whoosh.query.wrappers import ConstantScoreQuery
from whoosh.reading import TermNotFound
from whoosh.searching import Searcher
from whoosh.util.numeric import byte_to_length

#: Whoosh's default weighting (``scoring.BM25F()``).
B = 0.75
K1 = 1.2
_EMPTY_IDS = np.zeros(0, dtype=np.int64)
_EMPTY_SCORES = np.zeros(0, dtype=np.float64)
_BYTE_TO_LENGTH = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)
#: A posting block's length (negative for the last block of a list), as Whoosh writes it.
_BLOCK_LENGTH = struct.Struct("!i")
#: Length of the tag that starts every posting list (``WHOOSH3_HEADER_MAGIC``).
_TAG = len(WHOOSH3_HEADER_MAGIC)
#: Text fields whose matched words are highlighted in snippets.
_SNIPPET_FIELDS = ("content", "pairs")


@dataclass
class Matches:
    """Sorted unique document numbers of one segment and their scores."""

    ids: np.ndarray = field(default_factory=lambda: _EMPTY_IDS)
    scores: np.ndarray = field(default_factory=lambda: _EMPTY_SCORES)

    def __len__(self) -> int:
        return len(self.ids)

    def scaled(self, boost: float) -> Matches:
        return self if boost == 1.0 else Matches(self.ids, self.scores * boost)

    def keep(self, mask: np.ndarray) -> Matches:
        return Matches(self.ids[mask], self.scores[mask])


def _found_in(haystack: np.ndarray, needles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For sorted unique ``needles``: which occur in sorted unique ``haystack``, and where.

    A binary search of the shorter list in the longer one: no sort of their concatenation
    (``np.intersect1d``), which dominated an ``And`` whose first list is long."""
    if not len(haystack):
        return np.zeros(len(needles), dtype=bool), np.zeros(len(needles), dtype=np.int64)
    where = np.minimum(np.searchsorted(haystack, needles), len(haystack) - 1)
    return haystack[where] == needles, where


def intersect(a: Matches, b: Matches, add_scores: bool = True) -> Matches:
    if not len(a) or not len(b):
        return Matches()
    if len(a) <= len(b):
        hit, where = _found_in(b.ids, a.ids)
        ia, ib = np.flatnonzero(hit), where[hit]
    else:
        hit, where = _found_in(a.ids, b.ids)
        ia, ib = where[hit], np.flatnonzero(hit)
    scores = a.scores[ia] + b.scores[ib] if add_scores else a.scores[ia]
    return Matches(a.ids[ia], scores)


def union(parts: list[Matches], size: int | None = None) -> Matches:
    """Matches of any part, scores summed. With ``size`` (the segment's document count)
    and lists that together cover a good share of it, counted per document number
    (``bincount``, linear) instead of sorted (``np.unique``): the union of a word's
    synonyms and compound parts over a whole tenant is hundreds of thousands of ids."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return Matches()
    if len(parts) == 1:
        return parts[0]
    ids = np.concatenate([p.ids for p in parts])
    scores = np.concatenate([p.scores for p in parts])
    if size is not None and len(ids) * 16 >= size:
        present = np.flatnonzero(np.bincount(ids, minlength=size))
        return Matches(present, np.bincount(ids, weights=scores, minlength=size)[present])
    unique, inverse = np.unique(ids, return_inverse=True)
    return Matches(unique, np.bincount(inverse, weights=scores, minlength=len(unique)))


def subtract(a: Matches, b: Matches) -> Matches:
    if not len(a) or not len(b):
        return a
    return a.keep(~_found_in(b.ids, a.ids)[0])


#: Upper bound of all decoded per-segment arrays one process keeps (field lengths, facet
#: and sort columns, permission scopes), in bytes.
ARRAY_CACHE_BYTES = 256 * 1024 * 1024
#: Upper bound of the permission-scope arrays kept per segment (one per distinct caller
#: scope), in bytes: past it the scopes of that segment are decoded afresh.
SCOPE_BYTES = 32 * 1024 * 1024


def _scopes_nbytes(scopes: dict[object, np.ndarray]) -> int:
    return sum(a.nbytes for a in scopes.values())


class SegmentArrays:
    """What is decoded once per segment: field lengths, facet and sort columns, scope
    arrays. A segment's files never change (only its deletion set does, and that is
    applied per view), so these outlive the searcher: when a new document lands in a new
    small segment, the big segment's arrays are reused instead of read again."""

    def __init__(self) -> None:
        self.lengths: dict[str, np.ndarray] = {}
        self.columns: dict[str, tuple[np.ndarray, list]] = {}
        self.sorts: dict[str, np.ndarray] = {}
        #: caller scope → document numbers, deletions not yet applied
        self.scopes: dict[object, np.ndarray] = {}

    def nbytes(self) -> int:
        """Memory held, in bytes (column value names estimated at 64 bytes each)."""
        return (
            sum(a.nbytes for a in self.lengths.values())
            + sum(codes.nbytes + 64 * len(names) for codes, names in self.columns.values())
            + sum(a.nbytes for a in self.sorts.values())
            + _scopes_nbytes(self.scopes)
        )


class ArrayCache:
    """:class:`SegmentArrays` by segment id, for the segments of recently used searchers.

    Bounded twice: by segment count and by bytes (:meth:`trim`, after each query, drops
    the least recently used segments until the total fits). Segments that a tenant's new
    searcher no longer has (merged away, or a replaced generation) are dropped at once
    (:meth:`forget`): their files are gone, so their arrays can never be used again.
    """

    def __init__(self, max_segments: int = 256, max_bytes: int = ARRAY_CACHE_BYTES) -> None:
        self._segments: OrderedDict[str, SegmentArrays] = OrderedDict()
        self._max = max_segments
        self.max_bytes = max_bytes
        self._lock = threading.Lock()

    def get(self, segment_id: str) -> SegmentArrays:
        with self._lock:
            found = self._segments.get(segment_id)
            if found is None:
                found = self._segments[segment_id] = SegmentArrays()
                while len(self._segments) > self._max:
                    self._segments.popitem(last=False)
            else:
                self._segments.move_to_end(segment_id)
            return found

    def __len__(self) -> int:
        return len(self._segments)

    def nbytes(self) -> int:
        with self._lock:
            return sum(arrays.nbytes() for arrays in self._segments.values())

    def trim(self) -> None:
        """Drops least recently used segments until the cache fits in ``max_bytes``."""
        with self._lock:
            sizes = {key: arrays.nbytes() for key, arrays in self._segments.items()}
            total = sum(sizes.values())
            while total > self.max_bytes and self._segments:
                key, _ = self._segments.popitem(last=False)
                total -= sizes[key]

    def forget(self, segment_ids: set[str]) -> None:
        with self._lock:
            for segment_id in segment_ids:
                self._segments.pop(segment_id, None)

    def clear(self) -> None:
        with self._lock:
            self._segments.clear()


class SegmentView:
    """One segment of one searcher: its postings, and its cached arrays with this
    searcher's deletions applied."""

    def __init__(
        self,
        leaf: Searcher,
        offset: int,
        top: Searcher,
        arrays: SegmentArrays | None = None,
        cache: ArrayCache | None = None,
    ) -> None:
        self.leaf = leaf
        self.reader = leaf.reader()
        #: where :meth:`refresh` finds this segment's arrays again after the cache let
        #: them go (bounded by bytes: a view must not keep evicted arrays alive)
        self.cache = cache
        self.segment_id = self.reader.segment().segment_id()
        self.offset = offset
        self.top = top
        self.size = self.reader.doc_count_all()
        deleted = self.reader.deleted_docs_set if self.reader.has_deletions() else ()
        self.live: np.ndarray | None = None
        if deleted:
            self.live = np.ones(self.size, dtype=bool)
            self.live[np.fromiter(deleted, dtype=np.int64, count=len(deleted))] = False
        self.arrays = arrays or SegmentArrays()
        self._scopes: dict[object, np.ndarray] = {}
        #: Document numbers a query may match at all (set per query from the caller's
        #: scope): posting blocks wholly outside are not decoded.
        self.window: tuple[int, int] = (0, self.size)
        #: Which document numbers a term may still contribute (``None``: any in the
        #: window): the caller's scope for the whole query, narrowed inside an ``And`` to
        #: what its rarer children matched. A term's postings are cut to it before they
        #: are scored and merged, so the cost of a query follows the caller's share of the
        #: tenant and the rarest word, not the most common synonym or compound part.
        self.mask: np.ndarray | None = None

    def refresh(self) -> None:
        """Takes this segment's arrays from the cache (called before each query)."""
        if self.cache is not None:
            self.arrays = self.cache.get(self.segment_id)

    # -- raw data -------------------------------------------------------------------------
    def postings(
        self, fieldname: str, btext: bytes, with_deleted: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        """Document numbers and weights of one term (deleted documents left out)."""
        reader = self.reader
        terms = reader._terms
        try:
            info = terms.term_info(fieldname, btext)
        except (KeyError, TermNotFound):
            return _EMPTY_IDS, _EMPTY_SCORES
        if not info.is_inlined():
            # straight from the postings file: a matcher would read the first block's
            # header through the file object before the list is read whole
            offset, extent = info.extent()
            ids, weights = _read_blocks(terms._postfile, offset, extent, *self.window)
        else:  # short posting lists stored inline in the term index
            matcher = terms.matcher(fieldname, btext, reader.schema[fieldname].format)
            id_list, weight_list = [], []
            while matcher.is_active():
                id_list.append(matcher.id())
                weight_list.append(matcher.weight())
                matcher.next()
            ids = np.array(id_list, dtype=np.int64)
            weights = np.array(weight_list, dtype=np.float64)
        if self.live is not None and len(ids) and not with_deleted:
            keep = self.live[ids]
            ids, weights = ids[keep], weights[keep]
        return ids, weights

    def lengths(self, fieldname: str) -> np.ndarray:
        """Per-document token counts of a field, decoded as Whoosh decodes them."""
        found = self.arrays.lengths.get(fieldname)
        if found is None:
            perdoc = self.reader._perdoc
            column = perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
            if column is None:
                found = np.ones(self.size, dtype=np.float64)
            else:
                raw = np.fromiter(iter(column), dtype=np.uint8, count=self.size)
                found = _BYTE_TO_LENGTH[raw]
            self.arrays.lengths[fieldname] = found
        return found

    def column(self, fieldname: str) -> tuple[np.ndarray, list]:
        """A sortable column as codes per document and the distinct values they index."""
        found = self.arrays.columns.get(fieldname)
        if found is None:
            fieldobj = self.reader.schema[fieldname]
            reader = self.reader.column_reader(fieldname, translate=False)
            values: dict[object, int] = {}
            codes = np.fromiter(
                (values.setdefault(v, len(values)) for v in reader),
                dtype=np.int32,
                count=self.size,
            )
            names = [fieldobj.from_column_value(v) for v in values]
            found = (codes, names)
            self.arrays.columns[fieldname] = found
        return found

    def sort_values(self, fieldname: str) -> np.ndarray:
        """Raw sortable values of a numeric/date column (for ordering only)."""
        found = self.arrays.sorts.get(fieldname)
        if found is None:
            reader = self.reader.column_reader(fieldname, translate=False)
            found = np.fromiter((int(v or 0) for v in reader), dtype=np.float64, count=self.size)
            self.arrays.sorts[fieldname] = found
        return found

    def scope(self, key: object, terms: list[query.Term]) -> np.ndarray:
        """Document numbers any of ``terms`` matches (the caller's permission filter),
        cached per segment: a caseworker's next query reuses it."""
        found = self._scopes.get(key)
        if found is not None:
            return found
        raw = self.arrays.scopes.get(key)
        if raw is None:
            parts = [
                self.postings(t.fieldname, self._bytes(t.fieldname, t.text), with_deleted=True)[0]
                for t in terms
            ]
            parts = [p for p in parts if len(p)]
            raw = np.unique(np.concatenate(parts)) if parts else _EMPTY_IDS
            if len(self.arrays.scopes) >= 256 or _scopes_nbytes(self.arrays.scopes) > SCOPE_BYTES:
                self.arrays.scopes.clear()
            self.arrays.scopes[key] = raw
        found = raw[self.live[raw]] if self.live is not None and len(raw) else raw
        if self.live is not None:  # with deletions: a copy per view, bounded the same way
            if len(self._scopes) >= 256 or _scopes_nbytes(self._scopes) > SCOPE_BYTES:
                self._scopes.clear()
            self._scopes[key] = found
        return found

    def _bytes(self, fieldname: str, text: object) -> bytes:
        if isinstance(text, bytes):
            return text
        return self.reader.schema[fieldname].to_bytes(text)

    # -- evaluation -----------------------------------------------------------------------
    def term(self, node: query.Term, terms: set[tuple[str, str]] | None) -> Matches:
        fieldname = node.fieldname
        if fieldname not in self.reader.schema:
            return Matches()
        btext = self._bytes(fieldname, node.text)
        ids, weights = self.postings(fieldname, btext)
        if not len(ids):
            return Matches()
        if terms is not None and fieldname in _SNIPPET_FIELDS:
            terms.add((fieldname, btext.decode("utf-8")))
        if self.mask is not None:
            keep = self.mask[ids]
            ids, weights = ids[keep], weights[keep]
            if not len(ids):
                return Matches()
        fieldobj = self.reader.schema[fieldname]
        if fieldobj.scorable:
            idf = self.top.idf(fieldname, btext)
            avgfl = self.top.avg_field_length(fieldname) or 1
            lengths = self.lengths(fieldname)[ids]
            scores = idf * (weights * (K1 + 1)) / (weights + K1 * ((1 - B) + B * lengths / avgfl))
        else:
            scores = weights.astype(np.float64)
        return Matches(ids, scores).scaled(node.boost)

    def evaluate(self, node: qcore.Query, terms: set[tuple[str, str]] | None = None) -> Matches:
        """The matches of ``node`` in this segment, scored like Whoosh scores them."""
        if isinstance(node, query.Term):
            return self.term(node, terms)
        if node is query.NullQuery or isinstance(node, type(query.NullQuery)):
            return Matches()
        if isinstance(node, query.And):
            return self._and(node, terms)
        if (
            isinstance(node, query.Or)
            and not getattr(node, "scale", None)
            and (getattr(node, "minmatch", 0) or 0) <= 1
        ):
            parts = [self.evaluate(c, terms) for c in node.subqueries]
            return union(parts, self.size).scaled(node.boost)
        if isinstance(node, query.AndNot):
            return subtract(self.evaluate(node.a, terms), self.evaluate(node.b))
        if isinstance(node, query.AndMaybe):
            required = self.evaluate(node.a, terms)
            optional = intersect(required, self.evaluate(node.b, terms))
            return union([required, optional])
        if isinstance(node, query.Require):
            return intersect(self.evaluate(node.a, terms), self.evaluate(node.b), add_scores=False)
        if isinstance(node, query.NumericRange) and isinstance(
            self.reader.schema[node.fieldname], NUMERIC
        ):
            return self.evaluate(node._compile_query(self.reader), terms)
        if isinstance(node, ConstantScoreQuery):
            found = self.evaluate(node.child)
            return Matches(found.ids, np.full(len(found), float(node.score)))
        if isinstance(node, query.MultiTerm) and not isinstance(node, query.NumericRange):
            # terms as stored bytes (tiered numeric terms of a range have no text form)
            expanded = [query.Term(node.field(), t) for t in node._btexts(self.reader) if t]
            return union([self.term(t, terms) for t in expanded], self.size).scaled(node.boost)
        return self._by_whoosh(node)

    def _and(self, node: query.And, terms: set[tuple[str, str]] | None) -> Matches:
        positive = [c for c in node.subqueries if not isinstance(c, query.Not)]
        negative = [c.query for c in node.subqueries if isinstance(c, query.Not)]
        if not positive:
            return self._by_whoosh(node)
        ordered = sorted(positive, key=self._estimate)
        found = self.evaluate(ordered[0], terms)
        saved = self.mask, self.window
        try:
            for child in ordered[1:]:
                if not len(found):
                    break
                self.narrow(found.ids)
                found = intersect(found, self.evaluate(child, terms))
            for excluded in negative:
                if not len(found):
                    break
                self.narrow(found.ids)
                found = subtract(found, self.evaluate(excluded))
        finally:
            self.mask, self.window = saved
        return found.scaled(node.boost)

    def narrow(self, ids: np.ndarray) -> None:
        """Lets the next terms contribute only ``ids`` (sorted, not empty): the caller's
        scope for a query, what an ``And`` still holds inside it."""
        mask = np.zeros(self.size, dtype=bool)
        mask[ids] = True
        self.mask = mask
        self.window = (max(self.window[0], int(ids[0])), min(self.window[1], int(ids[-1])))

    def _estimate(self, node: qcore.Query) -> int:
        """About how many documents ``node`` matches, from the term index alone (deleted
        documents included): the order in which an ``And`` evaluates its children."""
        if isinstance(node, query.Term):
            if node.fieldname not in self.reader.schema:
                return 0
            try:
                return int(self.reader.doc_frequency(node.fieldname, node.text))
            except (KeyError, TermNotFound, TypeError, ValueError):
                return 0
        if isinstance(node, query.And):
            return min((self._estimate(c) for c in node.subqueries), default=self.size)
        if isinstance(node, query.Or):
            return min(self.size, sum(self._estimate(c) for c in node.subqueries))
        return self.size

    def _by_whoosh(self, node: qcore.Query) -> Matches:
        """Whoosh's own matcher for a node without an array form (e.g. a phrase in a
        title): correct for any query, fast enough for the small fields it is used on."""
        matcher = node.matcher(self.leaf)
        ids, scores = [], []
        while matcher.is_active():
            ids.append(matcher.id())
            scores.append(matcher.score())
            matcher.next()
        order = np.argsort(np.array(ids, dtype=np.int64), kind="stable")
        return Matches(
            np.array(ids, dtype=np.int64)[order], np.array(scores, dtype=np.float64)[order]
        )


class PostingsDamaged(Exception):
    """A posting list the executor cannot decode: a damaged index file (the search
    answers 503 and asks for a reindex), never a bug of the query."""


#: What decoding garbage raises: a damaged block can unpickle to anything.
_GARBAGE = (
    pickle.UnpicklingError,
    zlib.error,
    struct.error,
    EOFError,
    ValueError,
    TypeError,
    IndexError,
    KeyError,
    OverflowError,
)


def _block_data(raw: memoryview, compression: int) -> tuple:
    """A posting block's (delta-coded ids, weights, values), as Whoosh pickles them."""
    # the index's own blocks, read with the trust Whoosh's matcher gives them
    return pickle.loads(zlib.decompress(raw) if compression else raw)  # noqa: S301


def _read_blocks(
    postfile: StructFile, offset: int, extent: int | tuple[int], low: int, high: int
) -> tuple[np.ndarray, np.ndarray]:
    """The blocks of the on-disk posting list at ``offset`` (``extent`` bytes, its header
    tag included) that can hold ids in ``[low, high]``: ids (delta-coded per block) and
    weights.

    The whole list is read with one call and its blocks are parsed in memory. Whoosh's
    matcher reads a block's length and its pickled header through its file object, about
    twenty small ``read`` calls in Python per block of 128 postings; for the common words
    of a large tenant that was most of a query's time. A block's last id is in its header,
    so blocks before the window are passed over without being decompressed, and parsing
    stops after the block that reaches past it."""
    length = extent[0] if isinstance(extent, tuple) else extent  # Whoosh: a 1-tuple
    buf = postfile.get(offset, length)
    if buf[:_TAG] != WHOOSH3_HEADER_MAGIC:  # what Whoosh's matcher checks first
        raise PostingsDamaged(f"posting list at {offset}: no block tag {buf[:_TAG]!r}")
    try:
        return _parse_blocks(buf, low, high)
    except _GARBAGE as exc:
        raise PostingsDamaged(f"posting list at {offset}: {exc!r}") from exc


def _parse_blocks(buf: bytes, low: int, high: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_read_blocks` after the tag: the blocks of ``buf`` in ``[low, high]``."""
    view = memoryview(buf)
    # gathered as Python numbers and converted once: per block, only what must be
    deltas: list[int] = []
    weights: list[float] = []
    counts: list[int] = []
    pos, end = _TAG, len(buf)
    while pos < end:
        size = _BLOCK_LENGTH.unpack_from(buf, pos)[0]
        last = size < 0
        block_start = pos + 4
        pos = block_start + abs(size)
        header = io.BytesIO(view[block_start:pos])
        count, maxid, _maxweight, compression, _minlen, _maxlen = pickle.load(header)  # noqa: S301
        if maxid >= low:
            block = _block_data(view[block_start + header.tell() : pos], compression)
            deltas += block[0]
            raw_weights = block[1]  # None: all weigh 1; a float: all weigh that
            if raw_weights is None or isinstance(raw_weights, float):
                weights += [1.0 if raw_weights is None else raw_weights] * count
            else:
                weights += raw_weights
            counts.append(count)
            if maxid >= high:
                break
        if last:
            break
    if not counts:
        return _EMPTY_IDS, _EMPTY_SCORES
    # ids are delta-coded within each block (a block's first id from 0): one running sum,
    # less what the blocks before each block added up to
    running = np.cumsum(np.array(deltas, dtype=np.int64))
    if len(counts) > 1:
        ends = np.cumsum(counts)
        before = np.concatenate(([0], running[ends[:-1] - 1]))
        running -= np.repeat(before, counts)
    return running, np.array(weights, dtype=np.float64)


@dataclass
class Result:
    total: int
    #: (global document number, score) of the requested page, best first
    page: list[tuple[int, float]]
    facets: dict[str, dict[str, int]]
    terms: set[tuple[str, str]]


def views_of(searcher: Searcher, cache: ArrayCache | None = None) -> list[SegmentView]:
    views = []
    for leaf, offset in searcher.leaf_searchers():
        reader = leaf.reader()
        segment = reader.segment()
        if segment is None:  # an EmptyReader (no segment, no documents): nothing to view
            continue
        arrays = cache.get(segment.segment_id()) if cache is not None else None
        views.append(SegmentView(leaf, offset, searcher, arrays, cache))
    return views


def run(
    views: list[SegmentView],
    user_query: qcore.Query,
    scope_key: object,
    scope_terms: list[query.Term],
    filters: list[query.Term],
    *,
    page: int,
    size: int,
    sort_field: str | None,
    facet_fields: dict[str, str] | None,
) -> Result:
    """Total, one page of hits and facet counts of ``user_query`` within the scope."""
    terms: set[tuple[str, str]] = set()
    gids, scores, sort_keys = [], [], []
    facet_counts: dict[str, dict[str, int]] = {name: {} for name in facet_fields or {}}
    for view in views:
        view.refresh()
        view.window = (0, view.size)  # the scope itself is read in full (and cached)
        allowed = view.scope(scope_key, scope_terms)
        if not len(allowed):
            continue
        for clause in filters:  # exact facet choices narrow the scope before any word
            chosen = view.term(clause, None).ids
            allowed = allowed[_found_in(chosen, allowed)[0]]
        if not len(allowed):
            continue
        view.narrow(allowed)
        try:
            found = view.evaluate(user_query, terms)
            # nodes answered by Whoosh's own matcher know nothing of the mask
            found = found.keep(view.mask[found.ids])
        finally:
            view.mask = None
        if not len(found):
            continue
        gids.append(found.ids + view.offset)
        scores.append(found.scores)
        if sort_field:
            sort_keys.append(view.sort_values(sort_field)[found.ids])
        for name, fieldname in (facet_fields or {}).items():
            codes, names = view.column(fieldname)
            counts = np.bincount(codes[found.ids], minlength=len(names))
            bucket = facet_counts[name]
            for code in np.flatnonzero(counts):
                label = names[code]
                bucket[label] = bucket.get(label, 0) + int(counts[code])
    if not gids:
        return Result(0, [], facet_counts, terms)
    all_ids = np.concatenate(gids)
    all_scores = np.concatenate(scores)
    total = len(all_ids)
    # best first; ties (and date sorting) in document order, as Whoosh orders them
    primary = -np.concatenate(sort_keys) if sort_field else -all_scores
    wanted = min(page * size, total)
    if not wanted:
        return Result(total, [], facet_counts, terms)
    if wanted < total // 4:
        # only what can reach the page: the ``wanted`` best and everything tied with them
        kth = np.partition(primary, wanted - 1)[wanted - 1]
        candidates = np.flatnonzero(primary <= kth)
    else:
        candidates = np.arange(total)
    order = candidates[np.lexsort((all_ids[candidates], primary[candidates]))]
    chosen = order[(page - 1) * size : page * size]
    return Result(
        total, [(int(all_ids[i]), float(all_scores[i])) for i in chosen], facet_counts, terms
    )
