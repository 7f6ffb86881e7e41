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

import threading
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
from whoosh import query
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield
from whoosh.fields import NUMERIC
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


def intersect(a: Matches, b: Matches, add_scores: bool = True) -> Matches:
    common, ia, ib = np.intersect1d(a.ids, b.ids, assume_unique=True, return_indices=True)
    scores = a.scores[ia] + b.scores[ib] if add_scores else a.scores[ia]
    return Matches(common, scores)


def union(parts: list[Matches]) -> Matches:
    parts = [p for p in parts if len(p)]
    if not parts:
        return Matches()
    if len(parts) == 1:
        return parts[0]
    ids = np.concatenate([p.ids for p in parts])
    scores = np.concatenate([p.scores for p in parts])
    unique, inverse = np.unique(ids, return_inverse=True)
    return Matches(unique, np.bincount(inverse, weights=scores, minlength=len(unique)))


def subtract(a: Matches, b: Matches) -> Matches:
    if not len(a) or not len(b):
        return a
    return a.keep(~np.isin(a.ids, b.ids, assume_unique=True))


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
        if (fieldname, btext) not in reader:
            return _EMPTY_IDS, _EMPTY_SCORES
        try:
            matcher = reader._terms.matcher(fieldname, btext, reader.schema[fieldname].format)
        except (KeyError, TermNotFound):
            return _EMPTY_IDS, _EMPTY_SCORES
        if isinstance(matcher, W3LeafMatcher) and not matcher._byteids:
            ids, weights = _read_blocks(matcher, *self.window)
        else:  # short posting lists stored inline in the term index
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
            return union([self.evaluate(c, terms) for c in node.subqueries]).scaled(node.boost)
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
            return union([self.term(t, terms) for t in expanded]).scaled(node.boost)
        return self._by_whoosh(node)

    def _and(self, node: query.And, terms: set[tuple[str, str]] | None) -> Matches:
        positive = [c for c in node.subqueries if not isinstance(c, query.Not)]
        negative = [c.query for c in node.subqueries if isinstance(c, query.Not)]
        if not positive:
            return self._by_whoosh(node)
        parts = sorted((self.evaluate(c, terms) for c in positive), key=len)
        found = parts[0]
        for part in parts[1:]:
            if not len(found):
                break
            found = intersect(found, part)
        for excluded in negative:
            found = subtract(found, self.evaluate(excluded))
        return found.scaled(node.boost)

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


def _read_blocks(matcher: W3LeafMatcher, low: int, high: int) -> tuple[np.ndarray, np.ndarray]:
    """The blocks of an on-disk posting list that can hold ids in ``[low, high]``: ids
    (delta-coded per block) and weights. A block's last id is in its small header, so
    blocks before the window are passed over without being decompressed, and reading
    stops after the block that reaches past it."""
    id_parts, weight_parts = [], []
    while True:
        if matcher._maxid < low:
            if matcher._lastblock:
                break
            matcher._next_block()
            continue
        if matcher._data is None:
            matcher._read_data()
        raw_ids, raw_weights = matcher._data[0], matcher._data[1]
        ids = np.cumsum(np.asarray(raw_ids, dtype=np.int64))
        if raw_weights is None:
            weights = np.ones(len(ids), dtype=np.float64)
        elif isinstance(raw_weights, float):
            weights = np.full(len(ids), raw_weights, dtype=np.float64)
        else:
            weights = np.asarray(raw_weights, dtype=np.float64)
        id_parts.append(ids)
        weight_parts.append(weights)
        if matcher._lastblock or matcher._maxid >= high:
            break
        matcher._next_block()
    if not id_parts:
        return _EMPTY_IDS, _EMPTY_SCORES
    if len(id_parts) == 1:
        return id_parts[0], weight_parts[0]
    return np.concatenate(id_parts), np.concatenate(weight_parts)


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
        view.window = (int(allowed[0]), int(allowed[-1]))
        found = view.evaluate(user_query, terms)
        if not len(found):
            continue
        found = found.keep(np.isin(found.ids, allowed, assume_unique=True))
        for clause in filters:
            found = intersect(found, view.term(clause, None), add_scores=False)
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
