"""What depends on the engine: start-up refusals, degradation, and the documented differences."""

from __future__ import annotations

import uuid

import pytest

from akte.app import create_app
from akte.core.context import AppContext
from akte.core.database import session_scope
from akte.jobs.worker import run_until_idle
from akte.tenants.models import OrgUnit, Tenant
from search.pg.service import PostgresIndexService
from search.placement import SearchPlacementError, owner_table
from tests.builders import World, make_case_file
from tests.client import TestClient
from tests.conftest import embedded_settings
from tests.infra.postgres import fresh_database
from tests.search.conftest import add_document


def _search(client: TestClient, world: World, q: str) -> set[str]:
    response = client.get("/api/v1/search", params={"q": q}, headers=world.headers["caseworker_a1"])
    assert response.status_code == 200, response.text
    return {hit["document_id"] or hit["note_id"] for hit in response.json()["hits"]}


def test_postgres_engine_is_refused_on_sqlite(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = embedded_settings(tmp_path, search_backend="postgres")
    with pytest.raises(SearchPlacementError, match="AKTE_SEARCH_BACKEND=whoosh"):
        AppContext.from_settings(settings)


def test_whoosh_on_postgres_refuses_a_second_index_in_production(ctx: AppContext, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The session's context owns the Whoosh index; a production process with another
    data folder would search a different copy: it must not start, and must say what to
    change. Claiming the index moves ownership explicitly."""
    if ctx.settings.is_sqlite:
        pytest.skip("one SQLite file is one host")
    other = ctx.settings.model_copy(update={"env": "production", "data_dir": tmp_path})
    with pytest.raises(SearchPlacementError) as refused:
        AppContext.from_settings(other)
    assert "AKTE_SEARCH_BACKEND=postgres" in str(refused.value)
    assert str(ctx.settings.index_dir.resolve()) in str(refused.value)
    with session_scope(ctx.session_factory) as session:
        before = session.execute(owner_table.select()).one()
    try:
        claimed = AppContext.from_settings(other.model_copy(update={"search_claim_index": True}))
        claimed.close()
        with session_scope(ctx.session_factory) as session:
            assert session.execute(owner_table.select()).one().index_dir == str(
                (tmp_path / "index").resolve()
            )
    finally:
        with session_scope(ctx.session_factory) as session:
            session.execute(
                owner_table.update().values(host=before.host, index_dir=before.index_dir)
            )


def test_postgres_engine_without_its_table_answers_503(
    ctx: AppContext, world: World, pg_admin_dsn: str
) -> None:
    """A read replica that was never migrated: search says so instead of answering 0."""
    if ctx.settings.is_sqlite:
        pytest.skip("the postgres engine needs PostgreSQL")
    with fresh_database(pg_admin_dsn) as empty_url:
        settings = ctx.settings.model_copy(
            update={"search_backend": "postgres", "search_database_url": empty_url}
        )
        base = AppContext(
            settings=settings,
            engine=ctx.engine,
            session_factory=ctx.session_factory,
            storage=ctx.storage,
        )
        service = PostgresIndexService(base)
        sctx = AppContext(
            settings=settings,
            engine=ctx.engine,
            session_factory=ctx.session_factory,
            storage=ctx.storage,
            extensions={**ctx.extensions, "search": service},
        )
        try:
            with TestClient(create_app(ctx=sctx, start_worker=False)) as client:
                response = client.get(
                    "/api/v1/search", params={"q": "Miete"}, headers=world.headers["caseworker_a1"]
                )
            assert response.status_code == 503, response.text
            assert response.json()["error"] == "search_degraded"
            assert "akte db upgrade" in response.json()["detail"]
        finally:
            service.close()


def test_misspelt_text_word_per_engine(
    sctx: AppContext, sclient: TestClient, world: World, search_engine: str
) -> None:
    """Typo tolerance works on both, for names and for words of the text (PostgreSQL:
    from the tenant's vocabulary, :mod:`search.pg.vocabulary`)."""
    with session_scope(sctx.session_factory) as session:
        tenant = session.get(Tenant, world.tenant_a.id)
        unit = session.get(OrgUnit, world.unit_a1.id)
        case_file = make_case_file(session, tenant, unit, person_name="Jadwiga Wroblewska")
        doc = add_document(
            session, case_file, title="Bescheid", pages=["Die Kieferorthopädie wird übernommen."]
        )
    run_until_idle(sctx)
    assert _search(sclient, world, "Wroblewka~") == {str(doc.id)}
    assert _search(sclient, world, "Kieferorthopädie") == {str(doc.id)}
    assert _search(sclient, world, "Kieferortopädie~") == {str(doc.id)}
    assert _search(sclient, world, "Kieferortopädie") == {str(doc.id)}  # the retry


def test_postgres_row_goes_with_the_document(
    sctx: AppContext, sclient: TestClient, world: World, search_engine: str
) -> None:
    """On PostgreSQL a deleted document leaves search in the deleting transaction, before
    any job has run; Whoosh waits for the ``search.remove_document`` job."""
    with session_scope(sctx.session_factory) as session:
        doc = add_document(session, world.case_a1, pages=["Rotkehlchenweg"])
    run_until_idle(sctx)
    assert _search(sclient, world, "Rotkehlchenweg") == {str(doc.id)}
    response = sclient.request(
        "DELETE",
        f"/api/v1/documents/{doc.id}",
        json={"reason": "Ausweiskopie"},
        headers=world.headers["caseworker_a1"],
    )
    assert response.status_code == 204, response.text
    if search_engine == "postgres":
        assert _search(sclient, world, "Rotkehlchenweg") == set()
    run_until_idle(sctx)
    assert _search(sclient, world, "Rotkehlchenweg") == set()


def test_reindex_and_check_on_either_engine(
    sctx: AppContext, sclient: TestClient, world: World
) -> None:
    """A rebuild restores what the database says (a document and an Aktenvermerk missing
    from the index come back) and ``check`` finds both missing before and nothing wrong
    after, on both engines."""
    with session_scope(sctx.session_factory) as session:
        doc = add_document(session, world.case_a1, pages=["Wiedehopfgasse"])
    r = sclient.post(
        f"/api/v1/case-files/{world.case_a1.id}/notes",
        json={"body": "Rückruf Zaunkönigstieg vereinbart"},
        headers=world.headers["caseworker_a1"],
    )
    assert r.status_code == 201, r.text
    note_id = uuid.UUID(r.json()["id"])
    run_until_idle(sctx)
    assert _search(sclient, world, "Zaunkönigstieg") == {str(note_id)}
    service = sctx.extensions["search"]
    service.backend.delete([doc.id, note_id])
    assert _search(sclient, world, "Wiedehopfgasse") == set()
    assert _search(sclient, world, "Zaunkönigstieg") == set()
    report = service.check(sctx)
    assert {doc.id, note_id} <= set(report.missing)
    service.reindex(sctx)
    assert _search(sclient, world, "Wiedehopfgasse") == {str(doc.id)}
    assert _search(sclient, world, "Zaunkönigstieg") == {str(note_id)}
    assert service.check(sctx).clean


def test_a_rejected_document_stays_out_of_search_after_a_rebuild(
    sctx: AppContext, sclient: TestClient, world: World
) -> None:
    """Turning a document back from the Posteingang removes it from search; neither a
    rebuild nor ``check`` brings it back (it stays in the Akte, marked with its reason)."""
    from akte.core.database import utcnow
    from akte.documents.models import Document

    with session_scope(sctx.session_factory) as session:
        doc = add_document(session, world.case_a1, pages=["Eisvogelweiher"])
    run_until_idle(sctx)
    assert _search(sclient, world, "Eisvogelweiher") == {str(doc.id)}
    with session_scope(sctx.session_factory) as session:
        session.get(Document, doc.id).rejected_at = utcnow()
    service = sctx.extensions["search"]
    service.backend.delete([doc.id])  # what rejecting queues (search.remove_document)
    service.reindex(sctx)
    assert _search(sclient, world, "Eisvogelweiher") == set()
    assert service.check(sctx).clean


def test_a_postgres_rebuild_leaves_the_planner_fresh_statistics(
    sctx: AppContext, search_engine: str, world: World
) -> None:
    """After ``akte search reindex`` the planner knows the rebuilt table: without
    statistics (a rebuild into an empty table, before autovacuum comes by) PostgreSQL
    planned a 1,000,000-row tenant as if it had a few rows and tested every row of the
    caller's scope one by one (bench.pg_plans: 337 ms for one word, 11 ms once analysed)."""
    if search_engine != "postgres":
        pytest.skip("planner statistics are the PostgreSQL engine's")
    from sqlalchemy import text

    with session_scope(sctx.session_factory) as session:
        add_document(session, world.case_a1, pages=["Kiebitzwiese"])
    with sctx.engine.connect() as conn:
        started = conn.scalar(text("SELECT clock_timestamp()"))
    sctx.extensions["search"].reindex(sctx)
    with sctx.engine.connect() as conn:
        analysed = conn.scalar(
            text("SELECT pg_stat_get_last_analyze_time('search_documents'::regclass)")
        )
        rows = conn.scalar(text("SELECT count(*) FROM search_documents"))
        estimate = conn.scalar(
            text("SELECT reltuples FROM pg_class WHERE oid = 'search_documents'::regclass")
        )
    assert analysed is not None and analysed >= started
    assert estimate == rows
