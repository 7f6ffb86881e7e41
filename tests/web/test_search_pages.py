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
