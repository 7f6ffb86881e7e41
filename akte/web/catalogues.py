"""The gettext catalogues of the portal and staff texts (``akte/locale/<lang>/LC_MESSAGES``).

German is the source language: every ``msgid`` is the German text, so a text that a
catalogue lacks (or a language without a catalogue) shows the German original, never a key.
Portal texts carry their key (``i18n.py``) as ``msgctxt``; staff texts (``messages.py``,
templates) have none.

Translators work on the ``.po`` files (``make i18n-extract``, ``i18n-update``,
``i18n-compile``; see ``babel.cfg``). Only the ``.po`` files are committed: ``make install``
compiles the ``.mo`` files, and where one is missing or older than its ``.po`` (a clean
clone, a translator's edit not yet compiled) the ``.po`` is read directly with Babel, so
the application never depends on a build step having run.

:func:`extract_texts` is the Babel extractor (``babel.cfg``) for texts kept in dictionaries:
a module-level dict of ``{"de": {key: text}}`` (the portal, context = key) or of
``{code: text}`` (the staff messages, no context).
"""

from __future__ import annotations

import ast
import gettext
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import IO, Any

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "akte"
SOURCE_LANGUAGE = "de"


class _PoTranslations(gettext.NullTranslations):
    """A catalogue read from a ``.po`` file (no compiled ``.mo`` at hand)."""

    def __init__(self, catalog: dict[tuple[str | None, str], str]) -> None:
        super().__init__()
        self._catalog = catalog

    def gettext(self, message: str) -> str:
        return self._catalog.get((None, message)) or message

    def pgettext(self, context: str, message: str) -> str:
        return self._catalog.get((context, message)) or message

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return self.gettext(msgid1 if n == 1 else msgid2)

    def npgettext(self, context: str, msgid1: str, msgid2: str, n: int) -> str:
        return self.pgettext(context, msgid1 if n == 1 else msgid2)


def _read_po(path: Path) -> _PoTranslations:
    from babel.messages.pofile import read_po

    with path.open("rb") as handle:
        catalog = read_po(handle)
    entries: dict[tuple[str | None, str], str] = {}
    for message in catalog:
        if not message.id or message.fuzzy or not isinstance(message.id, str):
            continue
        if isinstance(message.string, str) and message.string:
            entries[(message.context, message.id)] = message.string
    return _PoTranslations(entries)


@cache
def translation(lang: str) -> gettext.NullTranslations:
    """The catalogue of ``lang``: the compiled ``.mo`` when it is current, else the
    ``.po``; a language without either translates nothing (German shows)."""
    folder = LOCALE_DIR / lang / "LC_MESSAGES"
    po, mo = folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"
    if mo.is_file() and (not po.is_file() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as handle:
            return gettext.GNUTranslations(handle)
    if po.is_file():
        return _read_po(po)
    return gettext.NullTranslations()


def pgettext(lang: str, context: str, message: str) -> str:
    """``message`` (German) in ``lang``, or itself where the catalogue has none."""
    if lang == SOURCE_LANGUAGE:
        return message
    return translation(lang).pgettext(context, message)


def has(lang: str, context: str, message: str) -> bool:
    """Whether the catalogue of ``lang`` translates ``message`` (for the completeness
    test and the fallback to translations still kept in Python)."""
    return lang == SOURCE_LANGUAGE or pgettext(lang, context, message) != message


# -- Babel extraction ----------------------------------------------------------------------


def _dict_entries(node: ast.Dict) -> Iterator[tuple[object, ast.expr]]:
    for key, value in zip(node.keys, node.values, strict=True):
        if isinstance(key, ast.Constant):
            yield key.value, value


def _text(node: ast.expr) -> str | None:
    """A literal string (also implicitly concatenated), else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def extract_texts(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: dict[str, Any]
) -> Iterator[tuple[int, str, Any, list[str]]]:
    """Babel extraction method: the German texts of the module's dictionaries.

    Options (``babel.cfg``): ``dicts`` names the dicts (space-separated; default: all
    module-level dicts). A dict whose value for ``"de"`` is a dict yields its texts with
    the key as context (``pgettext``); a flat dict of strings yields each value (``gettext``);
    dicts merged later with ``.update({...})`` count as the dict they update. Calls of
    ``_("…")`` in the same module are extracted too (``gettext``).
    """
    wanted = set((options.get("dicts") or "").split())
    tree = ast.parse(fileobj.read())
    for node in ast.walk(tree):
        name, value = None, None
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("_", "gettext")
            and node.args
        ):
            text = _text(node.args[0])
            if text:
                yield node.lineno, "gettext", text, []
            continue
        if isinstance(node, ast.Assign | ast.AnnAssign):
            target = node.targets[0] if isinstance(node, ast.Assign) else node.target
            name, value = getattr(target, "id", None), node.value
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "update"
            and node.args
        ):
            name, value = getattr(node.func.value, "id", None), node.args[0]
        if not isinstance(value, ast.Dict) or not name or (wanted and name not in wanted):
            continue
        for key, item in _dict_entries(value):
            if key == SOURCE_LANGUAGE and isinstance(item, ast.Dict):
                for text_key, text_node in _dict_entries(item):
                    text = _text(text_node)
                    if text and isinstance(text_key, str):
                        yield text_node.lineno, "pgettext", (text_key, text), []
            else:
                text = _text(item)
                if text:
                    yield item.lineno, "gettext", text, []
