"""The citizen's journey code → upload → receipt at phone size (390×844) in each of the six
languages, checked by axe-core against WCAG 2.1 A/AA, once with the keyboard only; and the
read-aloud button, which speaks a page in its language (browser voice or espeak-ng on the
server) and is absent where no voice exists. Screenshots: test-artifacts/screenshots."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, FileChooser, Page, expect, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from akte.web import i18n, speech
from tests.ingest.samples import text_pdf
from tests.web.live import CHROMIUM, CHROMIUM_ARGS, axe_source, shoot
from tests.web.test_portal_browser import PHONE, Portal, new_code, portal  # noqa: F401

pytestmark = pytest.mark.slow
expect.set_options(timeout=20_000)
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def axe() -> str:
    return axe_source()


def phone(chromium: Browser, lang: str) -> Page:
    context = chromium.new_context(
        viewport=PHONE, locale=lang, has_touch=True, is_mobile=True, bypass_csp=True
    )
    tab = context.new_page()
    tab.set_default_timeout(20_000)
    return tab


def wcag_violations(page: Page, axe: str) -> list[str]:
    """Every axe-core finding against a WCAG 2.1 A or AA rule, whatever its impact."""
    page.add_script_tag(content=axe)
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']})",
        WCAG,
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
    ]


def paper(tmp_path, lang: str) -> str:
    path = tmp_path / f"Lohnabrechnung-{lang}.pdf"
    path.write_bytes(text_pdf([["Lohnabrechnung", lang]]))
    return str(path)


@pytest.mark.parametrize("lang", list(i18n.LANGUAGES))
def test_code_upload_receipt_in_every_language_without_wcag_violations(
    portal,  # noqa: F811
    chromium,
    axe,
    tmp_path,
    lang,
):
    t = i18n.translator(lang)
    page = phone(chromium, lang)
    try:
        page.goto(f"{portal.server.url}/upload?lang={lang}")
        expect(page.locator("html")).to_have_attribute("dir", "rtl" if lang in i18n.RTL else "ltr")
        expect(page).to_have_title(f"{t('title_start')} – {t('title')}")
        assert wcag_violations(page, axe) == []
        shoot(page, f"journey-{lang}-1-code")

        page.get_by_label(t("code_label")).fill(new_code(portal))
        page.get_by_role("button", name=t("continue")).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(t("choose_files"))
        assert wcag_violations(page, axe) == []
        # nothing runs off the phone's screen
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        shoot(page, f"journey-{lang}-2-upload")

        page.get_by_label(t("choose_files")).set_input_files([paper(tmp_path, lang)])
        page.get_by_role("button", name=t("upload"), exact=True).click()
        expect(page.get_by_role("heading", name=t("receipt_title"))).to_be_visible()
        expect(page.get_by_role("table")).to_contain_text(f"Lohnabrechnung-{lang}.pdf")
        assert wcag_violations(page, axe) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        shoot(page, f"journey-{lang}-3-receipt")
    finally:
        page.context.close()


def tab_to(page: Page, selector: str, limit: int = 40) -> None:
    """Press Tab until the element is focused (as a keyboard user would)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} cannot be reached with the Tab key")


def intercept_file_choosers(page: Page) -> None:
    """Have Playwright catch every file chooser of ``page`` from now on.

    Playwright asks the browser to hand file choosers to it only while a ``filechooser``
    listener exists, and sends that request without waiting for it
    (``updateSubscription``, fire and forget). With ``expect_file_chooser`` alone, that
    request goes out together with the key press, and the press can arrive first:
    Chromium then opens its own dialog (nothing to see headless). That is the likely
    cause of what two loaded full runs saw, no chooser in 10-20 s, once not on a second
    press either. A listener added when the page opens has its request answered long
    before the press (the Tab presses before it are round trips)."""
    page.on("filechooser", lambda _chooser: None)


def choose_with_space(page: Page) -> FileChooser:
    """Space on the focused file field opens the file chooser (the page must catch file
    choosers already: :func:`intercept_file_choosers`). A keyboard user whose first press
    went by presses again, and so does this. A field that never opens still fails, on
    the second press."""
    for attempt in (1, 2):
        try:
            with page.expect_file_chooser(timeout=10_000) as chooser:
                page.keyboard.press("Space")
            return chooser.value
        except PlaywrightTimeout:
            if attempt == 2:
                raise
            assert page.evaluate("() => document.activeElement.id") == "files"
    raise AssertionError("unreachable")


@pytest.mark.parametrize("lang", ["de", "ar"])
def test_the_journey_with_the_keyboard_only(portal, chromium, axe, tmp_path, lang):  # noqa: F811
    t = i18n.translator(lang)
    page = phone(chromium, lang)
    intercept_file_choosers(page)
    try:
        page.goto(f"{portal.server.url}/upload?lang={lang}")
        tab_to(page, "#code")
        page.keyboard.type(new_code(portal))
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", level=1)).to_have_text(t("choose_files"))

        tab_to(page, "#files")
        choose_with_space(page).set_files([paper(tmp_path, f"keyboard-{lang}")])
        expect(page.locator(".progress-list li")).to_have_count(1)
        tab_to(page, "form[data-portal-upload] button[type=submit]")
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name=t("receipt_title"))).to_be_visible()
        # the receipt's download link is reachable too
        tab_to(page, "a[href*='/pdf']")
        assert wcag_violations(page, axe) == []
        shoot(page, f"journey-{lang}-keyboard-receipt")
    finally:
        page.context.close()


@pytest.mark.parametrize("lang", ["de", "ar"])
def test_the_read_aloud_button_is_there_where_a_voice_speaks_the_language(
    portal,  # noqa: F811
    chromium,
    lang,
):
    assert speech.voice(lang) is not None, "espeak-ng with its voices must be installed"
    t = i18n.translator(lang)
    page = phone(chromium, lang)
    try:
        page.goto(f"{portal.server.url}/upload?lang={lang}")
        button = page.get_by_role("button", name=t("read_aloud"))
        expect(button).to_be_visible()
        spoken = page.evaluate("JSON.parse(document.getElementById('speak-texts').textContent)")
        assert {"key": "intro", "text": t("intro")} in spoken["items"]
        # the server's audio of one of the page's texts
        answer = page.request.get(f"{portal.server.url}/upload/speech/{lang}/intro")
        assert answer.status == 200 and answer.headers["content-type"] == "audio/wav"
        assert answer.body()[:4] == b"RIFF" and len(answer.body()) > 10_000
        # pressing it plays the page (headless Chromium has no voice: the server's audio)
        with page.expect_request(lambda r: "/upload/speech/" in r.url):
            button.click()
        expect(page.get_by_role("button", name=t("stop_reading"))).to_have_attribute(
            "aria-pressed", "true"
        )
        shoot(page, f"read-aloud-{lang}")
    finally:
        page.context.close()


def test_no_read_aloud_button_for_a_language_without_any_voice(portal, chromium):  # noqa: F811
    """espeak-ng has no Tigrinya voice and headless Chromium none at all."""
    assert speech.voice("ti") is None
    page = phone(chromium, "ti")
    try:
        page.goto(f"{portal.server.url}/upload?lang=ti")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        expect(page.locator("#read-aloud")).to_be_hidden()
        assert page.request.get(f"{portal.server.url}/upload/speech/ti/intro").status == 404
    finally:
        page.context.close()
