"""Staff sessions warn before they end and can be extended (BITV 2.0, WCAG 2.2.1): every
page says how long is left, ``POST /app/sitzungen/verlaengern`` (with the form token)
extends the idle time without a reload, and a form sent into an ended session lands on the
login page saying that it was not saved. Time passes on akte's clock. The dialog itself is
tested in Chromium (``test_session_browser.py``)."""

from __future__ import annotations

import re

from tests.web.conftest import browser, csrf_of, login

EXTEND = "/app/sitzungen/verlaengern"


def _options(client, world, **values) -> None:
    r = client.patch(
        "/api/v1/tenants/current/options", json=values, headers=world.headers["admin_a"]
    )
    assert r.status_code == 200, r.text


def _left(html: str, which: str) -> int | None:
    found = re.search(rf'data-{which}-left="(\d*)"', html)
    assert found, f"no data-{which}-left on the page"
    return int(found.group(1)) if found.group(1) else None


def test_extending_keeps_an_idle_session_that_would_have_ended(ctx, client, world, clock):
    _options(client, world, session_idle_minutes=15, session_max_hours=None)
    user = world.users["caseworker_a1"]
    with browser(ctx) as web, browser(ctx) as control:
        login(web, user.username)
        login(control, user.username)
        page = web.get("/app/wiedervorlagen")
        assert page.status_code == 200
        assert 'role="alertdialog"' in page.text and "Sitzung verlängern" in page.text
        assert 14 * 60 <= _left(page.text, "idle") <= 15 * 60
        assert _left(page.text, "absolute") is not None  # the session row's own lifetime
        token = csrf_of(page.text)

        clock.advance(10 * 60)
        assert web.post(EXTEND).status_code == 403  # no form token: refused
        r = web.post(EXTEND, headers={"X-CSRF-Token": token})
        assert r.status_code == 200, r.text
        assert r.json()["idle_left"] == 15 * 60

        clock.advance(10 * 60)  # 20 minutes after the sign-in, 10 after extending
        assert web.get("/app").status_code == 200
        assert control.get("/app").status_code == 303  # not extended: ended

        clock.advance(16 * 60)
        ended = web.post(EXTEND, headers={"X-CSRF-Token": token})
        assert ended.status_code == 303
        location = ended.headers["location"]
        assert location.startswith("/login?next=") and location.endswith("&ended=post")
        notice = web.get(location).text
        assert "Ihre Eingaben wurden nicht gespeichert" in notice


def test_the_absolute_limit_cannot_be_extended(ctx, client, world, clock):
    _options(client, world, session_idle_minutes=30, session_max_hours=1)
    user = world.users["caseworker_a2"]
    with browser(ctx) as web:
        login(web, user.username)
        clock.advance(25 * 60)
        assert web.get("/app").status_code == 200  # busy: the idle time starts again
        clock.advance(25 * 60)
        page = web.get("/app")
        assert 9 * 60 <= _left(page.text, "absolute") <= 10 * 60
        r = web.post(EXTEND, headers={"X-CSRF-Token": csrf_of(page.text)})
        # extended idle time never reaches past the absolute end
        assert r.status_code == 200 and r.json()["idle_left"] == r.json()["absolute_left"]
        clock.advance(11 * 60)
        r = web.get("/app/wiedervorlagen")
        assert r.status_code == 303 and r.headers["location"].endswith("&ended=1")
        assert "Ihre Sitzung ist abgelaufen" in web.get(r.headers["location"]).text
