"""What a caseworker or tenant admin reads when a casework form or page refuses: German
words tied to the field, what they typed kept, never the API's English detail."""

from __future__ import annotations

import pytest

from tests.web.conftest import browser, csrf_of, login

#: Page wording sits above storage: one backend suffices.
EMBEDDED = pytest.mark.parametrize("ctx", ["embedded"], indirect=True)


@EMBEDDED
@pytest.mark.parametrize(
    ("path", "field", "typed", "says"),
    [
        (
            "/app/vorgangsarten",
            "names",
            "Widerspruch\nKlage\nwiderspruch",
            "Die Vorgangsart „widerspruch“ steht doppelt in der Liste",
        ),
        (
            "/app/dokumentarten",
            "lines",
            "Bescheid: bescheid\nSonstiges\nBESCHEID",
            "Die Dokumentart „BESCHEID“ steht doppelt in der Liste",
        ),
    ],
)
def test_a_refused_list_keeps_what_was_typed_and_ties_the_reason_to_the_field(
    ctx, world, path, field, typed, says
):
    admin = browser(ctx)
    login(admin, world.users["admin_a"].username)
    page = admin.get(path)
    before = page.text.split(f'name="{field}"', 1)[1].split("</textarea>", 1)[0]
    r = admin.post(path, data={"csrf_token": csrf_of(page.text), field: typed})
    assert r.status_code == 409
    assert f'<p class="alert" id="{field}-error">{says}' in r.text
    textarea = r.text.split(f'<textarea id="{field}"', 1)[1].split("</textarea>", 1)[0]
    assert f'aria-invalid="true" aria-describedby="{field}-error"' in textarea
    assert textarea.split(">", 1)[1] == typed
    # nothing was saved: the page shows the list as before
    again = admin.get(path).text.split(f'name="{field}"', 1)[1].split("</textarea>", 1)[0]
    assert again == before


@EMBEDDED
def test_a_refusal_by_role_is_worded_in_german(ctx, world):
    cw = browser(ctx)
    login(cw, world.users["caseworker_a1"].username)
    r = cw.get("/app/vorgangsarten")
    assert r.status_code == 403
    assert "Das ist mit Ihrer Rolle nicht erlaubt." in r.text and "may not do this" not in r.text


@EMBEDDED
def test_an_unknown_document_is_worded_in_german(ctx, world):
    cw = browser(ctx)
    login(cw, world.users["caseworker_a1"].username)
    r = cw.get("/app/documents/00000000-0000-4000-8000-000000000000")
    assert r.status_code == 404
    assert "Dokument nicht gefunden." in r.text and "not found" not in r.text


@EMBEDDED
def test_a_too_long_vorgang_title_says_how_long_it_may_be(ctx, world):
    cw = browser(ctx)
    login(cw, world.users["caseworker_a1"].username)
    akte = f"/app/akten/{world.case_a1.id}"
    token = csrf_of(cw.get(akte).text)
    r = cw.post(
        f"{akte}/vorgaenge",
        data={"csrf_token": token, "title": "x" * 301, "kind": "Weiterbewilligung"},
    )
    assert r.status_code == 422
    assert "Titel: höchstens 300 Zeichen" in r.text and "String should" not in r.text
