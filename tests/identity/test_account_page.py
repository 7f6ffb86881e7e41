"""The account page's voluntary second factor: only for oneself, behind the session and the
CSRF check, confirmed by a right code only, audited; directory accounts are told that their
provider handles it."""

from __future__ import annotations

import re

import pyotp
from sqlalchemy import update

from akte.core.database import session_scope
from akte.users.models import User
from tests.identity.conftest import audit_entries
from tests.web.conftest import browser, csrf_of, login

PAGE = "/app/konto/zweiter-faktor"


def _secret(text: str) -> str:
    return re.search(r'id="totp-secret">([A-Z2-7]+)<', text).group(1)


def test_signed_out_or_without_csrf_nothing_happens(ctx, world):
    with browser(ctx) as web:
        r = web.get(PAGE)
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
        login(web, world.users["caseworker_a1"].username)
        r = web.post(PAGE, data={"code": "123456"})
        assert r.status_code in (400, 403)
        assert "totp-secret" in web.get(PAGE).text  # still not set up


def test_a_wrong_code_sets_nothing_up_a_right_one_does(ctx, world):
    user = world.users["caseworker_a2"]
    with browser(ctx) as web:
        login(web, user.username)
        page = web.get(PAGE)
        assert page.status_code == 200 and "Freiwillig" in page.text
        totp = pyotp.TOTP(_secret(page.text))
        wrong = "000000" if totp.now() != "000000" else "111111"
        r = web.post(PAGE, data={"code": wrong, "csrf_token": csrf_of(page.text)})
        assert r.status_code == 400 and "passt nicht" in r.text
        assert _secret(r.text) == totp.secret  # the same secret on the retry
        r = web.post(PAGE, data={"code": totp.now(), "csrf_token": csrf_of(r.text)})
        assert r.status_code == 200 and r.text.count("<li><code>") == 10
        again = web.get(PAGE)
        assert 'id="factor-active"' in again.text and "totp-secret" not in again.text
    [entry] = audit_entries(ctx, "user.second_factor_enrol", user_id=str(user.id))
    assert entry.tenant_id == world.tenant_a.id


def test_a_directory_account_is_sent_to_its_provider(ctx, world):
    user = world.users["caseworker_none"]
    with browser(ctx) as web:
        login(web, user.username)
        with session_scope(ctx.session_factory) as session:  # now linked to a directory
            session.execute(update(User).where(User.id == user.id).values(password_hash=None))
        page = web.get(PAGE)
        assert page.status_code == 200 and 'id="factor-directory"' in page.text
        assert "totp-secret" not in page.text
        r = web.post(PAGE, data={"code": "123456", "csrf_token": csrf_of(page.text)})
        assert r.status_code == 200 and "recovery-codes" not in r.text
