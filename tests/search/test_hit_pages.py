"""A hit deep in a long document is located: the page numbers where the words occur, the
snippet cut from that page with the words marked, and a search within one Akte."""

from __future__ import annotations

import pytest

from akte.core.context import AppContext
from akte.core.database import session_scope
from akte.jobs.worker import run_until_idle
from tests.builders import World, make_case_file
from tests.client import TestClient
from tests.search.conftest import add_document

WORD = "Nebenkostennachzahlung"


@pytest.fixture
def long_docs(sctx: AppContext, world: World) -> dict[str, str]:
    pages = [f"Seite {n}: Kontoumsätze ohne Besonderheiten" for n in range(1, 301)]
    pages[217] = f"Seite 218: {WORD} der Wohnungsgesellschaft über 310 EUR"
    pages[260] = f"Seite 261: nochmals die {WORD}"
    with session_scope(sctx.session_factory) as session:
        made = {
            "long": add_document(session, world.case_a1, title="Altakte 300 Seiten", pages=pages),
            "other_akte": add_document(
                session,
                make_case_file(session, world.tenant_a, world.unit_a1),
                title="Mietsache",
                pages=[f"{WORD} Hinweis"],
            ),
        }
        ids = {k: str(d.id) for k, d in made.items()}
    run_until_idle(sctx)
    return ids


def _search(client: TestClient, world: World, who: str = "caseworker_a1", **params: object):  # type: ignore[no-untyped-def]
    return client.get("/api/v1/search", params={"q": WORD, **params}, headers=world.headers[who])


def test_the_hit_names_its_pages_and_quotes_the_right_one(sclient, world, long_docs) -> None:  # type: ignore[no-untyped-def]
    response = _search(sclient, world)
    assert response.status_code == 200, response.text
    [hit] = [h for h in response.json()["hits"] if h["document_id"] == long_docs["long"]]
    assert hit["pages"] == [218, 261]
    assert f"<mark>{WORD}</mark>" in hit["snippet"]
    assert "Wohnungsgesellschaft" in hit["snippet"]  # page 218's text, not page 1's


def test_search_within_one_akte(sclient, world, long_docs) -> None:  # type: ignore[no-untyped-def]
    everywhere = {h["document_id"] for h in _search(sclient, world).json()["hits"]}
    assert everywhere == {long_docs["long"], long_docs["other_akte"]}
    one = _search(sclient, world, case_file_id=str(world.case_a1.id)).json()
    assert {h["document_id"] for h in one["hits"]} == {long_docs["long"]}
    assert one["total"] == 1 and sum(one["facets"]["year"].values()) == 1


def test_an_akte_the_caller_cannot_read_is_404_and_reveals_nothing(
    sclient, world, long_docs
) -> None:  # type: ignore[no-untyped-def]
    for who in ("caseworker_a2", "caseworker_b"):
        answer = _search(sclient, world, who=who, case_file_id=str(world.case_a1.id))
        assert answer.status_code == 404, who
        assert long_docs["long"] not in answer.text
