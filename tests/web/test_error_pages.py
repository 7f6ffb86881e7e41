"""Error pages a browser gets where no page route caught the error: an unknown address, a
wrong method, an unexpected failure. German, in the layout; API clients keep JSON."""

from __future__ import annotations

import pytest

from akte.app import create_app
from tests.client import TestClient
from tests.web.conftest import browser, login

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
#: Page routes need no second backend: the handlers sit above storage.
EMBEDDED = pytest.mark.parametrize("ctx", ["embedded"], indirect=True)


@EMBEDDED
def test_an_unknown_page_is_a_german_page_for_a_browser(ctx):
    web = browser(ctx)
    r = web.get("/app/gibt-es-nicht", headers=HTML)
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert '<html lang="de"' in r.text and "Nicht gefunden" in r.text
    assert "Diese Seite gibt es nicht" in r.text and "not_found" not in r.text
    # nobody signed in: the way back is the citizens' portal
    assert 'href="/upload"' in r.text


@EMBEDDED
def test_a_signed_in_caseworker_is_led_back_to_the_workspace(ctx, world):
    web = browser(ctx)
    login(web, world.users["caseworker_a1"].username)
    r = web.get("/app/akten/kein-gueltiger/pfad/mehr", headers=HTML)
    assert r.status_code == 404 and 'href="/app"' in r.text and "Nicht gefunden" in r.text


@EMBEDDED
def test_a_wrong_method_on_a_page_is_german_too(ctx):
    web = browser(ctx)
    r = web.get("/logout", headers=HTML)
    assert r.status_code == 405 and "Nicht möglich" in r.text
    assert "Method Not Allowed" not in r.text


@EMBEDDED
def test_api_clients_keep_json(ctx):
    web = browser(ctx)
    # an API path stays JSON even for a browser's Accept header
    r = web.get("/api/v1/gibt-es-nicht", headers=HTML)
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    # a script (no text/html) on a page path gets JSON as before
    r = web.get("/app/gibt-es-nicht", headers={"Accept": "application/json"})
    assert r.status_code == 404 and r.json()["error"] == "not_found"


@EMBEDDED
def test_an_unexpected_failure_is_a_german_page_and_json_for_the_api(ctx):
    app = create_app(ctx=ctx, start_worker=False)

    @app.get("/app/kaputt")
    def broken() -> None:
        raise RuntimeError("boom")

    @app.get("/api/v1/kaputt")
    def broken_api() -> None:
        raise RuntimeError("boom")

    with TestClient(app, raise_server_exceptions=False) as web:
        r = web.get("/app/kaputt", headers=HTML)
        assert r.status_code == 500 and "Unerwarteter Fehler" in r.text
        assert "boom" not in r.text and "internal_error" not in r.text
        r = web.get("/api/v1/kaputt", headers=HTML)
        assert r.status_code == 500 and r.json()["error"] == "internal_error"
