"""The index follows the database, survives losing its folder, and can be checked."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import select, update

from akte.app import create_app
from akte.case_files.models import CaseFile
from akte.core.context import AppContext
from akte.core.database import session_scope
from akte.documents import events
from akte.documents.models import Document
from akte.jobs.models import Job
from akte.jobs.worker import run_until_idle
from tests.builders import World
from tests.client import TestClient
from tests.search.conftest import add_document


def found(client: TestClient, world: World, q: str, who: str = "caseworker_a1") -> set[str]:
    response = client.get("/api/v1/search", params={"q": q}, headers=world.headers[who])
    assert response.status_code == 200, response.text
    return {hit["document_id"] for hit in response.json()["hits"]}


def test_documents_ready_together_are_indexed_in_one_write(
    sctx: AppContext, sclient: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Thirty documents of an import became ready in one go: their index jobs run as one
    batch, one index write (a Whoosh commit, a PostgreSQL transaction), and every document
    is findable afterwards."""
    backend = sctx.extensions["search"].backend
    writes: list[int] = []
    upsert = backend.upsert

    def counted(docs, *args):  # type: ignore[no-untyped-def]
        docs = list(docs)
        writes.append(len(docs))
        return upsert(docs, *args)

    monkeypatch.setattr(backend, "upsert", counted)
    with session_scope(sctx.session_factory) as session:
        for n in range(30):
            add_document(
                session, world.case_a1, title=f"Sammelbescheid {n}", pages=[f"Stapelwort Nr{n}x"]
            )
    run_until_idle(sctx)
    assert writes == [30]
    response = sclient.get(
        "/api/v1/search", params={"q": "Stapelwort"}, headers=world.headers["caseworker_a1"]
    )
    assert response.json()["total"] == 30
    assert len(found(sclient, world, "Nr17x")) == 1


def test_index_follows_the_database(sctx: AppContext, sclient: TestClient, world: World) -> None:
    with session_scope(sctx.session_factory) as session:
        doc = add_document(
            session,
            world.case_a1,
            title="Mietbescheinigung",
            pages=["Vermieterin Quastenflosser bestätigt die Miete."],
            status="processing",
        )
        doc_id = str(doc.id)
    run_until_idle(sctx)
    assert found(sclient, world, "Quastenflosser") == set(), "not ready: not searchable"

    with session_scope(sctx.session_factory) as session:  # what ingest does at the end
        session.get(Document, doc.id).status = "ready"
        events.document_changed(session, doc.id)
    run_until_idle(sctx)
    assert found(sclient, world, "Quastenflosser") == {doc_id}

    # Akte metadata change (through the API): the document is found under the new name
    patch = sclient.patch(
        f"/api/v1/case-files/{world.case_a1.id}",
        json={"person_name": "Wilhelmine Zwackelmann"},
        headers=world.headers["caseworker_a1"],
    )
    assert patch.status_code == 200, patch.text
    run_until_idle(sctx)
    assert found(sclient, world, "name:Zwackelmann") == {doc_id}

    # document metadata change (through the API)
    patch = sclient.patch(
        f"/api/v1/documents/{doc_id}",
        json={"title": "Untermietvertrag"},
        headers=world.headers["caseworker_a1"],
    )
    assert patch.status_code == 200, patch.text
    run_until_idle(sctx)
    assert found(sclient, world, "titel:Untermietvertrag") == {doc_id}
    assert found(sclient, world, "titel:Mietbescheinigung") == set()

    # moving the Akte to another org unit moves who may find it (as the service does it)
    with session_scope(sctx.session_factory) as session:
        session.get(CaseFile, world.case_a1.id).org_unit_id = world.unit_a2.id
        events.case_file_changed(session, world.case_a1.id)
    run_until_idle(sctx)
    assert found(sclient, world, "Quastenflosser") == set()
    assert found(sclient, world, "Quastenflosser", "caseworker_a2") == {doc_id}

    with session_scope(sctx.session_factory) as session:
        session.delete(session.get(Document, doc.id))
        events.document_removed(session, doc.id)
    run_until_idle(sctx)
    assert found(sclient, world, "Quastenflosser", "caseworker_a2") == set()
    assert found(sclient, world, "Quastenflosser") == set()


@pytest.mark.whoosh_engine
def test_lost_index_is_503_until_reindex(
    sctx: AppContext, sclient: TestClient, world: World
) -> None:
    with session_scope(sctx.session_factory) as session:
        doc = add_document(session, world.case_a1, pages=["Ein Brief über Rübenzucker."])
    run_until_idle(sctx)
    assert found(sclient, world, "Rübenzucker") == {str(doc.id)}

    service = sctx.extensions["search"]
    shutil.rmtree(service.root)
    response = sclient.get(
        "/api/v1/search", params={"q": "Rübenzucker"}, headers=world.headers["caseworker_a1"]
    )
    assert response.status_code == 503
    assert response.json()["error"] == "search_degraded"
    assert "reindex" in response.json()["detail"]

    service.reindex(sctx)
    assert found(sclient, world, "Rübenzucker") == {str(doc.id)}


@pytest.mark.whoosh_engine
def test_an_index_of_an_earlier_version_is_rebuilt_by_a_job(
    sctx: AppContext, sclient: TestClient, world: World
) -> None:
    with session_scope(sctx.session_factory) as session:
        doc = add_document(session, world.case_a1, pages=["Ein Brief über Kandiszucker."])
    run_until_idle(sctx)
    service = sctx.extensions["search"]
    service.backend.format_file.write_text("1")  # as left by the previous release
    service.bootstrap(sctx)
    service.bootstrap(sctx)  # a second process starting: still one job
    with session_scope(sctx.session_factory) as session:
        queued = session.scalars(
            select(Job).where(Job.kind == "search.reindex", Job.status == "queued")
        ).all()
        assert len(queued) == 1
    response = sclient.get(
        "/api/v1/search", params={"q": "Kandiszucker"}, headers=world.headers["caseworker_a1"]
    )
    assert response.status_code == 503
    assert "being rebuilt" in response.json()["detail"]
    run_until_idle(sctx)
    assert found(sclient, world, "Kandiszucker") == {str(doc.id)}


def test_check_reports_and_repairs(sctx: AppContext, sclient: TestClient, world: World) -> None:
    with session_scope(sctx.session_factory) as session:
        kept = add_document(session, world.case_a1, title="Alt", pages=["Eulenspiegelei"])
        lost = add_document(session, world.case_a1, title="Weg", pages=["Eulenspiegelei"])
    run_until_idle(sctx)
    service = sctx.extensions["search"]
    service.backend.delete([lost.id])  # as if a job had been lost
    with session_scope(sctx.session_factory) as session:  # a change without an event
        session.execute(
            update(Document).where(Document.id == kept.id).values(title="Neu Kranichfeder")
        )

    report = service.check(sctx)
    assert lost.id in report.missing and kept.id in report.stale
    assert found(sclient, world, "Kranichfeder") == set()

    service.check(sctx, repair=True)
    assert found(sclient, world, "Eulenspiegelei") == {str(kept.id), str(lost.id)}
    assert found(sclient, world, "Kranichfeder") == {str(kept.id)}
    after = service.check(sctx)
    assert kept.id not in after.stale and lost.id not in after.missing


@pytest.mark.whoosh_engine
def test_changes_during_a_rebuild_are_not_lost(
    sctx: AppContext, sclient: TestClient, world: World, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """A job that runs while ``reindex`` streams the old state lands in the new index."""
    service = sctx.extensions["search"]
    # in this process, so the edit can be slipped in between reading and swapping
    monkeypatch.setattr(sctx.settings, "search_reindex_workers", 1)
    with session_scope(sctx.session_factory) as session:
        doc = add_document(session, world.case_a1, title="Vorher", pages=["Pfauenauge"])
    run_until_idle(sctx)

    real_rebuild = service.backend.rebuild

    def rebuild_with_concurrent_edit(tenant_id, docs):  # type: ignore[no-untyped-def]
        docs = list(docs)  # the rebuild has read the database ...
        with session_scope(sctx.session_factory) as session:  # ... then a user edits
            session.get(Document, doc.id).title = "Nachher Schillerfalter"
            events.document_changed(session, doc.id)
        run_until_idle(sctx)
        # while the rebuild runs, search still answers from the live index
        assert found(sclient, world, "Pfauenauge") == {str(doc.id)}
        return real_rebuild(tenant_id, iter(docs))

    service.backend.rebuild = rebuild_with_concurrent_edit
    try:
        service.reindex(sctx)
    finally:
        service.backend.rebuild = real_rebuild
    assert found(sclient, world, "Schillerfalter") == {str(doc.id)}


@pytest.mark.whoosh_engine
def test_a_crashed_rebuild_is_forgotten_on_start(sctx: AppContext, world: World) -> None:
    """The marker of a rebuild whose process is gone must not make jobs journal forever."""
    service = sctx.extensions["search"]
    (service.root / "REBUILDING").write_text("999999999")
    (service.root / "rebuild.journal").write_text("")
    service.bootstrap(sctx)
    assert not (service.root / "REBUILDING").exists()
    assert service.reindex(sctx) >= 0  # and a new rebuild can run


@pytest.mark.whoosh_engine
def test_reindex_reports_progress_per_tenant(sctx: AppContext, world: World) -> None:
    """On PostgreSQL tenants are rebuilt in worker processes; the counts they report reach
    the caller (the CLI prints them) and add up to what was indexed."""
    with session_scope(sctx.session_factory) as session:
        add_document(session, world.case_a1, pages=["Fortschritt A"])
        add_document(session, world.case_b1, pages=["Fortschritt B"])
    run_until_idle(sctx)
    reported: list[tuple[str, int]] = []
    total = sctx.extensions["search"].reindex(sctx, lambda msg, n: reported.append((msg, n)))
    done = [(msg, n) for msg, n in reported if msg.endswith("done")]
    assert {f"tenant {world.tenant_a.id} done", f"tenant {world.tenant_b.id} done"} <= {
        msg for msg, _ in done
    }
    assert done[-1][1] == total >= 2


def test_a_damaged_index_is_503_but_an_engine_bug_is_500(
    ctx: AppContext, world: World, tmp_path, monkeypatch, caplog
) -> None:  # type: ignore[no-untyped-def]
    """Only the decoder's complaint about index files means "reindex"; any other exception
    in the engine (say, an attribute Whoosh renamed) is a bug: 500, traceback in the log.
    (Whoosh's files and decoder: this test is of the Whoosh engine.)"""
    from search import vectorized
    from tests.search.conftest import search_context

    sctx = search_context(ctx, tmp_path / "index", "whoosh")

    with session_scope(sctx.session_factory) as session:
        add_document(session, world.case_a1, pages=["Ein Brief über Gerstenmalz."])
    run_until_idle(sctx)
    with TestClient(
        create_app(ctx=sctx, start_worker=False), raise_server_exceptions=False
    ) as client:
        assert len(found(client, world, "Gerstenmalz")) == 1

        def drifted(*args, **kwargs):  # type: ignore[no-untyped-def]
            raise AttributeError("'W3LeafMatcher' object has no attribute '_data'")

        monkeypatch.setattr(vectorized, "run", drifted)
        response = client.get(
            "/api/v1/search",
            params={"q": "Gerstenmalz Hopfen"},
            headers=world.headers["caseworker_a1"],
        )
        assert response.status_code == 500, response.text
        assert response.json()["error"] != "search_degraded"
        assert any("W3LeafMatcher" in (r.exc_text or "") for r in caplog.records)
        monkeypatch.undo()

        backend = sctx.extensions["search"].backend
        tenant_dir = backend._tenant_dir(world.tenant_a.id)
        for segment in (tenant_dir / backend._generation(world.tenant_a.id)).glob("*.seg"):
            segment.write_bytes(segment.read_bytes()[:40])  # truncated by a disk error
        backend.close()  # a process starting now opens what is on disk
        response = client.get(
            "/api/v1/search",
            params={"q": "Gerstenmalz Malz"},
            headers=world.headers["caseworker_a1"],
        )
        assert response.status_code == 503, response.text
        assert response.json()["error"] == "search_degraded"
        assert "reindex" in response.json()["detail"]
    sctx.extensions["search"].close()
