"""The vectorised executor answers exactly as Whoosh's own collector does.

Same index, same queries, both paths: totals, facet counts, page order and scores must
agree, including over several segments, updated and deleted documents, grants of single
Akten, facet filters, date sorting and paging.
"""

from __future__ import annotations

import pickle
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from whoosh.codec.whoosh3 import W3Codec

from search import schema, vectorized, whoosh_backend
from search.backend import IndexDoc, QuerySpec, Scope, SearchDegraded
from search.whoosh_backend import WhooshBackend
from tests.search.corpus import DOC_TYPES, SOURCES, page_texts, person

QUERIES = [
    "Miete",
    "Jobcenter",
    "Unterlagen Konto",
    "Kontoauszug Sparkasse",
    "Müller",
    "Mueller",
    "Muller~",
    "Schmidt~1",
    "Nebenkost*",
    "Kontoausz*",
    '"Kosten der Unterkunft"',
    '"Mit freundlichen Grüßen"',
    '"Sicherung des Lebensunterhalts" Bescheid',
    "Miete OR Heizkosten",
    "Bescheid -Widerspruch",
    "Bescheid NOT Widerspruch",
    "art:Lohnabrechnung",
    "art:Kontoauszug Gutschrift",
    "quelle:scan-import Antrag",
    "status:closed",
    "datum:2019-01-01..2020-06-30",
    "Antrag datum:2021..",
    "eingang:..2025-01-01 Miete",
    "jahr:2020",
    "jahr:2019..2021 Lohnsteuer",
    "titel:Bescheid",
    'titel:"Bescheid 2020"',
    '"Anna Müller"',
    "name:Anna",
    "az:AZ-2020-000007",
    "AZ2020000011",
    "bg:54321BG0000003",
    "Pflegedienst Lebensfreude",
    "(Miete OR Lohn) Musterstadt",
    "Girokonto -Sparkasse",
    "Wohnung Zimmern",
    # words expanded into OR groups (synonyms, compound parts), then intersected: the
    # rarer group narrows what the commoner one may contribute
    "Lohnsteuer Auszahlungsbetrag",
    "Heizkosten Nachzahlung Miete",
    "Miete Jobcenter -Nebenkosten",
]


@dataclass
class Setup:
    fast: WhooshBackend
    slow: WhooshBackend
    tenant: uuid.UUID
    units: list[uuid.UUID]
    granted: uuid.UUID


def _docs(
    rng: random.Random, tenant: uuid.UUID, units: list[uuid.UUID], n_akten: int
) -> list[IndexDoc]:
    docs = []
    for n in range(n_akten):
        who = person(rng)
        unit = units[n % len(units)]
        case_file = uuid.uuid4()
        for _ in range(rng.randint(1, 4)):
            doc_type = rng.choice(DOC_TYPES)
            day = date(2018, 1, 1) + timedelta(days=rng.randint(0, 2200))
            docs.append(
                IndexDoc(
                    doc_id=uuid.uuid4(),
                    tenant_id=tenant,
                    org_unit_id=unit,
                    case_file_id=case_file,
                    title=f"{doc_type} {day.year}",
                    doc_type=doc_type,
                    source=rng.choice(SOURCES),
                    aktenzeichen=f"AZ-2020-{n:06d}",
                    bg_nummer=f"54321BG{n:07d}",
                    kundennummer=f"K{n:08d}",
                    person_name=who.name,
                    case_status="closed" if n % 4 == 0 else "open",
                    document_date=day if rng.random() < 0.9 else None,
                    received_at=datetime(2025, 1, 1, tzinfo=UTC)
                    - timedelta(days=rng.randint(0, 900)),
                    text="\n\n".join(page_texts(rng, who, doc_type, rng.randint(1, 3), filler=4)),
                    stamp="x",
                )
            )
    return docs


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    rng = random.Random(11)
    root: Path = tmp_path_factory.mktemp("vectorized")
    tenant = uuid.uuid4()
    units = [uuid.uuid4() for _ in range(3)]
    fast = WhooshBackend(root, cache_size=0, vectorized=True)
    fast.mark_healthy()
    docs = _docs(rng, tenant, units, 240)
    # a rebuild (documents grouped by org unit, as akte search reindex streams them), then
    # two more commits: several segments (Whoosh merges small ones, not all)
    first = sorted(docs[:300], key=lambda d: units.index(d.org_unit_id))
    fast.rebuild(tenant, iter(first))
    for part in (docs[300:450], docs[450:]):
        fast.upsert(part)
    # updates (old versions deleted inside their segment) and deletions
    changed = rng.sample(docs, 40)
    for doc in changed[:25]:
        doc.title = f"Bescheid geändert {doc.title}"
    fast.upsert(changed[:25])
    fast.delete(d.doc_id for d in changed[25:])
    slow = WhooshBackend(root, cache_size=0, vectorized=False)
    granted = next(d.case_file_id for d in docs if d.org_unit_id == units[2])
    yield Setup(fast, slow, tenant, units, granted)
    fast.close()
    slow.close()


def _same(setup: Setup, spec: QuerySpec) -> None:
    fast, slow = setup.fast.search(spec), setup.slow.search(spec)
    assert fast.total == slow.total, spec.text
    assert fast.facets == slow.facets, spec.text
    if spec.sort == "date":  # Whoosh reports the sort key as the score: compare dates

        def dates(hits):  # type: ignore[no-untyped-def]
            return [h.stored["document_date"] or h.stored["received_at"][:10] for h in hits]

        assert dates(fast.hits) == dates(slow.hits), spec.text
        assert dates(fast.hits) == sorted(dates(fast.hits), reverse=True), spec.text
        return

    # Whoosh adds the constant weight of each filter clause (scope, facet filter) to every
    # score; the executor filters without scoring. Rankings agree when the gaps do.
    def gaps(hits):  # type: ignore[no-untyped-def]
        return [h.score - hits[0].score for h in hits]

    assert gaps(fast.hits) == pytest.approx(gaps(slow.hits), abs=1e-6), spec.text

    def groups(hits):  # type: ignore[no-untyped-def]  # equal scores come in either order
        by_score: dict[float, set] = {}
        for hit in hits:
            by_score.setdefault(round(hit.score - hits[0].score, 5), set()).add(hit.doc_id)
        return by_score

    assert groups(fast.hits) == groups(slow.hits), spec.text


def test_the_index_has_several_segments_and_deletions(setup: Setup) -> None:
    with setup.fast._searcher(setup.tenant) as searcher:
        leaves = searcher.leaf_searchers()
        assert len(leaves) >= 2
        assert any(leaf.reader().has_deletions() for leaf, _ in leaves)


@pytest.mark.parametrize("text", QUERIES)
def test_same_answer_as_whoosh(setup: Setup, text: str) -> None:
    one_unit = Scope(setup.tenant, frozenset({setup.units[0]}))
    two_units_and_a_grant = Scope(
        setup.tenant, frozenset(setup.units[:2]), frozenset({setup.granted})
    )
    for scope in (one_unit, two_units_and_a_grant):
        _same(setup, QuerySpec(text, scope, size=100))
    _same(setup, QuerySpec(text, two_units_and_a_grant, size=100, filters={"year": "2020"}))


@pytest.mark.parametrize("text", ["Miete", "Jobcenter", '"Mit freundlichen Grüßen"'])
def test_pages_and_date_order_agree(setup: Setup, text: str) -> None:
    scope = Scope(setup.tenant, frozenset(setup.units))
    seen: list[uuid.UUID] = []
    for page in (1, 2, 3):
        spec = QuerySpec(text, scope, page=page, size=7, sort="date")
        _same(setup, spec)
        seen += [h.doc_id for h in setup.fast.search(spec).hits]
    assert len(seen) == len(set(seen)) == 21  # pages do not overlap
    for page in (1, 4):
        _same(setup, QuerySpec(text, scope, page=page, size=5))


def test_nothing_outside_the_scope_is_counted(setup: Setup) -> None:
    only_grant = Scope(setup.tenant, frozenset(), frozenset({setup.granted}))
    hits = setup.fast.search(QuerySpec("Jobcenter OR Miete OR Antrag", only_grant, size=100))
    assert hits.total == len(hits.hits) > 0
    assert {h.case_file_id for h in hits.hits} == {setup.granted}
    assert sum(hits.facets["doc_type"].values()) == hits.total
    stranger = Scope(setup.tenant, frozenset({uuid.uuid4()}))
    nothing = setup.fast.search(QuerySpec("Jobcenter", stranger))
    assert nothing.total == 0
    assert all(not counts for counts in nothing.facets.values())


def test_a_caseworker_query_decodes_only_their_units_blocks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a rebuilt index each org unit is one run of document numbers; a query of one
    unit's caseworker leaves the other units' posting blocks compressed (blocks of 32
    postings here, so that 400 documents make several)."""
    monkeypatch.setattr(schema, "POSTINGS_PER_BLOCK", 32)
    rng = random.Random(3)
    tenant, units = uuid.uuid4(), [uuid.uuid4() for _ in range(4)]
    docs = sorted(_docs(rng, tenant, units, 400), key=lambda d: units.index(d.org_unit_id))
    backend = WhooshBackend(tmp_path, cache_size=0)
    backend.mark_healthy()
    backend.rebuild(tenant, iter(docs))
    decoded = []
    real = vectorized._block_data
    monkeypatch.setattr(
        vectorized, "_block_data", lambda *args: (decoded.append(1), real(*args))[1]
    )

    def blocks(scope: Scope) -> int:
        decoded.clear()
        backend._cache.clear()
        backend.search(QuerySpec("Jobcenter", scope, facets=False))
        return len(decoded)

    one = Scope(tenant, frozenset({units[1]}), frozenset({uuid.uuid4()}))  # scope cached
    blocks(one)
    everyone = Scope(tenant, frozenset(units))
    blocks(everyone)
    mine, all_units = blocks(one), blocks(everyone)
    assert mine * 2 < all_units
    backend.close()


def _block_sizes(backend: WhooshBackend, tenant: uuid.UUID) -> list[int]:
    """Postings per block of the list of ``tenant_id`` (every document), as Whoosh's own
    matcher reads it."""
    with backend._searcher(tenant) as searcher:
        (leaf,) = [leaf for leaf, _offset in searcher.leaf_searchers()]
        matcher = leaf.reader().postings("tenant_id", str(tenant))
        sizes: list[int] = []
        last = None
        while matcher.is_active():
            if matcher.block_max_id() != last:
                last = matcher.block_max_id()
                sizes.append(0)
            sizes[-1] += 1
            matcher.next()
    return sizes


def _written(path: Path, tenant: uuid.UUID, docs: list[IndexDoc], how: str) -> WhooshBackend:
    """A backend over ``path`` with ``docs`` written by a rebuild or by the job path's
    ``upsert`` (``how``)."""
    backend = WhooshBackend(path, cache_size=0)
    backend.mark_healthy()
    if how == "rebuild":
        backend.rebuild(tenant, iter(docs))
    else:
        backend.upsert(docs)
    return backend


@pytest.mark.parametrize("how", ["rebuild", "upsert"])
def test_posting_lists_are_written_in_blocks_of_512(tmp_path: Path, how: str) -> None:
    """Every writer (a rebuild, documents added by the job path) writes blocks of
    :data:`search.schema.POSTINGS_PER_BLOCK`, and both executors read them."""
    rng = random.Random(11)
    tenant, units = uuid.uuid4(), [uuid.uuid4()]
    docs = _docs(rng, tenant, units, 500)[:1100]
    fast = _written(tmp_path, tenant, docs, how)
    assert len(docs) == 1100
    assert _block_sizes(fast, tenant) == [512, 512, 76]
    slow = WhooshBackend(tmp_path, cache_size=0, vectorized=False)
    setup = Setup(fast, slow, tenant, units, docs[0].case_file_id)
    for text in ("Jobcenter", "Miete OR Antrag", "Jobcenter -Miete"):
        _same(setup, QuerySpec(text, Scope(tenant, frozenset(units)), size=20))
    fast.close()
    slow.close()


def _block_compression(backend: WhooshBackend, tenant: uuid.UUID, field: str, term: str) -> int:
    """The ``zlib`` level in the header of the first block of ``term``'s list."""
    with backend._searcher(tenant) as searcher:
        (leaf,) = [leaf for leaf, _offset in searcher.leaf_searchers()]
        return leaf.reader().postings(field, term)._compression


@pytest.mark.parametrize("how", ["rebuild", "upsert"])
def test_short_blocks_are_written_without_zlib(tmp_path: Path, how: str) -> None:
    """A block whose pickle is shorter than :data:`search.schema.COMPRESS_FROM_BYTES`
    (a document id's one posting) is stored as it is, a long one compressed, by every
    writer; both executors read both."""
    rng = random.Random(12)
    tenant, units = uuid.uuid4(), [uuid.uuid4()]
    docs = _docs(rng, tenant, units, 200)
    fast = _written(tmp_path, tenant, docs, how)
    assert _block_compression(fast, tenant, "doc_id", str(docs[7].doc_id)) == 0
    assert _block_compression(fast, tenant, "tenant_id", str(tenant)) == 3
    slow = WhooshBackend(tmp_path, cache_size=0, vectorized=False)
    setup = Setup(fast, slow, tenant, units, docs[0].case_file_id)
    for text in ("Jobcenter", "Miete OR Antrag", str(docs[7].aktenzeichen)):
        _same(setup, QuerySpec(text, Scope(tenant, frozenset(units)), size=20))
    fast.close()
    slow.close()


def test_segments_with_every_block_compressed_still_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An index written before short blocks were left uncompressed (Whoosh's own codec,
    every block through ``zlib``) answers as before, and documents added to it later are
    found with it."""
    rng = random.Random(13)
    tenant, units = uuid.uuid4(), [uuid.uuid4()]
    docs = _docs(rng, tenant, units, 150)
    fast = WhooshBackend(tmp_path, cache_size=0)
    fast.mark_healthy()
    monkeypatch.setattr(
        whoosh_backend, "make_codec", lambda: W3Codec(blocklimit=schema.POSTINGS_PER_BLOCK)
    )
    fast.rebuild(tenant, iter(docs[:300]))
    assert _block_compression(fast, tenant, "doc_id", str(docs[7].doc_id)) == 3
    monkeypatch.undo()
    fast.upsert(docs[300:])
    slow = WhooshBackend(tmp_path, cache_size=0, vectorized=False)
    setup = Setup(fast, slow, tenant, units, docs[0].case_file_id)
    for text in (
        "Jobcenter",
        "Miete OR Antrag",
        str(docs[7].aktenzeichen),
        str(docs[-1].aktenzeichen),
    ):
        _same(setup, QuerySpec(text, Scope(tenant, frozenset(units)), size=20))
    fast.close()
    slow.close()


def test_cached_segment_arrays_follow_later_writes(tmp_path: Path) -> None:
    """Arrays cached for a segment are reused after a write; the deletions and documents
    of that write must still count (and be left out) exactly as Whoosh counts them."""
    rng = random.Random(8)
    tenant, units = uuid.uuid4(), [uuid.uuid4() for _ in range(2)]
    docs = _docs(rng, tenant, units, 120)
    fast = WhooshBackend(tmp_path, cache_size=0)
    fast.mark_healthy()
    fast.rebuild(tenant, iter(sorted(docs, key=lambda d: units.index(d.org_unit_id))))
    slow = WhooshBackend(tmp_path, cache_size=0, vectorized=False)
    setup = Setup(fast, slow, tenant, units, docs[0].case_file_id)
    scope = Scope(tenant, frozenset({units[0]}), frozenset({docs[-1].case_file_id}))
    for text in ("Jobcenter", "Miete OR Antrag"):
        _same(setup, QuerySpec(text, scope, size=100))
    fast.delete(d.doc_id for d in docs[:30])
    fast.upsert(_docs(rng, tenant, units, 20))
    for text in ("Jobcenter", "Miete OR Antrag", "art:Bescheid"):
        _same(setup, QuerySpec(text, scope, size=100))
    with fast._searcher(tenant) as searcher:
        assert len(searcher.leaf_searchers()) == 2  # the rebuilt segment was reused
    fast.close()
    slow.close()


def test_a_damaged_index_file_gives_503_not_500(tmp_path: Path) -> None:
    """Part of a segment overwritten (a disk error): search says the index is unreadable
    and how to fix it instead of failing with a 500; a rebuild restores it."""
    rng = random.Random(5)
    tenant, units = uuid.uuid4(), [uuid.uuid4()]
    docs = _docs(rng, tenant, units, 150)
    backend = WhooshBackend(tmp_path, cache_size=0)
    backend.mark_healthy()
    backend.rebuild(tenant, iter(docs))
    generation = backend._generation(tenant)
    (segment,) = (backend._tenant_dir(tenant) / generation).glob("*.seg")
    data = bytearray(segment.read_bytes())
    start, stop = len(data) // 4, len(data) // 2  # a quarter of the file overwritten
    data[start:stop] = (bytes(range(256)) * ((stop - start) // 256 + 1))[: stop - start]
    segment.write_bytes(bytes(data))
    scope = Scope(tenant, frozenset(units))
    degraded = []
    for word in (
        "Jobcenter",
        "Miete",
        "Unterlagen",
        "Konto",
        '"Kosten der Unterkunft"',
        "Bescheid",
        "Antrag",
        "Sparkasse",
        "Lohnsteuer",
        "Nebenkost*",
    ):
        try:  # anything but SearchDegraded fails the test
            backend.search(QuerySpec(word, scope))
        except SearchDegraded as exc:
            assert exc.status_code == 503 and "reindex" in exc.detail
            degraded.append(word)
    assert degraded  # what hit the damage says so (what did not is still answered)
    backend.rebuild(tenant, iter(docs))
    assert backend.search(QuerySpec("Jobcenter", scope)).total > 0
    backend.close()


def test_a_commit_while_a_search_opens_the_index_is_no_503(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A job commits while a search opens the index: the TOC file the reader found is
    replaced and gone (``FileNotFoundError``). The search opens the newer state instead
    of answering 503; a file missing every time is still the damage it is."""
    rng = random.Random(7)
    tenant, units = uuid.uuid4(), [uuid.uuid4()]
    backend = WhooshBackend(tmp_path, cache_size=0)
    backend.mark_healthy()
    backend.upsert(_docs(rng, tenant, units, 10))
    real = whoosh_backend._open_index
    vanished = [2]  # the next two opens meet a file a commit just deleted

    def racing(path: Path, schema):  # type: ignore[no-untyped-def]
        if vanished[0]:
            vanished[0] -= 1
            raise FileNotFoundError(2, "No such file or directory", str(path / "_MAIN_4.toc"))
        return real(path, schema)

    monkeypatch.setattr(whoosh_backend, "_open_index", racing)
    scope = Scope(tenant, frozenset(units))
    assert backend.search(QuerySpec("Jobcenter OR Miete OR Antrag", scope)).total > 0
    assert vanished == [0]

    backend.upsert(_docs(rng, tenant, units, 1))  # the open searcher is stale now
    vanished[0] = whoosh_backend.OPEN_ATTEMPTS
    with pytest.raises(SearchDegraded):
        backend.search(QuerySpec("Jobcenter", scope))
    backend.close()


def test_union_and_intersection_agree_with_numpys_sorting_forms() -> None:
    """The linear forms (counting per document number, binary search) give the sorted
    forms' answer, scores summed in the same order, whichever is used for a size."""
    rng = np.random.default_rng(3)

    def matches(n: int, size: int) -> vectorized.Matches:
        ids = np.sort(rng.choice(size, n, replace=False)).astype(np.int64)
        return vectorized.Matches(ids, rng.random(n))

    for size, n in ((50, 30), (10_000, 40), (10_000, 4_000)):
        parts = [matches(n, size), matches(n // 2, size), matches(3, size)]
        # sorted always; with the segment size: counted when the lists cover enough of it
        by_sorting, by_size = vectorized.union(parts), vectorized.union(parts, size)
        ids = np.concatenate([p.ids for p in parts])
        unique, inverse = np.unique(ids, return_inverse=True)
        expected = np.bincount(inverse, weights=np.concatenate([p.scores for p in parts]))
        for found in (by_sorting, by_size):
            assert np.array_equal(found.ids, unique)
            assert np.array_equal(found.scores, expected)
        a, b = parts[0], parts[1]
        common, ia, ib = np.intersect1d(a.ids, b.ids, assume_unique=True, return_indices=True)
        for x, y, scores in (
            (a, b, a.scores[ia] + b.scores[ib]),
            (b, a, b.scores[ib] + a.scores[ia]),
        ):
            both = vectorized.intersect(x, y)
            assert np.array_equal(both.ids, common) and np.array_equal(both.scores, scores)
        rest = vectorized.subtract(a, b)
        assert np.array_equal(rest.ids, np.setdiff1d(a.ids, b.ids))


def test_a_column_with_a_garbled_type_code_is_index_damage() -> None:
    """A damaged byte where a column file keeps its type code (a full run overwrote a
    quarter of a segment, ``test_a_damaged_index_file_gives_503_not_500``, and hit one):
    Whoosh's column reader fails with a ``UnicodeEncodeError`` from ``struct``, which is
    damage to report as 503 with "reindex", not a 500."""
    from whoosh import columns
    from whoosh.filedb.structfile import BufferFile

    from search.whoosh_backend import is_index_damage

    data = bytes(16) + b"\x8d"  # the last byte says which array type the lengths are
    with pytest.raises(UnicodeEncodeError) as raised:
        columns.VarBytesColumn().reader(BufferFile(memoryview(data)), 0, len(data), 4)
    assert is_index_damage(raised.value)


def test_a_posting_list_that_cannot_be_decoded_is_index_damage() -> None:
    """Bytes the executor's own block reader trips over (a wrong tag, a block that is no
    pickle) are damage the search reports as 503 with "reindex", not a 500."""
    import io
    import struct

    from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC
    from whoosh.filedb.structfile import StructFile

    from search.whoosh_backend import is_index_damage

    header = pickle.dumps((2, 7, 1.0, 0, 1, 1), 2)
    garbage = b"\x80\x02garbage, no pickle"
    good_header_bad_data = struct.pack("!i", -(len(header) + len(garbage))) + header + garbage
    for buf in (b"XXXX" + good_header_bad_data, WHOOSH3_HEADER_MAGIC + good_header_bad_data):
        with pytest.raises(vectorized.PostingsDamaged) as raised:
            vectorized._read_blocks(StructFile(io.BytesIO(buf)), 0, len(buf), 0, 10)
        assert is_index_damage(raised.value)
    data = pickle.dumps(((3, 4), (1.0, 2.0), None), 2)
    sound = WHOOSH3_HEADER_MAGIC + struct.pack("!i", -(len(header) + len(data))) + header + data
    ids, weights = vectorized._read_blocks(StructFile(io.BytesIO(sound)), 0, len(sound), 0, 10)
    assert ids.tolist() == [3, 7] and weights.tolist() == [1.0, 2.0]
