"""The word forms the viewer marks on a page: the search's own analysis, not the letters."""

from __future__ import annotations

from search.highlight import matching_forms

PAGE = (
    "Die Kontoauszüge für März liegen bei. Kontoauszug Nr. 3 zeigt die Mietzahlung; "
    "die Nebenkostenabrechnungen folgen. Strasse: Hauptstraße 5. Kontoinhaber: Müller."
)


def test_inflected_and_folded_forms_are_marked_as_they_stand_in_the_text():
    assert matching_forms("kontoauszug", PAGE) == ["Kontoauszüge", "Kontoauszug"]
    assert matching_forms("Kontoauszuege", PAGE) == ["Kontoauszüge", "Kontoauszug"]
    assert matching_forms("Nebenkostenabrechnung", PAGE) == ["Nebenkostenabrechnungen"]
    assert matching_forms("hauptstrasse", PAGE) == ["Hauptstraße"]
    assert matching_forms("mueller", PAGE) == ["Müller"]


def test_query_syntax_is_read_leniently():
    assert matching_forms('typ:Kontoauszug AND "Mietzahlung"', PAGE) == [
        "Kontoauszüge",
        "Kontoauszug",
        "Mietzahlung",
    ]
    # a negated word is not what the reader looks for
    assert matching_forms("Mietzahlung -Kontoauszug", PAGE) == ["Mietzahlung"]
    # a prefix query marks every word starting with it
    assert matching_forms("Konto*", PAGE) == ["Kontoauszüge", "Kontoauszug", "Kontoinhaber"]


def test_nothing_is_marked_for_words_not_on_the_page():
    assert matching_forms("Heizkosten", PAGE) == []
    assert matching_forms("", PAGE) == []
    assert matching_forms("AND OR", PAGE) == []
