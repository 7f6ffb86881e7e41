"""The portal's and staff pages' texts come from gettext catalogues a translator's tool opens
(akte/locale/<lang>/LC_MESSAGES/akte.po), German being the source language."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from akte.core.errors import NotFound
from akte.web import catalogues, i18n, messages
from tests.web.conftest import browser

LOCALE = Path(catalogues.LOCALE_DIR)


def _po(lang: str) -> dict[tuple[str | None, str], str]:
    with (LOCALE / lang / "LC_MESSAGES" / "akte.po").open("rb") as handle:
        catalog = read_po(handle)
    return {(m.context, m.id): m.string for m in catalog if m.id and not m.fuzzy}  # type: ignore[misc]


@pytest.mark.parametrize("lang", [code for code in i18n.LANGUAGES if code != i18n.DEFAULT])
def test_every_portal_message_is_translated_in_the_language_catalogue(lang):
    entries = _po(lang)
    missing = [
        key for key, german in i18n.TEXTS[i18n.DEFAULT].items() if not entries.get((key, german))
    ]
    assert missing == [], f"{lang}.po lacks translations of {missing}: run make i18n-update"
    # and the portal shows the catalogue's text, not the German
    for key, german in i18n.TEXTS[i18n.DEFAULT].items():
        assert i18n.translator(lang)(key) == entries[(key, german)]


def test_the_german_catalogue_and_template_hold_every_source_text():
    """A German text added without `make i18n-extract` would never reach a translator."""
    with (LOCALE / "akte.pot").open("rb") as handle:
        template = {(m.context, m.id) for m in read_po(handle) if m.id}
    found = {
        (context, text) if isinstance(text, str) else (text[0], text[1])
        for _, text, _, context in extract_from_file(
            catalogues.extract_texts,
            str(Path(i18n.__file__)),
            keywords={"gettext": None, "pgettext": ((1, "c"), 2)},
            options={"dicts": "TEXTS MORE PAGES"},
        )
    }
    assert found and found <= template
    assert {(key, german) for key, german in i18n.TEXTS[i18n.DEFAULT].items()} <= template
    assert ("Upload-Code", "Upload-Code") not in template  # staff texts carry no context
    assert (None, "Das ist mit Ihrer Rolle nicht erlaubt.") in template


def test_an_untranslated_text_falls_back_to_its_german_source(monkeypatch):
    monkeypatch.setitem(i18n.TEXTS[i18n.DEFAULT], "brand_new", "Ganz neuer Text")
    assert i18n.translator("ar")("brand_new") == "Ganz neuer Text"
    assert i18n.translator("ti")("no_such_key") == "no_such_key"
    assert catalogues.pgettext("ur", "title", "Ein geänderter Text") == "Ein geänderter Text"
    # a language without any catalogue translates nothing
    assert catalogues.translation("xx").gettext("Bitte") == "Bitte"


def test_a_po_file_not_yet_compiled_is_read_directly(tmp_path, monkeypatch):
    """A clean clone has no .mo: the .po is the catalogue."""
    folder = tmp_path / "ar" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "akte.po").write_bytes((LOCALE / "ar" / "LC_MESSAGES" / "akte.po").read_bytes())
    monkeypatch.setattr(catalogues, "LOCALE_DIR", tmp_path)
    catalogues.translation.cache_clear()
    try:
        assert not (folder / "akte.mo").exists()
        german = i18n.TEXTS[i18n.DEFAULT]["title"]
        assert catalogues.pgettext("ar", "title", german) == _po("ar")[("title", german)]
    finally:
        catalogues.translation.cache_clear()


def test_staff_messages_stay_german_through_the_catalogue():
    assert messages.german(NotFound("document not found")) == "Dokument nicht gefunden."
    reason = messages.form_reason({"type": "string_too_long", "ctx": {"max_length": 300}})
    assert reason == "höchstens 300 Zeichen"


def test_the_jinja_i18n_extension_translates_in_the_page_language():
    from akte.web.templating import env

    german = i18n.TEXTS[i18n.DEFAULT]["title"]
    template = env.from_string('{{ pgettext("title", "' + german + '") }}|{{ _("Bitte") }}')
    assert template.render(lang="ar") == f"{_po('ar')[('title', german)]}|Bitte"
    assert template.render() == f"{german}|Bitte"


@pytest.mark.parametrize(
    ("lang", "direction"),
    [("de", "ltr"), ("en", "ltr"), ("ti", "ltr"), ("ar", "rtl"), ("fa", "rtl"), ("ur", "rtl")],
)
def test_arabic_farsi_and_urdu_pages_are_right_to_left(ctx, lang, direction):
    with browser(ctx) as citizen:
        page = citizen.get(f"/upload?lang={lang}")
        assert f'<html lang="{lang}" dir="{direction}">' in page.text
        assert i18n.translator(lang)("title") in page.text
