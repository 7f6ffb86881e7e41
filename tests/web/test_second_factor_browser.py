"""The second factor in a real Chromium against a live akte: the required set-up at
``/login/code`` (QR code, first code, recovery codes), the code at the next login, a wrong
code, and the voluntary set-up from the account page. Codes come from the secret the page
shows, as an authenticator app computes them."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pyotp
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from akte.core.database import session_scope
from akte.tenants.models import Tenant
from akte.users.models import Role
from tests.builders import PASSWORD, make_org_unit, make_tenant, make_user
from tests.web.live import CHROMIUM, CHROMIUM_ARGS, LiveServer, live_server, shoot


@dataclass
class Scene:
    server: LiveServer
    required: str  # a caseworker of the tenant that requires a second factor
    voluntary: str  # a caseworker of a tenant that does not


@pytest.fixture(scope="module")
def scene(tmp_path_factory) -> Iterator[Scene]:
    with live_server(tmp_path_factory.mktemp("live-2fa")) as server:
        with session_scope(server.ctx.session_factory) as session:
            strict = make_tenant(session, name="Jobcenter Streng")
            strict.options = {"second_factor": "all"}
            relaxed = make_tenant(session, name="Jobcenter Frei")
            required = make_user(
                session, strict, Role.caseworker, (make_org_unit(session, strict),)
            )
            voluntary = make_user(
                session, relaxed, Role.caseworker, (make_org_unit(session, relaxed),)
            )
            names = required.username, voluntary.username
        with session_scope(server.ctx.session_factory) as session:
            assert session.get(Tenant, strict.id).options["second_factor"] == "all"
        yield Scene(server, *names)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(locale="de-DE")
    tab = context.new_page()
    tab.set_default_timeout(20_000)
    yield tab
    call = getattr(request.node, "rep_call", None)
    if call is not None and call.failed:
        shoot(tab, f"FAILED-{request.node.name}")
    context.close()


def _password(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")


def _expect_signed_in(page: Page) -> None:
    expect(page.get_by_role("button", name=re.compile(r"^Abmelden"))).to_be_visible()
    expect(page).to_have_url(re.compile(r"/app(/|$)"))


def _next_code(totp: pyotp.TOTP) -> str:
    """The code of the next time step: one the server has not seen yet (a code is accepted
    once), still inside the ±1 step window."""
    return totp.at(time.time() + totp.interval)


def test_required_set_up_then_the_code_at_every_login(scene, page):
    base = scene.server.url
    _password(page, base, scene.required)
    expect(page).to_have_url(re.compile(r"/login/code"))
    expect(page.locator("#totp-qr svg")).to_be_visible()
    totp = pyotp.TOTP(page.locator("#totp-secret").inner_text().strip())

    page.fill("#code", "000000" if totp.now() != "000000" else "111111")
    page.click("button[type=submit]")
    expect(page.locator("#login-error")).to_contain_text("passt nicht")

    page.fill("#code", totp.now())
    page.click("button[type=submit]")
    codes = page.locator("#recovery-codes li")
    expect(codes).to_have_count(10)
    recovery = codes.first.inner_text().strip()
    page.click("text=Weiter")
    _expect_signed_in(page)

    # signed out, the next login asks for the code (no QR code any more)
    page.context.clear_cookies()
    _password(page, base, scene.required)
    expect(page).to_have_url(re.compile(r"/login/code"))
    expect(page.locator("#totp-qr")).to_have_count(0)
    page.fill("#code", "123456" if _next_code(totp) != "123456" else "654321")
    page.click("button[type=submit]")
    expect(page.locator("#login-error")).to_contain_text("falsch")
    page.fill("#code", _next_code(totp))
    page.click("button[type=submit]")
    _expect_signed_in(page)

    # a lost phone: a recovery code works once
    page.context.clear_cookies()
    _password(page, base, scene.required)
    page.fill("#code", recovery)
    page.click("button[type=submit]")
    _expect_signed_in(page)
    page.context.clear_cookies()
    _password(page, base, scene.required)
    page.fill("#code", recovery)
    page.click("button[type=submit]")
    expect(page.locator("#login-error")).to_be_visible()


def test_voluntary_set_up_from_the_account_page(scene, page):
    base = scene.server.url
    _password(page, base, scene.voluntary)
    _expect_signed_in(page)  # no factor asked yet
    page.click("nav >> text=Zweiter Faktor")
    expect(page.locator("h1")).to_have_text("Zweiter Faktor")
    totp = pyotp.TOTP(page.locator("#totp-secret").inner_text().strip())
    page.fill("#code", totp.now())
    page.click("form >> text=Einrichten")
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    page.goto(f"{base}/app/konto/zweiter-faktor")
    expect(page.locator("#factor-active")).to_be_visible()
    expect(page.locator("#recovery-left")).to_have_text("10")

    page.context.clear_cookies()
    _password(page, base, scene.voluntary)
    expect(page).to_have_url(re.compile(r"/login/code"))
    page.fill("#code", _next_code(totp))
    page.click("button[type=submit]")
    _expect_signed_in(page)
