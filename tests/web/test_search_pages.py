"""The web search pages through every hit and searches within one Akte."""

from __future__ import annotations

import re

from akte.core.database import session_scope
from akte.jobs.worker import run_until_idle
from tests.builders import make_case_file
from tests.search.conftest import add_document
from tests.web.conftest import browser, login

WORD = "Heizkostenabrechnung"


def _hits(html: str) -> list[str]:
    return re.findall(r'href="/app/documents/([0-9a-f-]{36})[?"]', html)


def test_pager_reaches_every_hit_and_the_akte_filter_narrows(ctx, world):
    with session_scope(ctx.session_factory) as session:
        second = make_case_file(session, world.tenant_a, world.unit_a1)
        for n in range(55):
            add_document(session, world.case_a1, title=f"Beleg {n}", pages=[f"{WORD} {n}"])
        for n in range(8):
            add_document(session, second, title=f"Anlage {n}", pages=[f"{WORD} {n}"])
        add_document(session, world.case_a2, title="Fremd", pages=[WORD])
    run_until_idle(ctx)
    client = browser(ctx)
    login(client, world.users["caseworker_a1"].username)

    first = client.get("/app/search", params={"q": WORD})
    assert first.status_code == 200
    assert "Seite 1 von 2" in first.text and 'rel="next"' in first.text
    following = client.get("/app/search", params={"q": WORD, "page": 2})
    seen = set(_hits(first.text)) | set(_hits(following.text))
    assert len(set(_hits(first.text))) == 50 and len(seen) == 63  # every hit, none twice

    narrowed = client.get("/app/search", params={"q": WORD, "akte": str(second.id)})
    assert "in Akte " + second.aktenzeichen in narrowed.text
    assert len(set(_hits(narrowed.text))) == 8
    assert "Beleg" not in narrowed.text

    foreign = client.get("/app/search", params={"q": WORD, "akte": str(world.case_a2.id)})
    assert foreign.status_code == 404
    assert "Fremd" not in foreign.text


def test_a_typo_finds_the_word_and_the_page_says_which(ctx, world):
    """ "Lohnabrechnug" (the issue's example: stemming drops "-ung", so a `~` did not help)
    finds the Lohnabrechnung without the user typing `~`, in all Akten and in one Akte, and
    the page says what it searched for instead."""
    with session_scope(ctx.session_factory) as session:
        doc = add_document(
            session, world.case_a1, title="Beleg Mai", pages=["Lohnabrechnung Mai 2024"]
        )
    run_until_idle(ctx)
    client = browser(ctx)
    login(client, world.users["caseworker_a1"].username)

    exact = client.get("/app/search", params={"q": "Lohnabrechnung"}).text
    assert "Tippfehler" not in exact and "Ergebnisse für" not in exact
    typo = client.get("/app/search", params={"q": "Lohnabrechnug"})
    assert typo.status_code == 200
    assert str(doc.id) in _hits(typo.text)
    status = re.search(r'<p role="status">(.*?)</p>', typo.text, re.DOTALL)
    assert status is not None
    said = re.sub(r"<[^>]+>", "", status.group(1))
    assert "Keine Treffer für „Lohnabrechnug“" in said
    assert "Ergebnisse für „Lohnabrechnung“" in said

    in_akte = client.get(
        "/app/search", params={"q": "Lohnabrechnug", "akte": str(world.case_a1.id)}
    )
    assert str(doc.id) in _hits(in_akte.text)
    assert "Ergebnisse für „<strong" in in_akte.text and "in Akte " in in_akte.text
