"""The document list of an Akte: sorting, filters, a search scoped to the Akte, paging, and
unknown parameters refused rather than ignored."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from akte.casework.models import Vorgang, VorgangDocument
from akte.core.database import session_scope
from tests.builders import World
from tests.search.conftest import add_document


@pytest.fixture
def akte(ctx, world: World) -> dict[str, uuid.UUID]:
    """Five documents in Akte A1 (one in a Vorgang) and one in A2 with the same words."""
    with session_scope(ctx.session_factory) as session:
        docs = {
            "bescheid": add_document(
                session,
                world.case_a1,
                title="Bewilligungsbescheid",
                doc_type="Bescheid",
                pages=["Leistungen bewilligt"],
                document_date=date(2023, 5, 2),
            ),
            "antrag": add_document(
                session,
                world.case_a1,
                title="Antrag WBA",
                doc_type="Antrag",
                source="citizen-upload",
                pages=["Seite eins", "Mietvertrag Wohnung Hauptstraße"],
                document_date=date(2024, 1, 10),
            ),
            "konto": add_document(
                session,
                world.case_a1,
                title="Kontoauszug",
                doc_type="Kontoauszug",
                pages=["Saldo"],
                document_date=date(2024, 3, 31),
                status="failed",
            ),
            "zeugnis": add_document(
                session,
                world.case_a1,
                title="Zeugnis",
                pages=["Note 2"],
                document_date=date(2022, 7, 1),
            ),
            "brief": add_document(
                session,
                world.case_a1,
                title="Anhörung",
                doc_type="Bescheid",
                pages=["Anhörung Mietvertrag"],
                document_date=date(2024, 6, 1),
            ),
            "foreign": add_document(
                session,
                world.case_a2,
                title="Mietvertrag",
                doc_type="Bescheid",
                pages=["Mietvertrag"],
            ),
        }
        vorgang = Vorgang(
            tenant_id=world.tenant_a.id, case_file_id=world.case_a1.id, title="WBA 2024"
        )
        session.add(vorgang)
        session.flush()
        session.add(VorgangDocument(document_id=docs["antrag"].id, vorgang_id=vorgang.id))
        ids = {name: d.id for name, d in docs.items()} | {"vorgang": vorgang.id}
    return ids


def _list(client, world: World, who: str = "caseworker_a1", case_file=None, **params):
    case_file = case_file or world.case_a1
    return client.get(
        f"/api/v1/case-files/{case_file.id}/documents", params=params, headers=world.headers[who]
    )


def _titles(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [d["title"] for d in response.json()["items"]]


def test_sort_by_title_both_ways(client, world, akte):
    asc = _titles(_list(client, world, sort="title", order="asc"))
    assert asc == ["Anhörung", "Antrag WBA", "Bewilligungsbescheid", "Kontoauszug", "Zeugnis"]
    assert _titles(_list(client, world, sort="title", order="desc")) == asc[::-1]


def test_sort_by_doc_type_and_status(client, world, akte):
    by_type = _titles(_list(client, world, sort="doc_type", order="asc"))
    assert by_type[0] == "Zeugnis"  # no Dokumentart first when ascending
    assert by_type[1] == "Antrag WBA" and by_type[-1] == "Kontoauszug"
    by_status = _titles(_list(client, world, sort="status", order="asc"))
    assert by_status[0] == "Kontoauszug"  # failed < ready


def test_filters(client, world, akte):
    assert sorted(_titles(_list(client, world, doc_type="Bescheid"))) == [
        "Anhörung",
        "Bewilligungsbescheid",
    ]
    assert _titles(_list(client, world, doc_type="-")) == ["Zeugnis"]
    assert sorted(_titles(_list(client, world, year=2024))) == [
        "Anhörung",
        "Antrag WBA",
        "Kontoauszug",
    ]
    assert _titles(_list(client, world, source="citizen-upload")) == ["Antrag WBA"]
    assert _titles(_list(client, world, status="failed")) == ["Kontoauszug"]
    assert _titles(_list(client, world, vorgang=str(akte["vorgang"]))) == ["Antrag WBA"]
    assert "Antrag WBA" not in _titles(_list(client, world, vorgang="none"))
    assert len(_titles(_list(client, world, vorgang="none"))) == 4


def test_q_searches_titles_and_recognised_text_of_this_akte_only(client, world, akte):
    response = _list(client, world, q="mietvertrag")
    assert sorted(_titles(response)) == ["Anhörung", "Antrag WBA"]
    ids = {d["id"] for d in response.json()["items"]}
    assert str(akte["foreign"]) not in ids  # same word in another Akte
    assert _titles(_list(client, world, q="mietvertrag wohnung")) == ["Antrag WBA"]
    assert _titles(_list(client, world, q="100%")) == []  # LIKE wildcards are literal


def test_pages_do_not_overlap_and_count_the_filtered_total(client, world, akte):
    first = _list(client, world, sort="title", order="asc", size=2, page=1).json()
    second = _list(client, world, sort="title", order="asc", size=2, page=2).json()
    third = _list(client, world, sort="title", order="asc", size=2, page=3).json()
    assert first["total"] == second["total"] == 5
    seen = [d["title"] for p in (first, second, third) for d in p["items"]]
    assert len(seen) == len(set(seen)) == 5
    assert _list(client, world, size=201).status_code == 422


@pytest.mark.parametrize(
    "params", [{"sortt": "title"}, {"doc_typ": "Bescheid"}, {"sort": "title", "limit": "5"}]
)
def test_unknown_parameters_are_refused_not_ignored(client, world, akte, params):
    response = _list(client, world, **params)
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "unknown_parameter"
    unknown = next(k for k in params if k not in ("sort",))
    assert unknown in body["detail"]


def test_invalid_values_are_422(client, world, akte):
    for params in (
        {"sort": "size"},
        {"order": "up"},
        {"status": "bereit"},
        {"vorgang": "------------------------------------"},
        {"year": "20x4"},
    ):
        response = _list(client, world, **params)
        assert response.status_code == 422, params
        assert response.json()["error"] == "validation_error"


def test_other_units_and_tenants_see_nothing(client, world, akte):
    for who in ("caseworker_a2", "caseworker_b", "caseworker_none"):
        response = _list(client, world, who=who, q="mietvertrag")
        assert response.status_code == 404, who
    own = _list(client, world, who="caseworker_a2", case_file=world.case_a2, q="mietvertrag")
    ids = {d["id"] for d in own.json()["items"]}
    assert ids == {str(akte["foreign"])}  # none of A1's documents leak into A2's list
