"""The rebuild's writer makes the same index files as Whoosh's own writer.

:class:`search.rebuild_writer.RebuildWriter` only replaces how postings are sorted and
handed to the codec; every file of the segment must be byte for byte what Whoosh's
``SegmentWriter`` writes for the same documents — with everything in memory and with
the postings spilled to several run files that are merged at the end.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from whoosh import index
from whoosh.writing import SegmentWriter

from search import rebuild_writer
from search.backend import IndexDoc
from search.rebuild_writer import RebuildWriter, TermPool
from search.schema import make_codec, make_schema
from search.whoosh_backend import to_fields
from tests.search.corpus import DOC_TYPES, SOURCES, page_texts, person


def _docs(n: int) -> list[IndexDoc]:
    rng = random.Random(7)
    tenant = uuid.UUID(int=1)
    units = [uuid.UUID(int=10 + i) for i in range(3)]
    now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    docs = []
    for a in range(n):
        who = person(rng)
        doc_type = rng.choice(DOC_TYPES)
        day = date(2015, 1, 1) + timedelta(days=rng.randint(0, 3650))
        docs.append(
            IndexDoc(
                doc_id=uuid.UUID(int=1000 + a),
                tenant_id=tenant,
                org_unit_id=units[a * 3 // n],
                case_file_id=uuid.UUID(int=5000 + a // 3),
                title=f"{doc_type} {day.year}",
                doc_type=doc_type,
                source=rng.choice(SOURCES),
                aktenzeichen=f"AZ-2020-{a:07d}",
                bg_nummer=f"{10000 + a}BG{a:07d}",
                kundennummer=f"K{a:08d}",
                person_name=who.name,
                case_status="open" if a % 4 else "closed",
                document_date=day if a % 5 else None,
                received_at=now - timedelta(days=a),
                text="\n\n".join(page_texts(rng, who, doc_type, rng.randint(1, 3), filler=4)),
                stamp=f"{a:024d}",
            )
        )
    return docs


def _build(path: Path, docs: list[IndexDoc], fast: bool, limitmb: int) -> dict[str, bytes]:
    """The segment's files by name without the segment id (a random name)."""
    path.mkdir()
    ix = index.create_in(str(path), make_schema())
    writer_class = RebuildWriter if fast else SegmentWriter
    writer = writer_class(ix, limitmb=limitmb, codec=make_codec(), compound=False)
    for doc in docs:
        writer.add_document(**to_fields(doc))
    writer.commit()
    ix.close()
    return {
        f.name.split(".", 1)[1]: f.read_bytes()
        for f in path.iterdir()
        if f.name.startswith("MAIN_") and "." in f.name
    }


@pytest.mark.parametrize("limitmb", [256, 1], ids=["in memory", "spilled to runs"])
def test_same_files_as_whoosh(tmp_path: Path, limitmb: int, monkeypatch) -> None:
    docs = _docs(240)
    spilled: list[int] = []
    save = TermPool.save

    def counting_save(pool: TermPool) -> None:
        spilled.append(len(pool.fields))
        save(pool)

    monkeypatch.setattr(TermPool, "save", counting_save)
    monkeypatch.setattr(rebuild_writer, "MAX_RUNS", 3)  # runs merged into one on the way
    # common words' lists cut into pieces in the runs and joined again by the merge
    monkeypatch.setattr(rebuild_writer, "CHUNK_POSTINGS", 5)
    theirs = _build(tmp_path / "whoosh", docs, fast=False, limitmb=256)
    ours = _build(tmp_path / "rebuild", docs, fast=True, limitmb=limitmb)
    assert sorted(ours) == sorted(theirs)
    assert {"pst", "trm", "_content_len.col", "_stored.col"} <= set(ours)
    for name, data in theirs.items():
        assert ours[name] == data, f"{name} differs"
    if limitmb == 1:
        assert len(spilled) >= 3  # the merge of several runs was exercised
    else:
        assert not spilled


def test_run_chunks_bound_the_postings_a_merge_holds() -> None:
    """A run file's chunks hold at most ``CHUNK_POSTINGS`` postings (what a merge holds
    per run), a long list cut into pieces of its term in document order, and a chunk of
    many short lists stops at ``RUN_CHUNK`` terms."""
    limit = rebuild_writer.CHUNK_POSTINGS
    common = [v for n in range(2 * limit + 7) for v in (n, 1.0, b"")]
    rare = [[v for v in (n, 1.0, b"")] for n in range(rebuild_writer.RUN_CHUNK + 3)]
    items = [(("content", b"der"), common)] + [
        (("content", f"z{n:05d}".encode()), postings) for n, postings in enumerate(rare)
    ]
    chunks = list(rebuild_writer._chunks(items))
    assert all(sum(len(p) for _, p in chunk) <= 3 * limit for chunk in chunks)
    assert all(len(chunk) <= rebuild_writer.RUN_CHUNK for chunk in chunks)
    pieces = [p for chunk in chunks for key, p in chunk if key == ("content", b"der")]
    assert len(pieces) == 3
    assert [v for p in pieces for v in p] == common
    assert [p for chunk in chunks for key, p in chunk if key != ("content", b"der")] == rare


@pytest.mark.parametrize(
    ("fieldname", "values"),
    [
        ("doc_id", ["7f3c0e3a-0000-4000-8000-000000000001", "", "Ünïcode x"]),
        ("jahr", [2015, 0, -5, 2**31 - 1, "2020"]),
        ("datum", [datetime(2020, 1, 2, 3, 4, 5, 678), datetime(1970, 1, 1), "20201130"]),
    ],
)
def test_short_indexers_give_whooshs_postings(fieldname: str, values: list) -> None:
    """The ID and number fields' indexers: the terms, frequencies, weights and value
    bytes of ``field.index``, in its order (every shift of a number)."""
    field = make_schema()[fieldname]
    index = rebuild_writer.id_indexer(field) or rebuild_writer.numeric_indexer(field)
    assert index is not None
    for value in values:
        ours = list(zip(*index(value), strict=True))
        assert ours == list(field.index(value)), value
        assert [type(w) for _t, _f, w, _v in ours] == [float] * len(ours)
