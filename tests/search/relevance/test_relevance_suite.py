"""Relevance of German search, measured: recall@10 and nDCG@10 per query kind and engine.

``corpus.tsv`` holds 56 short documents of one jobcenter (Bescheide, Kontoauszüge,
Lohnabrechnungen, Mietverträge, ärztliche Bescheinigungen, letters of other
authorities), ``queries.tsv`` 262 queries a caseworker types with the documents each
should find, judged by hand, of six kinds: whole word, compound part, synonym,
abbreviation, misspelling, foreign name. Documents go through the real path: rows in
the database, the index jobs' loader and engine, :func:`search.service.search` as the
API calls it. Titles are neutral ("Posteingang"), so the text is what is found.

Run with ``-s`` to see the table. The floors are what the suite measured when it was
written, rounded down; they only ever go up.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from akte.auth.principal import Principal
from akte.core.context import AppContext
from akte.core.database import session_scope
from akte.users.models import Role
from search import service
from tests.builders import make_case_file, make_org_unit, make_tenant
from tests.search.conftest import add_document, search_context

HERE = Path(__file__).parent
KINDS = ("whole", "part", "synonym", "abbreviation", "misspelling", "name")
#: recall@10 floors per kind and engine (targets of the issue: ≥ 0.95 for compound
#: parts, synonyms and names).
#: PostgreSQL corrects misspelt words of the text from the tenant's vocabulary
#: (search.pg.vocabulary, since 0940: 0.94; 0.30 before).
RECALL_FLOOR = {
    "whoosh": {
        "whole": 0.95,
        "part": 0.95,
        "synonym": 0.95,
        "abbreviation": 0.95,
        "misspelling": 0.85,
        "name": 0.95,
    },
    "postgres": {
        "whole": 0.95,
        "part": 0.95,
        "synonym": 0.95,
        "abbreviation": 0.95,
        "misspelling": 0.90,
        "name": 0.95,
    },
}


def read_tsv(name: str) -> list[list[str]]:
    lines = (HERE / name).read_text(encoding="utf-8").splitlines()
    return [line.split("\t") for line in lines if line.strip() and not line.startswith("#")]


@dataclass
class Suite:
    ctx: AppContext
    principal: Principal
    ids: dict[str, uuid.UUID]


@pytest.fixture(scope="module")
def suite(
    ctx: AppContext, search_engine: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Suite]:
    sctx = search_context(ctx, tmp_path_factory.mktemp("relevance22") / "index", search_engine)
    ids: dict[str, uuid.UUID] = {}
    with session_scope(ctx.session_factory) as session:
        tenant = make_tenant(session)
        unit = make_org_unit(session, tenant)
        case_files = {}
        for n, (key, person, text) in enumerate(read_tsv("corpus.tsv")):
            if person not in case_files:
                case_files[person] = make_case_file(
                    session,
                    tenant,
                    unit,
                    person_name=person,
                    aktenzeichen=f"AZ-2024-{len(case_files):06d}",
                    bg_nummer=f"77777BG{len(case_files):07d}",
                    status="open",
                )
            doc = add_document(
                session, case_files[person], title="Posteingang", doc_type=None, pages=[text]
            )
            ids[key] = doc.id
            assert n < 100
        principal = Principal(uuid.uuid4(), "sb", Role.caseworker, tenant.id, frozenset({unit.id}))
    sctx.extensions["search"].index_documents(sctx, list(ids.values()))
    yield Suite(sctx, principal, ids)
    sctx.extensions["search"].close()


def top10(suite: Suite, q: str) -> list[uuid.UUID]:
    with session_scope(suite.ctx.session_factory) as session:
        result = service.search(suite.ctx, session, suite.principal, q=q, size=10)
    return [hit.document_id for hit in result.hits]


def ndcg(ranked: list[uuid.UUID], relevant: set[uuid.UUID]) -> float:
    gain = sum(1 / math.log2(i + 2) for i, d in enumerate(ranked[:10]) if d in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(10, len(relevant))))
    return gain / ideal


def test_data_files_are_judged() -> None:
    """Every query names documents of the corpus; every kind has queries; ≥ 200 in all."""
    keys = {row[0] for row in read_tsv("corpus.tsv")}
    queries = read_tsv("queries.tsv")
    assert len(queries) >= 200 and 40 <= len(keys) <= 60
    assert {row[0] for row in queries} == set(KINDS)
    unknown = [(q, d) for _k, q, docs in queries for d in docs.split() if d not in keys]
    assert not unknown, unknown


def test_recall_and_ndcg_per_kind(suite: Suite, search_engine: str) -> None:
    recall: dict[str, list[float]] = {k: [] for k in KINDS}
    gains: dict[str, list[float]] = {k: [] for k in KINDS}
    missed: dict[str, list[str]] = {k: [] for k in KINDS}
    disordered: dict[str, list[str]] = {k: [] for k in KINDS}
    for kind, q, docs in read_tsv("queries.tsv"):
        relevant = {suite.ids[d] for d in docs.split()}
        ranked = top10(suite, q)
        found = len(relevant & set(ranked)) / len(relevant)
        recall[kind].append(found)
        gains[kind].append(ndcg(ranked, relevant))
        if found < 1:
            missed[kind].append(q)
        elif gains[kind][-1] < 1:
            disordered[kind].append(q)
    print(f"\nrelevance, engine {search_engine}: kind, queries, recall@10, nDCG@10")
    for kind in KINDS:
        n = len(recall[kind])
        print(
            f"  {kind:13s} {n:4d}  {sum(recall[kind]) / n:.3f}  {sum(gains[kind]) / n:.3f}"
            f"  missed: {', '.join(missed[kind][:8])}"
            f"  found below others: {', '.join(disordered[kind][:8])}"
        )
    low = {
        kind: round(sum(recall[kind]) / len(recall[kind]), 3)
        for kind in KINDS
        if sum(recall[kind]) / len(recall[kind]) < RECALL_FLOOR[search_engine][kind]
    }
    assert not low, (low, missed)


def test_whole_word_ranks_above_compound_part(suite: Suite) -> None:
    """ "Nebenkosten": the Mietbescheinigung that says "Nebenkosten" comes before the
    Nebenkostenabrechnung, which contains it only as a part."""
    ranked = top10(suite, "Nebenkosten")
    assert ranked.index(suite.ids["mb1"]) < ranked.index(suite.ids["nk1"])


def test_tenant_admin_adds_synonyms(suite: Suite) -> None:
    """A tenant admin's own group ("WoGG, Wohngeld") applies to the tenant's searches; a
    caseworker may not change it, and a group without a comma is refused."""
    from akte.core.errors import AkteError
    from akte.tenants import options
    from akte.tenants.models import Tenant

    tenant_id = suite.principal.tenant_id
    assert suite.ids["wg1"] not in top10(suite, "WoGG")
    admin = Principal(uuid.uuid4(), "admin", Role.tenant_admin, tenant_id, frozenset())
    with session_scope(suite.ctx.session_factory) as session:
        tenant = session.get(Tenant, tenant_id)
        with pytest.raises(AkteError) as refused:
            options.update(
                session, suite.principal, tenant, {"search_synonyms": ["WoGG, Wohngeld"]}
            )
        assert refused.value.status_code == 403
        with pytest.raises(AkteError) as invalid:
            options.update(session, admin, tenant, {"search_synonyms": ["WoGG Wohngeld"]})
        assert invalid.value.status_code == 422
    with session_scope(suite.ctx.session_factory) as session:
        options.update(
            session, admin, session.get(Tenant, tenant_id), {"search_synonyms": ["WoGG, Wohngeld"]}
        )
    try:
        assert suite.ids["wg1"] in top10(suite, "WoGG")
    finally:
        with session_scope(suite.ctx.session_factory) as session:
            options.update(
                session, admin, session.get(Tenant, tenant_id), {"search_synonyms": None}
            )
