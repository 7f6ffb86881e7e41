"""The QR code on a letter opens ``/upload#code=…``: in Chromium at phone size the code is
in the field, gone from the address bar, and no request the browser sends carries it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from akte.uploads import service as codes
from tests.web.test_portal_browser import browser, new_code, page, portal  # noqa: F401

pytestmark = pytest.mark.slow


def test_the_letters_link_fills_the_code_without_sending_it_anywhere(portal, page: Page):  # noqa: F811
    code = new_code(portal)
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.url))
    page.goto(f"{portal.server.url}/upload?lang=de#code={code}")
    expect(page.locator("#code")).to_have_value(code)
    assert "#" not in page.url and code not in page.url
    assert page.evaluate("window.location.hash") == ""
    normalized = codes.normalize(code)
    assert not [url for url in sent if code in url or normalized in url], sent
    page.get_by_role("button", name="Weiter").click()
    expect(page).to_have_url(f"{portal.server.url}/upload/files?lang=de")
    # the code went to the server once, in the body of the form post, never in a URL
    assert not [url for url in sent if code in url or normalized in url], sent
