"""Aktenvermerke are found by search, in exactly the scope of their Akte: a note of another
org unit's or tenant's Akte never appears, not in the hits and not in the counts."""

from __future__ import annotations

import pytest

from akte.core.context import AppContext
from akte.jobs.worker import run_until_idle
from tests.builders import World
from tests.client import TestClient
from tests.search.conftest import differs

WORD = "Zahnprothesenzuschuss"


def _note(client: TestClient, world: World, who: str, case_file, body: str) -> str:  # type: ignore[no-untyped-def]
    r = client.post(
        f"/api/v1/case-files/{case_file.id}/notes", json={"body": body}, headers=world.headers[who]
    )
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _search(client: TestClient, world: World, who: str, q: str) -> dict:
    r = client.get("/api/v1/search", params={"q": q}, headers=world.headers[who])
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture
def notes(
    sctx: AppContext, sclient: TestClient, world: World, search_engine: str
) -> dict[str, str]:
    if differs(search_engine, "notes"):
        pytest.skip("this engine does not index Aktenvermerke (see DIFFERENCES)")
    made = {
        "a1": _note(
            sclient,
            world,
            "caseworker_a1",
            world.case_a1,
            f"Telefonat: Antrag auf {WORD} besprochen, Kostenvoranschlag folgt.",
        ),
        "a2": _note(
            sclient, world, "caseworker_a2", world.case_a2, f"{WORD} abgelehnt, Bescheid geht raus."
        ),
        "b1": _note(sclient, world, "caseworker_b", world.case_b1, f"{WORD} in Tenant B."),
    }
    run_until_idle(sctx)
    return made


def test_a_note_is_found_by_its_words_with_its_akte(
    sclient: TestClient, world: World, notes
) -> None:  # type: ignore[no-untyped-def]
    body = _search(sclient, world, "caseworker_a1", WORD)
    assert body["total"] == 1
    [hit] = body["hits"]
    assert hit["kind"] == "note" and hit["note_id"] == notes["a1"]
    assert hit["document_id"] is None
    assert hit["case_file"]["id"] == str(world.case_a1.id)
    assert hit["doc_type"] == "Aktenvermerk" and "<mark>" in hit["snippet"]
    assert body["facets"]["source"] == {"note": 1}


def test_notes_of_foreign_org_units_and_tenants_never_appear(
    sclient: TestClient, world: World, notes
) -> None:  # type: ignore[no-untyped-def]
    seen = {
        who: {h["note_id"] for h in _search(sclient, world, who, WORD)["hits"]}
        for who in ("caseworker_a1", "caseworker_a2", "caseworker_b", "caseworker_none")
    }
    assert seen == {
        "caseworker_a1": {notes["a1"]},
        "caseworker_a2": {notes["a2"]},
        "caseworker_b": {notes["b1"]},
        "caseworker_none": set(),
    }
    assert _search(sclient, world, "caseworker_none", WORD)["total"] == 0


def test_a_grant_lends_the_akte_s_notes_to_search_too(
    sctx: AppContext, sclient: TestClient, world: World, notes
) -> None:  # type: ignore[no-untyped-def]
    r = sclient.put(
        f"/api/v1/case-files/{world.case_a1.id}/grants/{world.unit_a2.id}",
        json={},
        headers=world.headers["admin_a"],
    )
    assert r.status_code == 200, r.text
    run_until_idle(sctx)
    found = {h["note_id"] for h in _search(sclient, world, "caseworker_a2", WORD)["hits"]}
    assert found == {notes["a1"], notes["a2"]}
    assert notes["b1"] not in found
