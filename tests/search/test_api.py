"""``GET /api/v1/search`` as caseworkers use it: permissions, query language, results."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from akte.audit.models import AuditEntry
from akte.core.context import AppContext
from akte.core.database import session_scope
from akte.jobs.worker import run_until_idle
from tests.builders import World
from tests.client import TestClient
from tests.search.conftest import add_document

WORD = "Zahnarztrechnung"


@pytest.fixture
def docs(sctx: AppContext, world: World) -> dict[str, str]:
    """The same rare word in an Akte of each org unit of both tenants."""
    made = {}
    with session_scope(sctx.session_factory) as session:
        for key, case_file, doc_type, source, day in [
            ("a1", world.case_a1, "Rechnung", "citizen-upload", date(2024, 2, 10)),
            ("a1_old", world.case_a1, "Kontoauszug", "scan-import", date(2021, 5, 3)),
            ("a2", world.case_a2, "Rechnung", "scan-import", date(2024, 3, 1)),
            ("b1", world.case_b1, "Rechnung", "scan-import", date(2024, 3, 1)),
        ]:
            doc = add_document(
                session,
                case_file,
                title=f"Beleg {key}",
                doc_type=doc_type,
                source=source,
                document_date=day,
                pages=[
                    f"{WORD} Praxis Dr. Wurzel über 120 EUR <script>alert(1)</script>",
                    "Seite zwei: Kieferorthopädie und Füllungen",
                ],
            )
            made[key] = str(doc.id)
    run_until_idle(sctx)
    return made


def search(client: TestClient, world: World, who: str, q: str, **params: object):  # type: ignore[no-untyped-def]
    return client.get("/api/v1/search", params={"q": q, **params}, headers=world.headers[who])


def ids(response) -> set[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.text
    return {hit["document_id"] for hit in response.json()["hits"]}


def test_caseworker_sees_only_own_org_unit(sclient: TestClient, world: World, docs) -> None:  # type: ignore[no-untyped-def]
    response = search(sclient, world, "caseworker_a1", WORD)
    assert ids(response) == {docs["a1"], docs["a1_old"]}
    body = response.json()
    assert body["total"] == 2
    assert body["facets"]["doc_type"] == {"Kontoauszug": 1, "Rechnung": 1}
    assert body["facets"]["year"] == {"2021": 1, "2024": 1}
    assert ids(search(sclient, world, "caseworker_b", WORD)) == {docs["b1"]}


def test_no_grants_reveals_nothing(sclient: TestClient, world: World, docs) -> None:  # type: ignore[no-untyped-def]
    """Matching documents exist in the caller's tenant and another one; the caller has no
    membership: the total and every facet must be empty, not merely the hit list."""
    for who in ("caseworker_none", "admin_a"):
        body = search(sclient, world, who, WORD).json()
        assert body["total"] == 0 and body["hits"] == []
        assert all(counts == {} for counts in body["facets"].values()), body["facets"]


@pytest.mark.parametrize(
    ("who", "status"), [("importer_a", 403), ("provider_a", 403), ("system_admin", 403)]
)
def test_roles_without_case_data_are_refused(
    sclient: TestClient, world: World, who: str, status: int
) -> None:
    assert search(sclient, world, who, WORD).status_code == status


def test_anonymous_is_401(sclient: TestClient) -> None:
    assert sclient.get("/api/v1/search", params={"q": WORD}).status_code == 401


@pytest.mark.parametrize(
    ("q", "hint"),
    [
        ('"Praxis Wurzel', "phrase"),
        ("farbe:rot", "unknown field"),
        ("datum:2024-13-01..2024-14-01", "date"),
        ("datum:gestern..heute", "date"),
        ("(Praxis OR Wurzel", "("),
        ("Praxis)", ")"),
        ("   ", "empty"),
        ("OR Praxis", "AND/OR"),
        ("az:1..5", "ranges"),
        ("datum:[foo TO bar]", "could not be read"),
        ("a*", "two letters"),
    ],
)
def test_syntax_errors_are_400_with_a_hint(
    sclient: TestClient, world: World, q: str, hint: str
) -> None:
    response = search(sclient, world, "caseworker_a1", q)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == "invalid_query"
    assert hint in body["detail"]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        (f"{WORD} art:Kontoauszug", {"a1_old"}),
        (f"{WORD} -Kontoauszug", {"a1"}),
        (f"{WORD} NOT art:Rechnung", {"a1_old"}),
        ("Zahnarzt*", {"a1", "a1_old"}),
        ('"Praxis Dr. Wurzel"', {"a1", "a1_old"}),
        ('"Wurzel Praxis"', set()),
        ("Zahnarztrechnungen", {"a1", "a1_old"}),
        ("Kieferorthopaedie", {"a1", "a1_old"}),
        ("art:Rechnung OR art:Kontoauszug", {"a1", "a1_old"}),
        (f"{WORD} datum:2024-01-01..2024-03-31", {"a1"}),
        (f"{WORD} datum:..2022-12-31", {"a1_old"}),
        (f"{WORD} datum:[2021-01-01 TO 2021-12-31]", {"a1_old"}),
        # one day, its both ends (the PostgreSQL engine also bounds sort_date by it)
        (f"{WORD} datum:[2024-02-10 TO 2024-02-10]", {"a1"}),
        (f"{WORD} NOT datum:2024-01-01..2024-03-31", {"a1_old"}),
        (f"{WORD} jahr:2024", {"a1"}),
        (f"{WORD} quelle:scan-import", {"a1_old"}),
        (f"{WORD} status:open", {"a1", "a1_old"}),
        (f"{WORD} eingang:2000-01-01..", {"a1", "a1_old"}),
        (f"{WORD} eingang:..2000-01-01", set()),
    ],
)
def test_query_language(sclient: TestClient, world: World, docs, q: str, expected) -> None:  # type: ignore[no-untyped-def]
    assert ids(search(sclient, world, "caseworker_a1", q)) == {docs[k] for k in expected}


def test_results_carry_akte_snippet_and_sort(sclient: TestClient, world: World, docs) -> None:  # type: ignore[no-untyped-def]
    body = search(sclient, world, "caseworker_a1", WORD, sort="date").json()
    assert [h["document_id"] for h in body["hits"]] == [docs["a1"], docs["a1_old"]]
    hit = body["hits"][0]
    assert hit["case_file"]["id"] == str(world.case_a1.id)
    assert hit["case_file"]["aktenzeichen"] == world.case_a1.aktenzeichen
    assert f"<mark>{WORD}</mark>" in hit["snippet"]
    assert "<script>" not in hit["snippet"] and "&lt;script&gt;" in hit["snippet"]
    page2 = search(sclient, world, "caseworker_a1", WORD, sort="date", size=1, page=2).json()
    assert [h["document_id"] for h in page2["hits"]] == [docs["a1_old"]]
    assert page2["total"] == 2
    filtered = search(sclient, world, "caseworker_a1", WORD, doc_type="Kontoauszug").json()
    assert {h["document_id"] for h in filtered["hits"]} == {docs["a1_old"]}


def test_each_search_is_audited(sctx: AppContext, sclient: TestClient, world: World, docs) -> None:  # type: ignore[no-untyped-def]
    search(sclient, world, "caseworker_a1", f"{WORD} audit-probe")
    with session_scope(sctx.session_factory) as session:
        entries = session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "search.query",
                AuditEntry.actor_id == str(world.users["caseworker_a1"].id),
            )
        ).all()
        assert any("audit-probe" in e.detail["q"] for e in entries)


def test_single_akte_grant_widens_scope_by_that_akte_only(
    sctx: AppContext, world: World, docs
) -> None:  # type: ignore[no-untyped-def]
    import uuid

    from akte.auth.principal import Principal
    from akte.users.models import Role
    from search import service

    principal = Principal(
        uuid.uuid4(),
        "sb",
        Role.caseworker,
        world.tenant_a.id,
        frozenset({world.unit_a1.id}),
        frozenset({world.case_a2.id}),
    )
    with session_scope(sctx.session_factory) as session:
        result = service.search(sctx, session, principal, q=WORD)
    assert {str(h.document_id) for h in result.hits} == {docs["a1"], docs["a1_old"], docs["a2"]}
    assert result.total == 3 and result.facets["doc_type"] == {"Rechnung": 2, "Kontoauszug": 1}


def test_a_typo_is_retried_and_the_result_says_so(sclient: TestClient, world: World, docs) -> None:  # type: ignore[no-untyped-def]
    """ "Zahnarztrechnug" matches nothing as typed; the retry finds the Zahnarztrechnung and
    the result names the word as the documents write it, on either engine."""
    exact = search(sclient, world, "caseworker_a1", WORD).json()
    assert exact["typo_tolerance"] is False and exact["corrected_query"] is None
    body = search(sclient, world, "caseworker_a1", "Zahnarztrechnug").json()
    assert {h["document_id"] for h in body["hits"]} == {docs["a1"], docs["a1_old"]}
    assert body["typo_tolerance"] is True
    assert body["corrected_query"] == WORD
    assert body["query"] == "Zahnarztrechnug"
    nothing = search(sclient, world, "caseworker_a1", "Qwertzuiopü").json()
    assert nothing["total"] == 0 and nothing["typo_tolerance"] is False
    # the retry stays in the caller's scope: nothing they may see, nothing corrected
    blind = search(sclient, world, "caseworker_none", "Zahnarztrechnug").json()
    assert blind["total"] == 0 and blind["corrected_query"] is None
