"""A tenant rebuilt in parts by several processes answers exactly as one built by one.

``akte search reindex`` cuts a large tenant's documents (org unit by org unit, in the
order one process would write them) into consecutive parts, writes each part as a
segment in a process of its own and commits the segments in order. Document numbers,
and so each org unit's run of them, stay what one process gives; scores use the whole
index's statistics. Here a tenant of three units (a cut falls inside a unit) is rebuilt
both ways and every answer is compared: totals, facets, hits and scores, tenant-wide
and scoped to units and to one Akte, by relevance and by date.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from akte.core.context import AppContext
from akte.core.database import session_scope
from search import indexing
from search.backend import QuerySpec, Scope
from search.indexing import IndexService
from tests.builders import make_case_file, make_org_unit, make_tenant
from tests.search.conftest import add_document
from tests.search.corpus import DOC_TYPES, SOURCES, page_texts, person

QUERIES = [
    "Miete",
    "Kontoauszug",
    "Lohnabrechnung OR Kündigung",
    '"Kosten der Unterkunft"',
    "Antrag -Miete",
    "Nebenkosten",
    "Müler~",
    "jahr:2015..2020",
    "art:Kontoauszug",
]


def _tenant(ctx: AppContext, rng: random.Random) -> tuple[uuid.UUID, list[uuid.UUID], uuid.UUID]:
    """A tenant of three org units of uneven size (30, 12 and 18 documents in Akten of
    three; Aktenvermerke in two units); its id, the units' ids and one Akte's id."""
    from akte.casework.models import CaseNote

    with session_scope(ctx.session_factory) as session:
        tenant = make_tenant(session)
        units = [make_org_unit(session, tenant) for _ in range(3)]
        akte = None
        for unit, count in zip(units, (30, 12, 18), strict=True):
            for n in range(count):
                if n % 3 == 0:
                    case_file = make_case_file(session, tenant, unit, person_name=person(rng).name)
                    akte = akte or case_file
                who = person(rng)
                doc_type = rng.choice(DOC_TYPES)
                add_document(
                    session,
                    case_file,
                    title=f"{doc_type} {n}",
                    doc_type=doc_type,
                    source=rng.choice(SOURCES),
                    document_date=date(2014, 1, 1) + timedelta(days=rng.randint(0, 3000)),
                    pages=page_texts(rng, who, doc_type, rng.randint(1, 2)),
                )
            if unit is not units[1]:
                session.add(
                    CaseNote(
                        tenant_id=tenant.id,
                        case_file_id=case_file.id,
                        body="Miete und Nebenkosten telefonisch besprochen",
                        author_name="Test Person",
                        created_at=datetime(2020, 5, 1, tzinfo=UTC),
                    )
                )
        assert akte is not None
        return tenant.id, [u.id for u in units], akte.id


def _answers(service: IndexService, tenant_id: uuid.UUID, scopes: list[Scope]) -> list:
    answers = []
    for scope in scopes:
        for text in QUERIES:
            for sort in ("relevance", "date"):
                for page in (1, 2):
                    hits = service.backend.search(
                        QuerySpec(text=text, scope=scope, page=page, size=7, sort=sort)
                    )
                    answers.append(
                        (
                            text,
                            sort,
                            page,
                            hits.total,
                            hits.facets,
                            [(h.doc_id, h.score) for h in hits.hits],
                        )
                    )
    return answers


@pytest.mark.whoosh_engine
def test_a_tenant_rebuilt_in_parts_answers_as_one_rebuilt_whole(
    sctx: AppContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if sctx.settings.is_sqlite:
        pytest.skip("tenants are rebuilt in processes on PostgreSQL only")
    tenant_id, units, akte = _tenant(sctx, random.Random(12))
    whole, parts = IndexService(tmp_path / "whole"), IndexService(tmp_path / "parts")
    monkeypatch.setattr(sctx.settings, "search_reindex_workers", 1)
    whole.reindex(sctx)
    monkeypatch.setattr(sctx.settings, "search_reindex_workers", 3)
    monkeypatch.setattr(indexing, "PART_MIN_DOCS", 10)  # this tenant: 3 parts of ~21
    parts.reindex(sctx)

    def numbers(service: IndexService) -> tuple[list[int], dict[str, int]]:
        with service.backend._searcher(tenant_id) as searcher:
            assert searcher is not None
            sizes = [leaf.doc_count_all() for leaf, _offset in searcher.leaf_searchers()]
            return sizes, {
                fields["doc_id"]: n for n, fields in enumerate(searcher.all_stored_fields())
            }

    whole_sizes, whole_numbers = numbers(whole)
    part_sizes, part_numbers = numbers(parts)
    assert whole_sizes == [62] and part_sizes == [20, 21, 21]  # really written in parts
    assert part_numbers == whole_numbers  # the same document numbers, so the same unit runs

    scopes = [
        Scope(tenant_id, frozenset(units)),
        *(Scope(tenant_id, frozenset({unit})) for unit in units),
        Scope(tenant_id, frozenset(units[1:])),
        Scope(tenant_id, frozenset(), frozenset({akte})),
    ]
    expected = _answers(whole, tenant_id, scopes)
    assert sum(total for *_, total, _facets, _hits in expected) > 0
    assert _answers(parts, tenant_id, scopes) == expected
    whole.backend.vectorized = parts.backend.vectorized = False  # Whoosh's own collector
    assert _answers(parts, tenant_id, scopes) == _answers(whole, tenant_id, scopes)
    whole.close()
    parts.close()
