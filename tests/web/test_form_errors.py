"""Form errors are tied to their fields (BITV 2.0, WCAG 3.3.1): the field in error has
``aria-invalid`` and is described by the message (``aria-describedby``), so a screen
reader reads the reason with the field. In Chromium: ``test_session_browser.py``."""

from __future__ import annotations

import re

from tests.web.conftest import browser, csrf_of, login


def _tag(html: str, field_id: str) -> str:
    found = re.search(rf'<(?:input|textarea|select) id="{field_id}"[^>]*>', html)
    assert found, field_id
    return found.group(0)


def test_a_wrong_login_marks_both_fields_and_names_the_error(ctx, world):
    with browser(ctx) as web:
        page = web.get("/login")
        assert "aria-invalid" not in page.text
        r = web.post(
            "/login",
            data={"username": "niemand", "password": "falsch", "csrf_token": csrf_of(page.text)},
        )
        assert r.status_code == 401
        assert 'id="login-error"' in r.text
        for field in ("username", "password"):
            tag = _tag(r.text, field)
            assert 'aria-invalid="true"' in tag and 'aria-describedby="login-error"' in tag


def test_a_letter_without_its_deadline_marks_the_deadline_field(ctx, world):
    with browser(ctx) as web:
        login(web, world.users["caseworker_a1"].username)
        url = f"/app/akten/{world.case_a1.id}/brief"
        form = web.get(url)
        assert "aria-invalid" not in form.text.split("<form", 2)[-1]
        r = web.post(
            url,
            data={
                "csrf_token": csrf_of(form.text),
                "subject": "Mitwirkung",
                "body": "Bitte reichen Sie bis {frist} die Lohnabrechnung ein.",
                "recipient": "Erika Mustermann\nHauptstr. 1\n12345 Musterstadt",
                "action": "send",
            },
        )
        assert r.status_code == 422, r.text
        assert 'id="letter-problem"' in r.text and "Frist" in r.text
        deadline = _tag(r.text, "deadline")
        assert 'aria-invalid="true"' in deadline
        assert 'aria-describedby="letter-problem"' in deadline
        assert "aria-invalid" not in _tag(r.text, "subject")
        assert "bis {frist} die Lohnabrechnung" in r.text  # nothing typed is lost
