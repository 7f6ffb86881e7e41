"""The Whoosh engine: one index per tenant, searchers reused, writes serialised by file locks.

Layout under ``index_dir``::

    FORMAT                      schema version; written by a rebuild (or a fresh, empty
                                installation). Missing → the index is degraded (503).
    tenants/<tenant>/CURRENT    name of the live generation, replaced atomically (os.replace)
    tenants/<tenant>/<gen>/     a Whoosh index (segments + TOC)
    tenants/<tenant>.lock       fcntl lock: one writer per tenant across processes

Why per-tenant indexes: a tenant's queries never touch another tenant's postings (isolation
by construction, not only by filter) and each query scans one seventeenth of the data.

Why file locks and not a single indexing worker: ``akte worker`` runs one process per core
and any of them may claim a ``search.*`` job. The tenant lock is an ``fcntl`` lock: the
kernel releases it when a process dies, so a crashed writer leaves no stale lock. Whoosh
writes new segment files and then commits by atomically replacing its TOC, so readers see
the old or the new state, never a torn one; files of a crashed writer are cleaned up by
the next commit. (Production with API processes on several machines needs the index on
the machine that runs the search API, i.e. the ``search.*`` jobs must run there.)

Searchers are kept open per tenant and reopened only when the TOC generation changed,
which costs one directory listing per query instead of opening every segment again.

Why nothing leaks when documents are indexed one by one for months: every index write
makes the open searcher out of date, and its replaced segment files are deleted by the
writer. The replaced searcher is closed at once, under the tenant's lock that every use of
it holds (so a running query never loses it), and it is referenced from nowhere else (no
reference cycles: it goes with its last reference, not at the next garbage collection).
Segments are read through plain file handles, not ``mmap``: Whoosh copies every file of
a memory-mapped compound segment into a ``BytesIO`` when it opens it, and an ``mmap``
cannot be closed while such views exist, so each reopen copied the whole index and a
closed searcher could keep its deleted files open. Caches (results, decoded per-segment
arrays) are bounded in bytes and drop what belonged to replaced segments.
"""

from __future__ import annotations

import fcntl
import logging
import os
import pickle
import shutil
import struct
import threading
import time
import traceback
import uuid
import zlib
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from whoosh import index, query, sorting
from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage, StorageError
from whoosh.filedb.filetables import FileFormatError
from whoosh.searching import Searcher

from akte.core.errors import AkteError
from search import vectorized
from search.analysis import GermanStemFilter, identifiers_in, parts_text
from search.backend import (
    Hit,
    Hits,
    IndexDoc,
    InvalidQuery,
    QuerySpec,
    Scope,
    SearchDegraded,
)
from search.query import QueryParser
from search.rebuild_writer import RebuildWriter, commit_segments
from search.schema import FACETS, SCHEMA_VERSION, make_codec, make_schema
from search.snippets import make_snippet
from search.synonyms import expander
from search.vectorized import ArrayCache, PostingsDamaged

LOCK_TIMEOUT_SECONDS = 60.0
#: Postings a tenant's rebuild buffers before it spills a sorted run (estimated bytes).
REBUILD_POOL_MB = 192
log = logging.getLogger("akte.search")


def _as_datetime(value: date | datetime | None) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None)
    return datetime(value.year, value.month, value.day)


def to_fields(doc: IndexDoc) -> dict:
    """The Whoosh document for one :class:`IndexDoc`."""
    sort_date = _as_datetime(doc.document_date) or _as_datetime(doc.received_at)
    year = (doc.document_date or doc.received_at.date()).year
    idents = [doc.aktenzeichen, doc.bg_nummer, doc.kundennummer, *identifiers_in(doc.text)]
    fields = {
        "doc_id": str(doc.doc_id),
        "tenant_id": str(doc.tenant_id),
        "org_unit_id": str(doc.org_unit_id),
        "case_file_id": str(doc.case_file_id),
        "content": doc.text,
        "pairs": doc.text,
        "parts": parts_text(doc.text, doc.title, doc.doc_type),
        "title": doc.title,
        "doc_type": doc.doc_type or "",
        "name": doc.person_name or "",
        "refs": " ".join(i for i in idents[:3] if i),
        "ident": " ".join(i.replace(" ", "") for i in idents if i),
        "aktenzeichen": doc.aktenzeichen,
        "bg": doc.bg_nummer or "",
        "kundennummer": doc.kundennummer or "",
        "eingang": _as_datetime(doc.received_at),
        "jahr": year,
        "f_art": doc.doc_type or "",
        "f_year": str(year),
        "f_source": doc.source,
        "f_status": doc.case_status,
        "sort_date": sort_date,
        "stored": {
            "title": doc.title,
            "doc_type": doc.doc_type,
            "source": doc.source,
            "aktenzeichen": doc.aktenzeichen,
            "person_name": doc.person_name,
            "case_status": doc.case_status,
            "document_date": doc.document_date.isoformat() if doc.document_date else None,
            "received_at": doc.received_at.isoformat(),
        },
        "stamp": doc.stamp,
    }
    if doc.document_date:
        fields["datum"] = _as_datetime(doc.document_date)
    return fields


def _hit(fields: dict, score: float) -> Hit:
    """A result row from a document's stored fields."""
    return Hit(
        doc_id=uuid.UUID(fields["doc_id"]),
        case_file_id=uuid.UUID(fields["case_file_id"]),
        score=score,
        stored=dict(fields["stored"]),
    )


def _facet_counts(counts: dict) -> dict[str, int]:
    """Facet values by count (then name), documents without a value left out."""
    return {
        str(k): int(v)
        for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))
        if k not in (None, "")
    }


def _highlight_terms(matched: Iterable[tuple[str, str | bytes]]) -> set[tuple[str, str]]:
    """Index terms of the text to mark in snippets: matched words of ``content``, and the
    words of matched ``pairs`` (a phrase). Numeric and date terms are not text."""
    terms: set[tuple[str, str]] = set()
    for fieldname, term in matched:
        if fieldname in ("content", "pairs"):
            text = term.decode("utf-8") if isinstance(term, bytes) else term
            terms.update(("content", word) for word in text.split())
    return terms


#: What Whoosh's readers raise on a damaged, truncated or missing index file: the OS, the
#: decompressor, ``struct``/``pickle`` on short or garbled bytes, and Whoosh's own index
#: and storage errors.
_DAMAGE: tuple[type[BaseException], ...] = (
    PostingsDamaged,
    OSError,
    EOFError,
    zlib.error,
    struct.error,
    pickle.UnpicklingError,
    UnicodeDecodeError,
    whoosh_index.IndexError,
    StorageError,
    FileFormatError,
)
#: Garbage bytes also decode into impossible numbers (a length past the end, an unknown
#: code): such errors count as damage only when raised inside Whoosh's file decoding.
_DECODED_GARBAGE: tuple[type[BaseException], ...] = (
    ValueError,
    IndexError,
    KeyError,
    OverflowError,
    MemoryError,
)
_DECODER_MODULES = (
    f"{os.sep}whoosh{os.sep}codec{os.sep}",
    # per-document columns (sort keys, facets): a garbled type code is a ``UnicodeError``
    f"{os.sep}whoosh{os.sep}columns.py",
    f"{os.sep}whoosh{os.sep}filedb{os.sep}",
    f"{os.sep}whoosh{os.sep}util{os.sep}",
)


def is_index_damage(exc: BaseException) -> bool:
    """Whether ``exc`` is the decoder's complaint about index files (not a bug)."""
    if isinstance(exc, _DAMAGE):
        return True
    if type(exc) is Exception and str(exc).startswith("Block tag error"):  # whoosh3 codec
        return True
    if isinstance(exc, _DECODED_GARBAGE) and exc.__traceback__ is not None:
        innermost = traceback.extract_tb(exc.__traceback__)[-1].filename
        return any(part in innermost for part in _DECODER_MODULES)
    return False


@contextmanager
def _unreadable_as_degraded(tenant_id: uuid.UUID) -> Iterator[None]:
    """Damaged index files surface as whatever the decoder trips over (``zlib.error``,
    ``EOFError``, a ``UnicodeDecodeError`` in a pickle, Whoosh's bare "Block tag error"):
    the caller gets a 503 that says what to do, the log gets the traceback.

    Anything else raised by the engine (an ``AttributeError`` after a Whoosh upgrade, a
    ``TypeError`` in our code) is a bug, not a damaged index: it propagates, and the API
    logs it with its traceback and answers 500 instead of telling the admin to reindex.
    """
    try:
        yield
    except AkteError:
        raise
    except Exception as exc:
        if not is_index_damage(exc):
            raise
        log.exception("search index of tenant %s unreadable", tenant_id)
        raise SearchDegraded(
            f"the search index cannot be read ({type(exc).__name__}: {exc}); an "
            "administrator must run 'akte search reindex'"
        ) from exc


def _open_index(path: Path, schema) -> index.Index:  # type: ignore[no-untyped-def]
    """An index whose segments are read through file handles (see the module docstring:
    no ``mmap``, so closing a reader closes its files at once and nothing is copied)."""
    return FileStorage(str(path), supports_mmap=False).open_index(schema=schema)


#: Times a reader opens the index when a file vanished while it opened it (see below).
OPEN_ATTEMPTS = 5


def _open_searcher(path: Path, schema) -> Searcher:  # type: ignore[no-untyped-def]
    """The searcher of the index at ``path``, its newest state.

    Readers take no lock: a job that commits while a search opens the index replaces the
    TOC the reader just found (``_MAIN_<n>.toc`` by ``_MAIN_<n+1>.toc``) and deletes the
    segment files it merged, so the open can miss a file that was there a moment before
    — seen as a 503 "unreadable" in the soak. The newer state is complete by then, so the
    open is tried again; a file missing every time is damage (the caller's 503)."""
    for attempt in range(1, OPEN_ATTEMPTS + 1):
        try:
            return _open_index(path, schema).searcher()
        except FileNotFoundError:
            if attempt == OPEN_ATTEMPTS:
                raise
            time.sleep(0.02 * attempt)
    raise AssertionError("unreachable")


def _tenant_key(tenant_id: uuid.UUID | str) -> uuid.UUID:
    """Tenant ids as the folder names use them (dashed), whatever form the caller has."""
    return tenant_id if isinstance(tenant_id, uuid.UUID) else uuid.UUID(str(tenant_id))


@dataclass
class _Open:
    """A tenant's open searcher and what is derived from it (one generation, one TOC)."""

    generation: str
    searcher: Searcher
    #: :func:`vectorized.views_of` of ``searcher``, built on first use
    views: list | None = None

    def segment_ids(self) -> set[str]:
        # an empty index has an EmptyReader, whose segment() is None
        segments = (leaf.reader().segment() for leaf, _ in self.searcher.leaf_searchers())
        return {segment.segment_id() for segment in segments if segment is not None}


@dataclass
class _Slot:
    """Per tenant: the lock every use of its searcher holds, and the searcher."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    current: _Open | None = None
    #: segment ids of the last searcher opened (their cached arrays are dropped once a
    #: later searcher no longer has them)
    segments: set[str] = field(default_factory=set)


#: Upper bound of the result cache in bytes (estimated; see :func:`_hits_nbytes`).
RESULT_CACHE_BYTES = 32 * 1024 * 1024


def _hits_nbytes(hits: Hits) -> int:
    """A rough size of a cached answer: enough to bound the cache by memory, not exact."""
    size = 512 + 96 * len(hits.terms)
    for hit in hits.hits:
        size += 400 + sum(len(str(v)) for v in hit.stored.values())
    for counts in hits.facets.values():
        size += sum(96 + len(str(k)) for k in counts)
    return size


class WhooshBackend:
    def __init__(self, root: Path, cache_size: int = 512, vectorized: bool = True) -> None:
        self.root = Path(root)
        #: Answer queries with :mod:`search.vectorized` (False: Whoosh's own collector;
        #: the tests compare the two).
        self.vectorized = vectorized
        self._cache: OrderedDict[tuple, tuple[Hits, int]] = OrderedDict()
        self._cache_size = cache_size
        self._cache_bytes = 0
        self._cache_max_bytes = RESULT_CACHE_BYTES
        self._cache_lock = threading.Lock()
        self.schema = make_schema()
        self.parser = QueryParser(self.schema)
        self._slots: dict[uuid.UUID, _Slot] = {}
        self._slots_lock = threading.Lock()
        self._stemmer = GermanStemFilter()
        self._arrays = ArrayCache()

    # -- layout -------------------------------------------------------------------------
    @property
    def format_file(self) -> Path:
        return self.root / "FORMAT"

    def format_version(self) -> str | None:
        try:
            return self.format_file.read_text().strip()
        except OSError:
            return None

    def healthy(self) -> bool:
        return self.format_version() == SCHEMA_VERSION

    def outdated(self) -> bool:
        """An index of an earlier akte version: readable, but not by this one."""
        return self.format_version() not in (None, SCHEMA_VERSION)

    def mark_healthy(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.root / "FORMAT.tmp"
        tmp.write_text(SCHEMA_VERSION)
        os.replace(tmp, self.format_file)

    def _tenant_dir(self, tenant_id: uuid.UUID) -> Path:
        return self.root / "tenants" / str(_tenant_key(tenant_id))

    def _generation(self, tenant_id: uuid.UUID) -> str | None:
        try:
            return (self._tenant_dir(tenant_id) / "CURRENT").read_text().strip() or None
        except FileNotFoundError:
            return None

    def _set_generation(self, tenant_id: uuid.UUID, generation: str) -> None:
        tmp = self._tenant_dir(tenant_id) / f"CURRENT.{os.getpid()}.tmp"
        tmp.write_text(generation)
        os.replace(tmp, self._tenant_dir(tenant_id) / "CURRENT")

    def tenants(self) -> list[uuid.UUID]:
        base = self.root / "tenants"
        if not base.is_dir():
            return []
        found = []
        for entry in base.iterdir():
            if entry.is_dir() and (entry / "CURRENT").exists():
                try:
                    tenant_id = uuid.UUID(entry.name)
                except ValueError:
                    continue
                if entry.name == str(tenant_id):  # not a folder of another id spelling
                    found.append(tenant_id)
        return sorted(found)

    @contextmanager
    def _tenant_lock(self, tenant_id: uuid.UUID) -> Iterator[None]:
        """Exclusive across processes; released by the kernel if this process dies."""
        path = self.root / "tenants" / f"{_tenant_key(tenant_id)}.lock"
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a+") as handle:
            deadline = time.monotonic() + LOCK_TIMEOUT_SECONDS
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"index of tenant {tenant_id} is locked") from None
                    time.sleep(0.05)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _writable_index(self, tenant_id: uuid.UUID) -> index.Index:
        """The live index of a tenant, created on first use (call with the tenant lock)."""
        generation = self._generation(tenant_id)
        if generation is None:
            generation = f"g{time.time_ns()}"
            path = self._tenant_dir(tenant_id) / generation
            path.mkdir(parents=True)
            index.create_in(str(path), self.schema).close()
            self._set_generation(tenant_id, generation)
        return _open_index(self._tenant_dir(tenant_id) / generation, self.schema)

    # -- writing ------------------------------------------------------------------------
    def upsert(self, docs: Iterable[IndexDoc]) -> int:
        by_tenant: dict[uuid.UUID, list[IndexDoc]] = {}
        for doc in docs:
            by_tenant.setdefault(_tenant_key(doc.tenant_id), []).append(doc)
        for tenant_id, batch in by_tenant.items():
            with self._tenant_lock(tenant_id):
                ix = self._writable_index(tenant_id)
                writer = ix.writer(codec=make_codec())
                try:
                    for doc in batch:
                        writer.update_document(**to_fields(doc))
                except BaseException:
                    writer.cancel()
                    raise
                writer.commit()
                ix.close()
            self._invalidate(tenant_id)
        return sum(len(b) for b in by_tenant.values())

    def delete(self, doc_ids: Iterable[uuid.UUID]) -> int:
        """Removes documents from whichever tenant index holds them (the row is gone, so
        the tenant is unknown: each tenant's searcher is asked first, which is cheap)."""
        wanted = {str(d) for d in doc_ids}
        removed = 0
        for tenant_id in self.tenants():
            with self._searcher(tenant_id) as searcher:
                if searcher is None:
                    continue
                present = [d for d in wanted if searcher.document_number(doc_id=d) is not None]
            if not present:
                continue
            with self._tenant_lock(tenant_id):
                ix = self._writable_index(tenant_id)
                writer = ix.writer(codec=make_codec())
                for doc_id in present:
                    removed += writer.delete_by_term("doc_id", doc_id)
                writer.commit()
                ix.close()
            self._invalidate(tenant_id)
        return removed

    def rebuild(self, tenant_id: uuid.UUID, docs: Iterator[IndexDoc]) -> int:
        """Builds a new generation beside the live one, then swaps it in atomically.

        Searches keep using the live generation during the build; the swap is one
        ``os.replace`` of ``CURRENT``. Memory stays bounded: the writer spills sorted runs
        of postings beyond :data:`REBUILD_POOL_MB` and ``docs`` is a stream.
        """
        generation = self.new_generation(tenant_id)
        try:
            segment, count = self.write_part(tenant_id, generation, docs)
        except BaseException:
            self.abandon_generation(tenant_id, generation)
            raise
        self.swap_in(tenant_id, generation, [segment])
        return count

    # A rebuild in parts (``search.indexing``): one new generation, each part's documents
    # written as a segment of it by a process of its own, then all segments committed in
    # the parts' order and the generation swapped in, as :meth:`rebuild` does with one.
    def new_generation(self, tenant_id: uuid.UUID) -> str:
        """An empty index beside the live one (not searched until :meth:`swap_in`)."""
        generation = f"g{time.time_ns()}"
        path = self._tenant_dir(tenant_id) / generation
        path.mkdir(parents=True)
        index.create_in(str(path), self.schema).close()
        return generation

    def write_part(
        self, tenant_id: uuid.UUID, generation: str, docs: Iterator[IndexDoc]
    ) -> tuple[object | None, int]:
        """Writes ``docs`` as one segment of ``generation``, uncommitted (several
        processes may write parts of one generation at once): the segment (``None``
        without documents) and the number of documents."""
        ix = _open_index(self._tenant_dir(tenant_id) / generation, self.schema)
        # the same segment as ``ix.writer()`` writes, postings sorted term by term; no
        # write lock: the generation is this rebuild's own until it is swapped in
        writer = RebuildWriter(ix, limitmb=REBUILD_POOL_MB, codec=make_codec(), _lk=False)
        count = 0
        try:
            for doc in docs:
                writer.add_document(**to_fields(doc))
                count += 1
            if not count:
                writer.cancel()
                return None, 0
            return writer.finish_segment(), count
        except BaseException:
            if not writer.is_closed:
                writer.cancel()
            raise
        finally:
            ix.close()

    def abandon_generation(self, tenant_id: uuid.UUID, generation: str) -> None:
        shutil.rmtree(self._tenant_dir(tenant_id) / generation, ignore_errors=True)

    def swap_in(self, tenant_id: uuid.UUID, generation: str, segments: list[object | None]) -> None:
        """Commits the parts' segments in order and makes ``generation`` the live one."""
        path = self._tenant_dir(tenant_id) / generation
        ix = _open_index(path, self.schema)
        try:
            commit_segments(ix, [s for s in segments if s is not None])
        finally:
            ix.close()
        # the folder Whoosh's writer makes for its temporary files (each part had its own)
        shutil.rmtree(path / f"{whoosh_index._DEF_INDEX_NAME}.tmp", ignore_errors=True)
        with self._tenant_lock(tenant_id):
            old = self._generation(tenant_id)
            self._set_generation(tenant_id, generation)
        self._invalidate(tenant_id)
        self._remove_stale_generations(tenant_id, keep={generation, old})

    def _remove_stale_generations(self, tenant_id: uuid.UUID, keep: set[str | None]) -> None:
        """Drops generations left by earlier swaps or crashed rebuilds (the one just
        replaced is kept until the next rebuild, in case a reader still has it open)."""
        base = self._tenant_dir(tenant_id)
        for entry in base.iterdir():
            if entry.is_dir() and entry.name.startswith("g") and entry.name not in keep:
                shutil.rmtree(entry, ignore_errors=True)

    def drop_tenant(self, tenant_id: uuid.UUID) -> None:
        with self._tenant_lock(tenant_id):
            (self._tenant_dir(tenant_id) / "CURRENT").unlink(missing_ok=True)
        self._invalidate(tenant_id)

    # -- reading ------------------------------------------------------------------------
    def _slot(self, tenant_id: uuid.UUID) -> _Slot:
        with self._slots_lock:
            slot = self._slots.get(tenant_id)
            if slot is None:
                slot = self._slots[tenant_id] = _Slot()
            return slot

    @contextmanager
    def _searcher(self, tenant_id: uuid.UUID) -> Iterator[Searcher | None]:
        """The tenant's up-to-date searcher (``None``: no index yet), see :meth:`_lease`."""
        with self._lease(tenant_id) as opened:
            yield opened.searcher if opened is not None else None

    @contextmanager
    def _lease(self, tenant_id: uuid.UUID) -> Iterator[_Open | None]:
        """The tenant's up-to-date searcher, held exclusively while in use.

        The slot's lock guards every use of the searcher *and* its replacement: a searcher
        made stale by a write (or a swapped generation) is closed by the next user, under
        the same lock, so no running query can lose it, and no replaced searcher stays
        open. (Whoosh's ``refresh()`` is not used: it reuses segment readers and keeps
        their old deletion sets, so an updated document would be found twice.) Under the
        GIL a pure-Python engine gains nothing from two queries of one tenant at once.
        """
        if not self.healthy():
            if self.outdated():
                raise SearchDegraded(
                    "the search index is being rebuilt for this version of akte "
                    "(a 'search.reindex' job); try again in a few minutes"
                )
            raise SearchDegraded(
                "the search index is missing or unreadable; an administrator must run "
                "'akte search reindex'"
            )
        tenant_id = _tenant_key(tenant_id)
        generation = self._generation(tenant_id)
        if generation is None:
            yield None
            return
        slot = self._slot(tenant_id)
        with slot.lock:
            current = slot.current
            with _unreadable_as_degraded(tenant_id):
                if (
                    current is None
                    or current.generation != generation
                    or not current.searcher.up_to_date()
                ):
                    self._retire(slot)
                    searcher = _open_searcher(self._tenant_dir(tenant_id) / generation, self.schema)
                    current = slot.current = _Open(generation, searcher)
                    self._forget_replaced(tenant_id, slot, current)
            yield current

    def _retire(self, slot: _Slot) -> None:
        """Closes the slot's searcher (call with ``slot.lock`` held): its files are closed
        now, not when the garbage collector finds it."""
        if slot.current is not None:
            slot.current.views = None
            slot.current.searcher.close()
            slot.current = None

    def _forget_replaced(self, tenant_id: uuid.UUID, slot: _Slot, fresh: _Open) -> None:
        """Drops cached arrays of segments the fresh searcher no longer has and cached
        answers of earlier index states of the tenant (they could never be hit again)."""
        segments = fresh.segment_ids()
        self._arrays.forget(slot.segments - segments)
        slot.segments = segments
        state = (fresh.generation, fresh.searcher.reader().generation())
        with self._cache_lock:
            stale = [
                key for key in self._cache if key[0].tenant_id == tenant_id and key[1:3] != state
            ]
            for key in stale:
                self._cache_bytes -= self._cache.pop(key)[1]

    def _invalidate(self, tenant_id: uuid.UUID) -> None:
        """After this process wrote a tenant's index: close its now stale searcher at once
        (the write deleted merged segment files; a searcher left open would keep them)."""
        slot = self._slot(_tenant_key(tenant_id))
        with slot.lock:
            self._retire(slot)

    def search(self, spec: QuerySpec) -> Hits:
        """Runs ``spec`` within its scope; results of an unchanged index are cached.

        The permission filter is part of the query (an ``And`` with the caller's org units
        and granted Akten), so totals and facets count only what the caller may open. The
        tenant needs no clause: each tenant has its own index, and org-unit and Akte ids
        belong to exactly one tenant.
        """
        user_query = self.parser.parse(spec.text, expander(spec.synonyms))
        scope = spec.scope
        if scope.empty:
            return Hits(total=0, hits=[], facets={name: {} for name in FACETS})
        allowed = [query.Term("org_unit_id", str(u)) for u in sorted(scope.org_unit_ids)]
        allowed += [query.Term("case_file_id", str(c)) for c in sorted(scope.case_file_ids)]
        filters = [query.Term(FACETS[name], value) for name, value in spec.filters.items()]
        with self._lease(scope.tenant_id) as opened:
            if opened is None:
                return Hits(total=0, hits=[], facets={name: {} for name in FACETS})
            searcher = opened.searcher
            key = (
                scope,
                opened.generation,
                searcher.reader().generation(),
                spec.text,
                spec.page,
                spec.size,
                spec.sort,
                tuple(sorted(spec.filters.items())),
                spec.facets,
                spec.synonyms,
            )
            cached = self._cached(key)
            if cached is not None:
                return cached
            with _unreadable_as_degraded(scope.tenant_id):
                if self.vectorized:
                    hits = self._run_vectorized(opened, user_query, scope, allowed, filters, spec)
                else:
                    either = query.Or(allowed) if len(allowed) > 1 else allowed[0]
                    hits = self._run(searcher, query.And([user_query, either, *filters]), spec)
        self._remember(key, hits)
        return hits

    def _cached(self, key: tuple) -> Hits | None:
        if not self._cache_size:
            return None
        with self._cache_lock:
            found = self._cache.get(key)
            if found is None:
                return None
            self._cache.move_to_end(key)
            return found[0]

    def _remember(self, key: tuple, hits: Hits) -> None:
        """Keeps an answer, within ``cache_size`` entries and :data:`RESULT_CACHE_BYTES`."""
        if not self._cache_size:
            return
        size = _hits_nbytes(hits)
        with self._cache_lock:
            previous = self._cache.pop(key, None)
            if previous is not None:
                self._cache_bytes -= previous[1]
            self._cache[key] = (hits, size)
            self._cache_bytes += size
            while self._cache and (
                len(self._cache) > self._cache_size or self._cache_bytes > self._cache_max_bytes
            ):
                self._cache_bytes -= self._cache.popitem(last=False)[1][1]

    def _run_vectorized(
        self,
        opened: _Open,
        user_query: query.Query,
        scope: Scope,
        allowed: list[query.Term],
        filters: list[query.Term],
        spec: QuerySpec,
    ) -> Hits:
        searcher = opened.searcher
        if opened.views is None:  # per searcher (its deletions); decoded arrays per segment
            opened.views = vectorized.views_of(searcher, self._arrays)
        views = opened.views
        try:
            result = vectorized.run(
                views,
                user_query,
                (scope.org_unit_ids, scope.case_file_ids),
                allowed,
                filters,
                page=spec.page,
                size=spec.size,
                sort_field="sort_date" if spec.sort == "date" else None,
                facet_fields=FACETS if spec.facets else None,
            )
        except query.QueryError as exc:
            raise InvalidQuery(f"the query cannot be run: {exc}") from exc
        finally:
            self._arrays.trim()
        hits = [_hit(searcher.stored_fields(docnum), score) for docnum, score in result.page]
        facets = {name: _facet_counts(counts) for name, counts in result.facets.items()}
        return Hits(
            total=result.total, hits=hits, facets=facets, terms=_highlight_terms(result.terms)
        )

    def _run(self, searcher: Searcher, final: query.Query, spec: QuerySpec) -> Hits:
        sortedby = sorting.FieldFacet("sort_date", reverse=True) if spec.sort == "date" else None
        groupedby = (
            {
                name: sorting.FieldFacet(field, maptype=sorting.Count)
                for name, field in FACETS.items()
            }
            if spec.facets
            else None
        )
        try:
            page = searcher.search_page(
                final,
                spec.page,
                pagelen=spec.size,
                sortedby=sortedby,
                groupedby=groupedby,
                terms=True,
            )
        except query.QueryError as exc:  # e.g. a phrase on a field without positions
            raise InvalidQuery(f"the query cannot be run: {exc}") from exc
        results = page.results
        hits = [_hit(hit.fields(), float(hit.score or 0.0)) for hit in page]
        facets = (
            {name: _facet_counts(results.groups(name)) for name in FACETS} if spec.facets else {}
        )
        matched = results.matched_terms() if results.has_matched_terms() else ()
        return Hits(total=page.total, hits=hits, facets=facets, terms=_highlight_terms(matched))

    def snippet(self, hits: Hits, text: str, max_chars: int = 300) -> str:
        """An HTML snippet: the text is escaped, only the ``<mark>`` tags are markup."""
        words = {t for f, t in hits.terms if f == "content"}
        return make_snippet(text, words, self._stemmer.stem, max_chars)

    def stamps(self, tenant_id: uuid.UUID) -> dict[uuid.UUID, str]:
        with self._searcher(tenant_id) as searcher:
            if searcher is None:
                return {}
            return {
                uuid.UUID(fields["doc_id"]): fields.get("stamp", "")
                for fields in searcher.all_stored_fields()
            }

    def close(self) -> None:
        """Closes every open searcher (each under its slot's lock)."""
        with self._slots_lock:
            slots = list(self._slots.values())
            self._slots.clear()
        for slot in slots:
            with slot.lock:
                if slot.current is not None:
                    slot.current.views = None
                    slot.current.searcher.close()
                    slot.current = None
        self._arrays.clear()
        with self._cache_lock:
            self._cache.clear()
            self._cache_bytes = 0
