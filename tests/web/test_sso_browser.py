"""Single sign-on in a real Chromium against a live akte and a real OpenID Provider
(``oidc-provider``): the person picks their authority's directory on akte's login page,
types name and password into the provider's own login page, lands in the workspace as the
account the directory's groups make, and signs out, which ends the akte session and the
provider refresh token kept for it. Once with the mouse, once with the keyboard alone."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlalchemy import func, select

from akte.core.database import session_scope
from akte.identity.models import DirectorySession
from akte.users.models import Role, User
from akte.web.models import WebSession
from tests.builders import bearer, make_case_file, make_org_unit, make_tenant, make_user, unique
from tests.identity.conftest import PASSWORD, oidc_config
from tests.infra.oidc import CLIENT_SECRET, OidcProvider, oidc_provider
from tests.infra.ports import free_port
from tests.web.live import CHROMIUM, CHROMIUM_ARGS, LiveServer, live_server, shoot

PROVIDER_NAME = "Verzeichnis Jobcenter Nord"


@dataclass
class Scene:
    server: LiveServer
    op: OidcProvider
    own_case: str  # Aktenzeichen of the mapped org unit
    foreign_case: str  # of another org unit of the same tenant


@pytest.fixture(scope="module")
def scene(tmp_path_factory) -> Iterator[Scene]:
    port = free_port()
    with (
        oidc_provider(redirect_uris=(f"http://127.0.0.1:{port}/sso/callback",)) as op,
        live_server(tmp_path_factory.mktemp("live-sso"), port=port) as server,
    ):
        with session_scope(server.ctx.session_factory) as session:
            tenant = make_tenant(session, name="Jobcenter Nord")
            team, other = make_org_unit(session, tenant), make_org_unit(session, tenant)
            admin = make_user(session, tenant, Role.tenant_admin, (team,))
            own = make_case_file(session, tenant, team).aktenzeichen
            foreign = make_case_file(session, tenant, other).aktenzeichen
            headers, team_id = bearer(server.ctx, admin), str(team.id)
        with httpx.Client(base_url=server.url, headers=headers, timeout=30) as api:
            r = api.post(
                "/api/v1/identity-providers",
                json={
                    "slug": unique("nord"),
                    "name": PROVIDER_NAME,
                    "kind": "oidc",
                    "config": oidc_config(op),
                    "client_secret": CLIENT_SECRET,
                },
            )
            assert r.status_code == 201, r.text
            r = api.put(
                f"/api/v1/identity-providers/{r.json()['id']}/mappings",
                json={"mappings": [{"group": "jc-nord-team", "org_unit_id": team_id}]},
            )
            assert r.status_code == 200, r.text
        yield Scene(server, op, own, foreign)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(locale="de-DE", viewport={"width": 1366, "height": 768})
    tab = context.new_page()
    tab.set_default_timeout(20_000)
    yield tab
    call = getattr(request.node, "rep_call", None)
    if call is not None and call.failed:
        shoot(tab, f"FAILED-{request.node.name}")
    context.close()


def _sessions_of(scene: Scene, username: str) -> tuple[int, int]:
    """The person's akte web sessions and the provider refresh tokens kept for them."""
    with session_scope(scene.server.ctx.session_factory) as session:
        user_id: uuid.UUID = session.scalar(select(User.id).where(User.username == username))
        web = session.scalar(select(func.count()).where(WebSession.user_id == user_id))
        directory = session.scalar(select(func.count()).where(DirectorySession.user_id == user_id))
    return web or 0, directory or 0


def _in_the_workspace(page: Page, scene: Scene, login: str) -> None:
    expect(page).to_have_url(re.compile(r"/app/wiedervorlagen$"))  # the start page
    expect(page.get_by_role("button", name=f"Abmelden ({login})")).to_be_visible()
    assert _sessions_of(scene, login) == (1, 1)
    # the Akten of the org unit the directory group maps to, and no other
    page.goto(f"{scene.server.url}/app")
    expect(page.get_by_text(scene.own_case)).to_be_visible()
    expect(page.get_by_text(scene.foreign_case)).to_have_count(0)


def _signed_out(page: Page, scene: Scene, login: str) -> None:
    expect(page).to_have_url(re.compile(r"/login$"))
    assert _sessions_of(scene, login) == (0, 0)
    page.goto(f"{scene.server.url}/app")  # the old cookie opens nothing any more
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.get_by_role("heading", name="Anmelden", exact=True)).to_be_visible()


def test_sign_in_at_the_provider_work_and_sign_out(scene, page):
    login = unique("nora")
    scene.op.set_account(login, password=PASSWORD, groups=["jc-nord-team"], name="Nora Nord")
    page.goto(f"{scene.server.url}/login")
    page.get_by_role("link", name=PROVIDER_NAME).click()
    # the provider's own login page, on the provider's address
    expect(page).to_have_url(re.compile(re.escape(scene.op.issuer) + r"/interaction/"))
    page.fill("#login", login)
    page.fill("#password", "not-the-password")
    page.click("button[type=submit]")
    expect(page.locator("#error")).to_contain_text("Invalid login")
    page.fill("#login", login)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    _in_the_workspace(page, scene, login)
    # the provider's tokens never reach the browser
    cookies = page.context.cookies(scene.server.url)
    assert not any(c["value"].startswith("eyJ") for c in cookies)
    page.get_by_role("button", name=f"Abmelden ({login})").click()
    _signed_out(page, scene, login)


def test_sign_in_and_out_with_the_keyboard_alone(scene, page):
    login = unique("kurt")
    scene.op.set_account(login, password=PASSWORD, groups=["jc-nord-team"])
    page.goto(f"{scene.server.url}/login")
    link = page.get_by_role("link", name=PROVIDER_NAME)
    for _ in range(30):
        page.keyboard.press("Tab")
        if link.evaluate("el => el === document.activeElement"):
            break
    else:
        pytest.fail("the directory's link cannot be reached with Tab")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(re.escape(scene.op.issuer) + r"/interaction/"))
    page.keyboard.press("Tab")  # the provider's page: login, password, button
    expect(page.locator("#login")).to_be_focused()
    page.keyboard.type(login)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    _in_the_workspace(page, scene, login)
    logout = page.get_by_role("button", name=f"Abmelden ({login})")
    for _ in range(60):
        page.keyboard.press("Tab")
        if logout.evaluate("el => el === document.activeElement"):
            break
    else:
        pytest.fail("the sign-out button cannot be reached with Tab")
    page.keyboard.press("Enter")
    _signed_out(page, scene, login)
