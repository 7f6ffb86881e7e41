"""``akte search reindex`` on PostgreSQL: a fresh table, indexed in bulk and swapped in
(``search/pg/rebuild.py``) — nothing written while it runs may be lost, and the table it
leaves must be the table the migrations made."""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text

from akte.core.context import AppContext
from akte.core.database import session_scope, utcnow
from akte.documents import events
from akte.documents.models import Document
from akte.jobs.worker import run_until_idle
from search import loader
from search.pg import rebuild
from tests.builders import World
from tests.client import TestClient
from tests.infra.ports import free_port, wait_for_port
from tests.search.conftest import add_document
from tests.search.test_live_rebuild import (
    akte,
    answers,
    corpus,
    operator_env,
    output,
    run_while_querying,
    stop,
)


@pytest.fixture
def pg_only(search_engine: str) -> None:
    if search_engine != "postgres":
        pytest.skip("the rebuild's table swap belongs to the PostgreSQL engine")


def _found(client: TestClient, world: World, q: str) -> set[str]:
    response = client.get("/api/v1/search", params={"q": q}, headers=world.headers["caseworker_a1"])
    assert response.status_code == 200, response.text
    return {hit["document_id"] or hit["note_id"] for hit in response.json()["hits"]}


def _shape(sctx: AppContext) -> dict[str, object]:
    """What the migrations made of ``search_documents``: its index definitions, its
    constraints (with whether they are validated) and its triggers."""
    with sctx.engine.connect() as conn:
        return {
            "indexes": sorted(
                conn.execute(
                    text(
                        "SELECT indexname, indexdef FROM pg_indexes "
                        "WHERE tablename = 'search_documents'"
                    )
                ).all()
            ),
            "constraints": sorted(
                conn.execute(
                    text(
                        "SELECT conname, pg_get_constraintdef(oid), convalidated FROM pg_constraint "
                        "WHERE conrelid = 'search_documents'::regclass"
                    )
                ).all()
            ),
            "triggers": sorted(
                conn.scalars(
                    text(
                        "SELECT pg_get_triggerdef(oid) FROM pg_trigger "
                        "WHERE tgrelid = 'search_documents'::regclass AND NOT tgisinternal"
                    )
                )
            ),
            "columns": conn.execute(
                text(
                    "SELECT attname, format_type(atttypid, atttypmod), attnotnull, attstorage, "
                    "attcompression FROM pg_attribute WHERE attrelid = 'search_documents'::regclass "
                    "AND attnum > 0 AND NOT attisdropped ORDER BY attnum"
                )
            ).all(),
        }


def test_a_rebuild_loses_nothing_written_while_it_runs(
    pg_only: None, sctx: AppContext, sclient: TestClient, world: World
) -> None:
    """Between filling the new table and swapping it in, users edit, delete, reject and
    add documents and write an Aktenvermerk, and the index jobs run (into the live
    table, which search keeps answering from); the swapped-in table has all of it."""
    service = sctx.extensions["search"]
    with session_scope(sctx.session_factory) as session:
        edited = add_document(session, world.case_a1, title="Vorher", pages=["Pfauenauge"])
        deleted = add_document(session, world.case_a1, pages=["Pfauenauge Zitronenfalter"])
        rejected = add_document(session, world.case_a1, pages=["Pfauenauge Trauermantel"])
        kept = add_document(session, world.case_a1, pages=["Pfauenauge Admiral"])
    run_until_idle(sctx)
    assert _found(sclient, world, "Pfauenauge") == {
        str(d.id) for d in (edited, deleted, rejected, kept)
    }
    shape = _shape(sctx)
    added: list[uuid.UUID] = []

    def meanwhile() -> None:
        with session_scope(sctx.session_factory) as session:
            session.get(Document, edited.id).title = "Nachher Schillerfalter"
            events.document_changed(session, edited.id)
            session.delete(session.get(Document, deleted.id))
            session.get(Document, rejected.id).rejected_at = utcnow()
            added.append(add_document(session, world.case_a1, pages=["Pfauenauge Kaisermantel"]).id)
        service.backend.delete([rejected.id])  # what rejecting queues (search.remove_document)
        r = sclient.post(
            f"/api/v1/case-files/{world.case_a1.id}/notes",
            json={"body": "Rückruf wegen Aurorafalter"},
            headers=world.headers["caseworker_a1"],
        )
        assert r.status_code == 201, r.text
        added.append(uuid.UUID(r.json()["id"]))
        run_until_idle(sctx)
        # the new table is complete but not live: search answers from the old one, which
        # the index jobs keep in step
        assert _found(sclient, world, "Schillerfalter") == {str(edited.id)}
        assert _found(sclient, world, "Kaisermantel") == {str(added[0])}

    service.before_swap = meanwhile
    try:
        service.reindex(sctx)
    finally:
        service.before_swap = None
    assert _found(sclient, world, "Pfauenauge") == {str(edited.id), str(kept.id), str(added[0])}
    assert _found(sclient, world, "Schillerfalter") == {str(edited.id)}
    assert _found(sclient, world, "Vorher") == set()
    assert _found(sclient, world, "Zitronenfalter") == set()
    assert _found(sclient, world, "Trauermantel") == set()
    assert _found(sclient, world, "Aurorafalter") == {str(added[1])}
    assert service.check(sctx).clean
    assert _shape(sctx) == shape  # same indexes, keys (validated), triggers, columns
    with sctx.engine.connect() as conn:
        assert conn.scalar(text("SELECT to_regclass(:t)"), {"t": rebuild.NEXT}) is None
        assert conn.scalar(text("SELECT to_regclass(:t)"), {"t": rebuild.OLD}) is None
        # ``head`` written by Python equals what the trigger computes
        assert (
            conn.scalar(
                text(
                    "SELECT count(*) FROM search_documents "
                    "WHERE head IS DISTINCT FROM ts_filter(tsv, '{a,b}')"
                )
            )
            == 0
        )
    # the swapped-in table's foreign key cascades
    with session_scope(sctx.session_factory) as session:
        session.delete(session.get(Document, kept.id))
    assert _found(sclient, world, "Admiral") == set()


def test_an_index_job_in_flight_at_the_swap_is_carried_over(
    pg_only: None, sctx: AppContext, sclient: TestClient, world: World
) -> None:
    """An index job whose transaction is still open when the swap starts: the swap waits
    for it, and its row (written to the old table) is in the new one."""
    service = sctx.extensions["search"]
    with session_scope(sctx.session_factory) as session:
        doc = add_document(session, world.case_a1, title="Alt", pages=["Distelfalter"])
    run_until_idle(sctx)
    committed = threading.Event()

    def job_in_flight() -> None:
        with session_scope(sctx.session_factory) as session:
            session.get(Document, doc.id).title = "Neu Segelfalter"
        opened = threading.Event()

        def job() -> None:
            with sctx.engine.begin() as conn:
                service.backend.upsert(loader.load(_session(conn), [doc.id]), conn)
                opened.set()
                time.sleep(1.0)  # the swap starts meanwhile and waits for this commit
            committed.set()

        threading.Thread(target=job).start()
        assert opened.wait(10)

    def _session(conn):  # type: ignore[no-untyped-def]
        from sqlalchemy.orm import Session

        return Session(bind=conn)

    service.before_swap = job_in_flight
    try:
        service.reindex(sctx)
    finally:
        service.before_swap = None
    assert committed.is_set()
    assert _found(sclient, world, "Segelfalter") == {str(doc.id)}
    assert _found(sclient, world, "Alt") == set()


def test_rebuilt_rows_equal_the_rows_index_jobs_write(
    pg_only: None, sctx: AppContext, world: World
) -> None:
    """The rebuild loads through its own statement and writes ``head`` itself: every
    column of every row equals what an index job writes for the same document."""
    with session_scope(sctx.session_factory) as session:
        ids = [
            add_document(
                session,
                world.case_a1,
                title=f"Mietvertrag {n}",
                doc_type="Mietvertrag",
                pages=["Kosten der Unterkunft, Nebenkostenabrechnung", "", f"Seite {n} Müller"],
            ).id
            for n in range(5)
        ]
    run_until_idle(sctx)
    columns = "doc_id, tsv, head, idents, names, stamp, sort_date, year, title, received_at"
    sql = text(f"SELECT {columns} FROM search_documents WHERE doc_id = ANY(:ids)")  # noqa: S608
    with sctx.engine.connect() as conn:
        before = sorted(conn.execute(sql, {"ids": ids}).all())
    sctx.extensions["search"].reindex(sctx)
    with sctx.engine.connect() as conn:
        after = sorted(conn.execute(sql, {"ids": ids}).all())
    assert len(before) == 5
    assert after == before


class _Rebuilding:
    """Whether a rebuild's new table exists (``run_while_querying``'s marker)."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def exists(self) -> bool:
        with self.ctx.engine.connect() as conn:
            return conn.scalar(text("SELECT to_regclass(:t)"), {"t": rebuild.NEXT}) is not None


def test_reindex_while_serving_keeps_every_answer(
    ctx: AppContext, world: World, tmp_path: Path
) -> None:
    """A real ``akte serve`` and ``akte worker`` on the PostgreSQL engine; ``akte search
    reindex`` runs as its own process while queries run one after the other: every
    answer before, during (the new table being filled, indexed, swapped) and after is
    the same."""
    if ctx.settings.is_sqlite:
        pytest.skip("the postgres engine needs PostgreSQL")
    env = {**operator_env(ctx, tmp_path), "AKTE_SEARCH_BACKEND": "postgres"}
    expected = corpus(ctx, world)
    port = free_port()
    processes = []
    try:
        first = akte(env, "search", "reindex")  # the documents above, as after an upgrade
        assert first.wait(timeout=600) == 0, output(first)
        processes.append(akte(env, "serve", "--host", "127.0.0.1", "--port", str(port)))
        processes.append(akte(env, "worker", "--processes", "1"))
        assert wait_for_port(port, 60), "akte serve did not start"
        base = f"http://127.0.0.1:{port}"
        assert answers(base, world, expected) == expected, "before"
        during = run_while_querying(
            env, ["search", "reindex"], base, world, expected, _Rebuilding(ctx)
        )
        assert answers(base, world, expected) == expected, "after reindex"
        assert during > 0, "no query was answered while the rebuild ran"
    finally:
        for process in processes:
            stop(process)
