"""Snippets show the passage with the query's words, marked, and never let markup through."""

from __future__ import annotations

import re

from search.analysis import GermanStemFilter
from search.snippets import make_snippet

STEM = GermanStemFilter().stem


def words(*plain: str) -> set[str]:
    return {STEM(w) for w in plain}


def test_marks_every_form_of_the_word_in_the_best_passage() -> None:
    text = (
        "Einleitung ohne Treffer. " * 30 + "Die Kontoauszüge vom Mai und der Kontoauszug "
        "vom Juni liegen vor. " + "Schluss ohne Treffer. " * 30
    )
    snippet = make_snippet(text, words("Kontoauszug"), STEM)
    assert "<mark>Kontoauszüge</mark>" in snippet and "<mark>Kontoauszug</mark>" in snippet
    assert snippet.startswith("… ") and snippet.endswith(" …")
    assert len(snippet.replace("<mark>", "").replace("</mark>", "")) <= 300 + 4


def test_document_text_is_escaped() -> None:
    text = 'Miete <script>alert("x")</script> & <b>fett</b>'
    snippet = make_snippet(text, words("Miete"), STEM)
    assert snippet.startswith("<mark>Miete</mark> &lt;script&gt;")
    assert "<b>" not in snippet and "&amp;" in snippet


def test_without_a_match_the_beginning_is_shown_whole_entities_only() -> None:
    text = "a" * 298 + " <tag> more"
    snippet = make_snippet(text, words("Miete"), STEM)
    assert snippet.endswith("&lt;")
    assert not re.search(r"&(?!lt;|gt;|amp;)", snippet)  # never a cut entity like "&l"
    assert make_snippet("", words("Miete"), STEM) == ""


def test_a_huge_text_is_not_read_to_the_end() -> None:
    text = "Füllwort " * 2_000_000 + "Miete"  # 18 MB, the match far beyond the scan limit
    snippet = make_snippet(text, words("Miete"), STEM)
    assert "<mark>" not in snippet and snippet.startswith("Füllwort")
