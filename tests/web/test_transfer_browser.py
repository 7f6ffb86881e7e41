"""The Zuständigkeitswechsel in headless Chromium against a live server: the sending admin
asks from the Akte's administration page, the receiving admin accepts into an org unit,
the in-process worker moves the Akte, both sides see it ``übertragen``. axe-core finds no
serious or critical violation on either page, and both reflow at 320 px. Screenshots:
``wechsel-*``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import expect

from akte.core.database import session_scope
from akte.users.models import Role
from tests.builders import make_case_file, make_org_unit, make_tenant, make_user
from tests.web.live import LiveServer, live_server, shoot
from tests.web.test_admin_browser import _login, _reflows
from tests.web.test_browser import assert_accessible, axe, browser, page  # noqa: F401

pytestmark = pytest.mark.slow
expect.set_options(timeout=20_000)
MOVED = re.compile(r"^übertragen \(LB-7")


@dataclass
class Scene:
    server: LiveServer
    sender: str
    receiver: str
    case_file_id: object
    aktenzeichen: str
    to_slug: str


@pytest.fixture(scope="module")
def scene(tmp_path_factory) -> Iterator[Scene]:
    with live_server(tmp_path_factory.mktemp("live-wechsel")) as server:
        with session_scope(server.ctx.session_factory) as session:
            old = make_tenant(session, name="Jobcenter Altstadt")
            old_unit = make_org_unit(session, old, code="LB-1", name="Leistungsbereich 1")
            new = make_tenant(session, name="Jobcenter Neustadt", slug="jc-neustadt")
            make_org_unit(session, new, code="LB-7", name="Leistungsbereich 7")
            sender = make_user(session, old, Role.tenant_admin, (old_unit,))
            receiver = make_user(session, new, Role.tenant_admin, ())
            akte = make_case_file(session, old, old_unit, aktenzeichen="AZ-2024-000777")
            found = Scene(
                server,
                sender.username,
                receiver.username,
                akte.id,
                akte.aktenzeichen,
                new.slug,
            )
        yield found


def test_transfer_requested_accepted_and_moved(scene, page, axe):  # noqa: F811
    base = scene.server.url
    _login(page, base, scene.sender)
    page.goto(f"{base}/app/verwaltung/akten/{scene.case_file_id}")
    page.get_by_label("Kurzname des neuen Jobcenters").fill(scene.to_slug)
    page.get_by_label("Grund", exact=True).fill("Umzug der Bedarfsgemeinschaft")
    page.get_by_role("button", name="Wechsel beantragen").click()
    expect(page.get_by_role("status")).to_contain_text("Wechsel beantragt")
    expect(page.get_by_role("cell", name="Jobcenter Neustadt")).to_be_visible()
    shoot(page, "wechsel-01-abgegeben")
    assert_accessible(page, axe, "Zuständigkeitswechsel (abgebend)")
    _reflows(page, "Zuständigkeitswechsel")
    page.context.clear_cookies()

    _login(page, base, scene.receiver)
    page.goto(f"{base}/app/verwaltung")
    page.get_by_role("navigation", name="Verwaltung").get_by_role(
        "link", name="Zuständigkeitswechsel"
    ).click()
    expect(page.get_by_role("cell", name="Jobcenter Altstadt")).to_be_visible()
    assert_accessible(page, axe, "Zuständigkeitswechsel (annehmend)")
    _reflows(page, "Zuständigkeitswechsel (annehmend)")
    page.get_by_label(f"Organisationseinheit für {scene.aktenzeichen}").select_option(
        label="LB-7 – Leistungsbereich 7"
    )
    page.get_by_role("button", name=re.compile("^Annehmen")).click()
    expect(page.get_by_role("status")).to_contain_text("Akte angenommen")
    for _ in range(60):  # the in-process worker moves it
        if page.get_by_role("cell", name=MOVED).count():
            break
        page.wait_for_timeout(500)
        page.reload()
    expect(page.get_by_role("cell", name=MOVED)).to_be_visible()
    shoot(page, "wechsel-02-angenommen")
    # the receiver administers the Akte now
    page.goto(f"{base}/app/verwaltung/akten/{scene.case_file_id}")
    expect(page.get_by_role("heading", name=re.compile(scene.aktenzeichen))).to_be_visible()
