"""The casework on the Akte page and "Meine Wiedervorlagen", as a caseworker uses them in
the browser (forms with CSRF, redirects with a German confirmation)."""

from __future__ import annotations

import re
from datetime import timedelta

from akte.casework.followups import today
from tests.trust.helpers import upload
from tests.web.conftest import browser, csrf_of, login


def _post(client, page_url: str, url: str, data: dict):
    token = csrf_of(client.get(page_url).text)
    return client.post(url, data={**data, "csrf_token": token})


def _follow(client, response):
    assert response.status_code == 303, response.text
    return client.get(response.headers["location"])


def test_a_caseworkers_day_on_the_akte_page(ctx, client, world):
    doc = upload(client, world, title="Kontoauszug März")["id"]
    web = browser(ctx)
    login(web, world.users["caseworker_a1"].username)
    akte = f"/app/akten/{world.case_a1.id}"
    page = _follow(
        web,
        _post(
            web,
            akte,
            f"{akte}/vorgaenge",
            {"title": "Weiterbewilligung 2027", "kind": "Weiterbewilligung"},
        ),
    )
    assert "Vorgang angelegt." in page.text and "Weiterbewilligung 2027" in page.text
    vorgang_id = re.search(r'id="vorgang-([0-9a-f-]{36})"', page.text).group(1)
    # one action moves the document into the Vorgang; the page then groups it there
    page = _follow(
        web, _post(web, akte, f"/app/documents/{doc}/vorgang", {"vorgang_id": vorgang_id})
    )
    assert "Dokument zugeordnet." in page.text
    section = page.text.split(f'id="vorgang-{vorgang_id}"', 1)[1].split("</section>", 1)[0]
    assert f"/app/documents/{doc}" in section
    # a Vermerk over several lines, and a Wiedervorlage for the Vorgang
    page = _follow(
        web,
        _post(
            web,
            akte,
            f"{akte}/notes",
            {"body": "Anruf: Unterlagen\nfolgen bis Freitag", "vorgang_id": vorgang_id},
        ),
    )
    assert "Vermerk gespeichert." in page.text and "Unterlagen\nfolgen bis Freitag" in page.text
    due = today().isoformat()
    page = _follow(
        web,
        _post(
            web,
            akte,
            f"{akte}/follow-ups",
            {"due_on": due, "reason": "Mitwirkung prüfen", "vorgang_id": vorgang_id},
        ),
    )
    assert "Wiedervorlage gesetzt." in page.text
    follow_up = re.search(r'id="wv-([0-9a-f-]{36})"', page.text).group(1)
    # "Meine Wiedervorlagen": due today, done from there
    mine = web.get("/app/wiedervorlagen")
    assert mine.status_code == 200
    today_section = mine.text.split('id="wv-today-h"', 1)[1].split("</section>", 1)[0]
    assert "Mitwirkung prüfen" in today_section and world.case_a1.aktenzeichen in today_section
    r = _post(
        web,
        "/app/wiedervorlagen",
        f"/app/follow-ups/{follow_up}/done",
        {"back": "/app/wiedervorlagen"},
    )
    assert r.headers["location"] == "/app/wiedervorlagen?msg=follow_up_done"
    assert "Mitwirkung prüfen" not in web.get("/app/wiedervorlagen").text
    # closing the Vorgang (the Akte's own unit may)
    page = _follow(web, _post(web, akte, f"/app/vorgaenge/{vorgang_id}/close", {}))
    assert "Vorgang abgeschlossen." in page.text and "Wieder öffnen" in page.text


def test_postponing_needs_a_reason_and_a_date_and_says_so_in_german(ctx, client, world):
    web = browser(ctx)
    login(web, world.users["caseworker_a1"].username)
    akte = f"/app/akten/{world.case_a1.id}"
    due = (today() + timedelta(days=2)).isoformat()
    page = _follow(web, _post(web, akte, f"{akte}/follow-ups", {"due_on": due, "reason": "x"}))
    follow_up = re.search(r'id="wv-([0-9a-f-]{36})"', page.text).group(1)
    r = _post(web, akte, f"/app/follow-ups/{follow_up}/postpone", {"due_on": due, "note": ""})
    assert r.status_code == 422 and "Notiz" in r.text and "<html" in r.text
    r = _post(
        web, akte, f"/app/follow-ups/{follow_up}/postpone", {"due_on": "morgen", "note": "Urlaub"}
    )
    assert r.status_code == 422 and "Fällig am" in r.text
    r = _post(
        web,
        akte,
        f"/app/follow-ups/{follow_up}/postpone",
        {"due_on": (today() + timedelta(days=9)).isoformat(), "note": "Urlaub"},
    )
    assert "Wiedervorlage verschoben." in _follow(web, r).text
    r = _post(web, akte, f"{akte}/notes", {"body": "  "})
    assert r.status_code == 422 and "Vermerk" in r.text


def test_lent_akte_page_offers_no_closing_and_foreign_pages_show_nothing(ctx, client, world):
    r = client.put(
        f"/api/v1/case-files/{world.case_a1.id}/grants/{world.unit_a2.id}",
        json={},
        headers=world.headers["admin_a"],
    )
    assert r.status_code == 200
    r = client.post(
        f"/api/v1/case-files/{world.case_a1.id}/vorgaenge",
        json={"title": "Widerspruch vom 3.5."},
        headers=world.headers["caseworker_a1"],
    )
    vorgang_id = r.json()["id"]
    r = client.post(
        f"/api/v1/case-files/{world.case_a1.id}/follow-ups",
        json={"due_on": today().isoformat(), "reason": "Geheimgrund a1"},
        headers=world.headers["caseworker_a1"],
    )
    follow_up = r.json()["id"]
    borrower = browser(ctx)
    login(borrower, world.users["caseworker_a2"].username)
    akte = f"/app/akten/{world.case_a1.id}"
    page = borrower.get(akte)
    assert "Widerspruch vom 3.5." in page.text
    assert f"/app/vorgaenge/{vorgang_id}/close" not in page.text
    r = _post(borrower, akte, f"/app/vorgaenge/{vorgang_id}/close", {})
    assert r.status_code == 403
    outsider = browser(ctx)
    login(outsider, world.users["caseworker_b"].username)
    assert outsider.get(akte).status_code == 404
    mine = outsider.get("/app/wiedervorlagen")
    assert mine.status_code == 200
    assert follow_up not in mine.text and "Geheimgrund a1" not in mine.text
    r = _post(outsider, "/app/wiedervorlagen", f"/app/follow-ups/{follow_up}/done", {})
    assert r.status_code == 404
    r = _post(outsider, "/app/wiedervorlagen", f"{akte}/notes", {"body": "fremd"})
    assert r.status_code == 404
    assert (
        "fremd"
        not in client.get(
            f"/api/v1/case-files/{world.case_a1.id}/notes", headers=world.headers["caseworker_a1"]
        ).text
    )


def test_the_day_starts_with_my_follow_ups(ctx, world):
    web = browser(ctx)
    page = web.get("/login")
    r = web.post(
        "/login",
        data={
            "username": world.users["caseworker_a1"].username,
            "password": "correct-horse-battery",
            "csrf_token": csrf_of(page.text),
        },
    )
    assert r.headers["location"] == "/app/wiedervorlagen"
    page = web.get(r.headers["location"])
    assert page.status_code == 200 and "<h1>Meine Wiedervorlagen</h1>" in page.text
    assert 'href="/app/wiedervorlagen" aria-current="page"' in page.text
    assert web.get("/").headers["location"] == "/app/wiedervorlagen"


def test_a_follow_up_for_a_colleague_lands_on_their_list(ctx, client, world):
    from akte.core.database import session_scope
    from akte.users.models import Role
    from tests.builders import make_user

    with session_scope(ctx.session_factory) as session:
        colleague = make_user(
            session, world.tenant_a, Role.caseworker, (world.unit_a1,), display_name="Kollegin Kaya"
        )
        colleague_name = colleague.username
    web = browser(ctx)
    login(web, world.users["caseworker_a1"].username)
    akte = f"/app/akten/{world.case_a1.id}"
    page = web.get(akte).text
    # offered: the Akte's unit and its people; never a unit or person that cannot open it
    assert "Kollegin Kaya" in page
    assert str(world.users["caseworker_a2"].id) not in page
    assert str(world.users["caseworker_b"].id) not in page
    assert str(world.unit_a2.id) not in page and str(world.unit_b1.id) not in page
    value = re.search(r'<option value="(user:[0-9a-f-]{36})">Kollegin Kaya', page).group(1)
    r = _post(
        web,
        akte,
        f"{akte}/follow-ups",
        {"due_on": today().isoformat(), "reason": "Vertretung übernehmen", "assignee": value},
    )
    assert r.status_code == 303, r.text
    theirs = browser(ctx)
    login(theirs, colleague_name)
    assert "Vertretung übernehmen" in theirs.get("/app/wiedervorlagen").text
    assert "Vertretung übernehmen" not in web.get("/app/wiedervorlagen").text
    r = _post(
        web,
        akte,
        f"{akte}/follow-ups",
        {
            "due_on": today().isoformat(),
            "reason": "x",
            "assignee": f"user:{world.users['caseworker_b'].id}",
        },
    )
    assert r.status_code == 422 and "nicht öffnen" in r.text
