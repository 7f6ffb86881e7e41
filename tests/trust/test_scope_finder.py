"""The web search box's database fallback (no ``search`` package) reads through the same
document scope as everything else: another org unit's documents never appear."""

from __future__ import annotations

import pytest

from akte.auth.service import principal_for
from akte.core.database import session_scope
from akte.users.models import User
from akte.web import finder
from tests.builders import unique
from tests.trust.helpers import upload

pytestmark = pytest.mark.parametrize("ctx", ["embedded"], indirect=True)


def test_database_search_shows_only_readable_documents(client, ctx, world):
    word = unique("Kontoauszug")
    own = upload(client, world, title=f"{word} Januar")
    foreign = upload(
        client, world, who="caseworker_a2", case_file=world.case_a2, title=f"{word} Februar"
    )
    with session_scope(ctx.session_factory) as session:
        user = session.get(User, world.users["caseworker_a1"].id)
        results = finder._database(
            session, principal_for(session, user), word, filters={}, limit=50
        )
    found = {str(h.document_id) for h in results.hits if h.document_id}
    assert own["id"] in found
    assert foreign["id"] not in found
