"""Typo tolerance of the PostgreSQL engine: each tenant's vocabulary, and only its own."""

from __future__ import annotations

import importlib.util
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text

from akte.core.context import AppContext
from akte.core.database import session_scope
from akte.jobs.worker import run_until_idle
from akte.tenants.models import OrgUnit, Tenant
from search.analysis import fold
from search.pg import vocabulary
from tests.builders import World, make_case_file
from tests.client import TestClient
from tests.search.conftest import add_document

MIGRATION = Path(__file__).parents[2] / "migrations" / "versions" / "0940_search_vocabulary.py"


@pytest.fixture
def pg_only(search_engine: str) -> None:
    if search_engine != "postgres":
        pytest.skip("the vocabulary table belongs to the PostgreSQL engine")


def _word() -> tuple[str, str]:
    """A word no other test wrote ("Kieferorthopädie…") and the same word misspelt (one
    letter missing, one wrong)."""
    # the tail starts with a consonant: "…ädia" + "e…" would fold "ae" to "a" (as "ä"),
    # a third edit, and the misspelling would rightly find nothing (1 run in 15)
    tail = "z" + "".join(chr(97 + int(c, 16) % 26) for c in uuid.uuid4().hex[:5])
    return f"Kieferorthopädie{tail}", f"Kieferortopädia{tail}"


def _search(client: TestClient, world: World, who: str, q: str) -> set[str]:
    response = client.get("/api/v1/search", params={"q": q}, headers=world.headers[who])
    assert response.status_code == 200, response.text
    return {hit["document_id"] for hit in response.json()["hits"]}


def _document(sctx: AppContext, tenant_id: uuid.UUID, unit_id: uuid.UUID, page: str) -> str:
    with session_scope(sctx.session_factory) as session:
        case_file = make_case_file(
            session,
            session.get(Tenant, tenant_id),
            session.get(OrgUnit, unit_id),
            person_name="Rosa Stein",
        )
        doc = add_document(session, case_file, title="Kostenplan", pages=[page])
    run_until_idle(sctx)
    return str(doc.id)


def _close(sctx: AppContext, tenant_id: uuid.UUID, misspelt: str) -> list[str]:
    stem = vocabulary.key(misspelt)
    with sctx.engine.connect() as conn, conn.begin():
        return vocabulary.close_words(conn, tenant_id, {stem: (fold(misspelt), 2)})[stem]


def test_a_misspelt_word_is_corrected_from_the_own_tenant_only(
    pg_only: None, sctx: AppContext, sclient: TestClient, world: World
) -> None:
    """Tenant B's document has the word; tenant A's caseworker misspells it: A gets no
    correction from B's words (nothing found, B's word not among A's close words). Once
    A's own document has the word, indexing puts it into A's vocabulary and the misspelt
    query finds it."""
    word, misspelt = _word()
    doc_b = _document(sctx, world.tenant_b.id, world.unit_b1.id, f"Der Plan zur {word}.")
    assert _search(sclient, world, "caseworker_b", misspelt) == {doc_b}
    assert _close(sctx, world.tenant_b.id, misspelt) == [vocabulary.key(word)]

    assert _search(sclient, world, "caseworker_a1", misspelt) == set()
    assert _close(sctx, world.tenant_a.id, misspelt) == []

    doc_a = _document(sctx, world.tenant_a.id, world.unit_a1.id, f"Antrag auf {word}.")
    assert _search(sclient, world, "caseworker_a1", misspelt) == {doc_a}
    assert _search(sclient, world, "caseworker_a1", f"{misspelt}~2") == {doc_a}


def test_a_word_of_another_org_unit_finds_nothing_outside_the_scope(
    pg_only: None, sctx: AppContext, sclient: TestClient, world: World
) -> None:
    """The vocabulary is per tenant, the search per scope: a caseworker of unit a2 whose
    misspelling is corrected to a word of unit a1's document still sees none of a1."""
    word, misspelt = _word()
    _document(sctx, world.tenant_a.id, world.unit_a1.id, f"Der Plan zur {word}.")
    response = sclient.get(
        "/api/v1/search", params={"q": misspelt}, headers=world.headers["caseworker_a2"]
    )
    assert response.status_code == 200
    assert response.json()["total"] == 0 and response.json()["hits"] == []


def test_the_migration_backfills_the_words_of_indexed_documents(
    pg_only: None, sctx: AppContext, world: World
) -> None:
    word, misspelt = _word()
    _document(sctx, world.tenant_b.id, world.unit_b1.id, f"Bescheid zur {word}.")
    with sctx.engine.begin() as conn:
        conn.execute(
            text("DELETE FROM search_vocabulary WHERE word = :w"), {"w": vocabulary.key(word)}
        )
    assert _close(sctx, world.tenant_b.id, misspelt) == []
    spec = importlib.util.spec_from_file_location("m0940", MIGRATION)
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    with sctx.engine.begin() as conn:
        conn.exec_driver_sql(migration.BACKFILL)
    assert _close(sctx, world.tenant_b.id, misspelt) == [vocabulary.key(word)]


def _words(sctx: AppContext, tenant_id: uuid.UUID, *words: str) -> set[str]:
    keys = [vocabulary.key(w) for w in words]
    with sctx.engine.connect() as conn:
        return set(
            conn.scalars(
                text("SELECT word FROM search_vocabulary WHERE tenant_id = :t AND word = ANY(:w)"),
                {"t": tenant_id, "w": keys},
            )
        )


def test_pruning_drops_the_words_no_document_has_any_more(
    pg_only: None, sctx: AppContext, sclient: TestClient, world: World
) -> None:
    """A deleted document's own word leaves the vocabulary at the next sweep; a word
    another document of the tenant still has stays, and so does the same word in
    another tenant whose document remains."""
    gone, misspelt = _word()
    kept, _ = _word()
    doc_a = _document(sctx, world.tenant_a.id, world.unit_a1.id, f"Plan zur {gone} und {kept}.")
    _document(sctx, world.tenant_a.id, world.unit_a1.id, f"Antrag zur {kept}.")
    _document(sctx, world.tenant_b.id, world.unit_b1.id, f"Bescheid zur {gone}.")
    with sctx.engine.begin() as conn:
        conn.execute(text("DELETE FROM search_documents WHERE doc_id = :d"), {"d": doc_a})
    assert _words(sctx, world.tenant_a.id, gone, kept) == {
        vocabulary.key(gone),
        vocabulary.key(kept),
    }

    # batches of 7 words: the keyset paging crosses many batches of the tenant's words
    assert vocabulary.prune(sctx.engine, world.tenant_a.id, batch=7) >= 1
    assert _words(sctx, world.tenant_a.id, gone, kept) == {vocabulary.key(kept)}
    assert _close(sctx, world.tenant_a.id, misspelt) == []
    assert _words(sctx, world.tenant_b.id, gone) == {vocabulary.key(gone)}
    assert vocabulary.prune(sctx.engine, world.tenant_a.id) == 0


def test_pruning_waits_for_an_index_job_that_has_recorded_its_words(
    pg_only: None, sctx: AppContext, world: World
) -> None:
    """An index transaction has written a row and recorded its words (one of which the
    vocabulary already had from a deleted document) but not committed: the sweep waits
    for it and then keeps the word, instead of deleting what the new row needs."""
    import threading

    word, misspelt = _word()
    doc = _document(sctx, world.tenant_a.id, world.unit_a1.id, f"Plan zur {word}.")
    with sctx.engine.connect() as conn:
        row = (
            conn.execute(text("SELECT * FROM search_documents WHERE doc_id = :d"), {"d": doc})
            .mappings()
            .one()
        )
    with sctx.engine.begin() as conn:
        conn.execute(text("DELETE FROM search_documents WHERE doc_id = :d"), {"d": doc})

    pruned: list[int] = []
    with sctx.engine.connect() as writer:
        tx = writer.begin()
        # the columns are the table's own (read above), the values bound parameters
        columns = ", ".join(row)
        values = ", ".join(f":{c}" for c in row)
        insert = f"INSERT INTO search_documents ({columns}) VALUES ({values})"  # noqa: S608
        writer.execute(text(insert), dict(row))
        writer.exec_driver_sql(vocabulary.RECORD_WORDS, (world.tenant_a.id, [vocabulary.key(word)]))
        sweep = threading.Thread(
            target=lambda: pruned.append(vocabulary.prune(sctx.engine, world.tenant_a.id))
        )
        sweep.start()
        sweep.join(timeout=2)
        assert sweep.is_alive(), "the sweep must wait for the uncommitted index transaction"
        tx.commit()
    sweep.join(timeout=30)
    assert not sweep.is_alive()
    assert _words(sctx, world.tenant_a.id, word) == {vocabulary.key(word)}
    assert _close(sctx, world.tenant_a.id, misspelt) == [vocabulary.key(word)]
