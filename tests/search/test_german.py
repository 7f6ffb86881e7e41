"""The German pieces of the analysis chain on their own: folding, compounds, synonyms."""

from __future__ import annotations

import pytest

from search.analysis import fold, fold_letters, identifiers_in, parts_text
from search.compounds import decompounder
from search.query import typo_tolerant
from search.synonyms import Expander, default_groups, expander, parse_groups


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("Sahin", "Şahin"),
        ("Yilmaz", "Yılmaz"),
        ("Ilknur", "İlknur"),
        ("Lukasz", "Łukasz"),
        ("Leszczynska", "Leszczyńska"),
        ("Weslowski", "Węsłowski"),
        ("Erdos", "Erdős"),
        ("Dvorak", "Dvořák"),
        ("Stefanescu", "Ștefănescu"),
        ("Nguyen", "Nguyễn"),
        ("Duc", "Đức"),
        ("Orsted", "Ørsted"),
        ("Mueller", "Müller"),
        ("Strasse", "Straße"),
        ("Goetz", "Götz"),
    ],
)
def test_every_latin_letter_folds_to_what_a_german_keyboard_types(typed: str, written: str) -> None:
    assert fold(typed) == fold(written)


def test_diphthongs_stay() -> None:
    assert fold("Bauer") != fold("Baur") and fold("Steuer") == "steuer"


@pytest.mark.parametrize(
    ("word", "parts"),
    [
        ("Nebenkostenabrechnung", {"nebenkosten", "abrechnung", "kosten"}),
        ("Heizkostenvorauszahlung", {"heizkosten", "vorauszahlung", "heiz"}),
        ("Mietbescheinigung", {"miet", "bescheinigung"}),
        ("Kindertagesstättengebühren", {"kindertagesstatten", "gebuhren"}),
        ("Kraftfahrzeughaftpflicht", {"kraftfahrzeug", "haftpflicht", "fahrzeug"}),
        ("Arbeitsunfähigkeitsbescheinigung", {"arbeitsunfahigkeit", "bescheinigung"}),
        ("Umzugskostenübernahme", {"umzugskosten", "ubernahme", "kosten"}),
        ("Gehaltsabrechnung", {"gehalts", "abrechnung"}),
        ("Bruttoentgelt", {"brutto", "entgelt"}),
        ("Vertragskonto", {"vertrag", "konto"}),  # not "Vertrag" + "Skonto"
        # the seam before the "s" (hyphenation): not "Lohn" + "-s-" + "teuer"
        ("Lohnsteuer", {"lohn", "steuer"}),
        ("Kirchensteuer", {"kirchen", "steuer"}),
        ("Einkommensteuererklärung", {"einkommensteuer", "erklarung", "steuer"}),
    ],
)
def test_compounds_split_into_dictionary_words_with_linking_elements(
    word: str, parts: set[str]
) -> None:
    found = set(decompounder().parts(fold_letters(word)))
    assert parts <= found, found
    assert fold_letters(word) not in found


@pytest.mark.parametrize(
    "word",
    [
        "Bescheinigung",
        "Gemeinschaft",
        "Mitteilung",
        "Überweisung",
        "Abrechnung",
        "Wohnung",
        "Kündigung",
    ],
)
def test_words_that_are_no_compounds_stay_whole(word: str) -> None:
    assert decompounder().parts(fold_letters(word)) == ()


def test_parts_text_has_each_part_once() -> None:
    text = parts_text("Nebenkostenabrechnung, Nebenkostenabrechnung", "Heizkostenabrechnung")
    assert text.split().count("abrechnung") == 1 and "heizkosten" in text.split()


def test_parts_keep_the_order_of_the_text() -> None:
    """Not a set's order, which depends on the process's hash seed: a PostgreSQL row's
    part positions must not differ between the process that wrote it and the next."""
    assert parts_text("Umzugskostenübernahme Jugendamt").startswith("umzugs ")
    assert parts_text("Jugendamt Umzugskostenübernahme").startswith("jugend amt ")


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("IBAN DE89 3704 0044 0532 0130 00.", ["DE89370400440532013000"]),
        ("DE89370400440532013000", ["DE89370400440532013000"]),
        ("xDE89 3704 0044 0532 0130 00", []),  # no word boundary before it
        ("ÄDE89370400440532013000", []),
        # the match ends at the last word boundary it can reach
        ("DE89 3704 0044 0532 0130 00x", ["DE893704004405320130"]),
        ("BG 12345BG1234567, (12345 BG\n1234567)", ["12345BG1234567"]),
        ("a12345BG1234567 _12345BG1234567 1234512345BG1234567", []),
    ],
)
def test_identifiers_in_a_text_need_a_word_boundary_on_both_sides(
    text: str, found: list[str]
) -> None:
    assert identifiers_in(text) == found


def test_the_synonym_file_has_the_groups_of_the_trade() -> None:
    e = expander()
    assert "Betriebskosten" in e.synonyms(["Nebenkosten"])
    assert {"Gehalt", "Entgelt"} <= set(e.synonyms(["Lohn"]))
    assert "Kindertagesstätte" in e.synonyms(["Kita"])
    assert "Kosten der Unterkunft" in e.synonyms(["KdU"])
    assert {"Bürgergeld", "Grundsicherung", "Arbeitslosengeld II"} <= set(e.synonyms(["ALG", "II"]))
    assert "Arbeitsunfähigkeitsbescheinigung" in e.synonyms(["AU"])
    assert "Kraftfahrzeug" in e.synonyms(["Kfz"])
    assert "Bedarfsgemeinschaft" in e.synonyms(["BG"])
    assert "Weiterbewilligungsantrag" in e.synonyms(["WBA"])
    assert "Einkommenserklärung" in e.synonyms(["EKS"])
    assert len(default_groups()) >= 40


def test_expansion_leaves_fields_quotes_operators_and_identifiers_alone() -> None:
    e = Expander(parse_groups("Kita, Kindertagesstätte\nKdU, Kosten der Unterkunft"))
    assert e.expand("art:Kita") == "art:Kita"
    assert e.expand("-Kita") == "-Kita"
    assert e.expand("Kita*") == "Kita*"
    assert e.expand("AZ-2024-000123") == "AZ-2024-000123"
    assert e.expand("Kita Müller") == "(Kita^2 OR Kindertagesstätte) Müller"
    assert e.expand("Kosten der Unterkunft") == '("Kosten der Unterkunft"^2 OR KdU)'
    assert e.expand("kdu") == '(kdu^2 OR "Kosten der Unterkunft")'


def test_a_compound_query_also_matches_its_parts_with_their_synonyms() -> None:
    e = Expander(parse_groups("Lohn, Gehalt"))
    assert e.expand("Lohnabrechnung") == "(Lohnabrechnung^2 OR ((lohn OR Gehalt) abrechnung))"


def test_typo_retry_loosens_plain_words_only() -> None:
    assert typo_tolerant("Kontoauzug Oberhuper") == "Kontoauzug~2 Oberhuper~2"
    assert typo_tolerant("Miete") == "Miete~1"
    assert typo_tolerant('"Kosten der Unterkunft"') is None
    assert typo_tolerant("AZ-2024-000123") is None
    assert typo_tolerant("art:Kontoauszug Müler") == "art:Kontoauszug Müler~1"


@pytest.mark.parametrize(
    ("word", "parts"),
    [
        ("Jugendamt", {"jugend", "amt"}),
        ("Ordnungsamt", {"ordnung", "amt"}),  # not "Ordnung" + "Samt"
        ("Wohnort", {"wohn", "ort"}),
        ("Arbeitsweg", {"arbeit", "weg"}),
        ("Ölheizung", {"ol", "heizung"}),
        ("Minijobzentrale", {"minijob", "mini", "job", "zentrale"}),
    ],
)
def test_short_parts_split_at_hyphenation_points(word: str, parts: set[str]) -> None:
    found = set(decompounder().parts(fold_letters(word)))
    assert parts <= found, found
    assert "samt" not in found


@pytest.mark.parametrize(
    "word",
    ["Spiegelbild", "Kameraden", "Generator", "Tabulator", "Schulden", "weggehen", "Garnitur"],
)
def test_short_words_that_only_end_a_word_do_not_cut_it(word: str) -> None:
    found = set(decompounder().parts(fold_letters(word)))
    assert not found & {"gel", "rad", "tor", "den", "tur", "weg"}, found


def test_the_word_set_answers_exactly_and_is_read_back_from_its_cache(
    tmp_path,  # type: ignore[no-untyped-def]
    monkeypatch,
) -> None:
    from search import wordset

    words = ["miete", "kosten", "übernahme", "şahin", "a" * 40]
    built = wordset.WordSet.build(words)
    assert all(w in built for w in words) and len(built) == 5
    assert "miet" not in built and "mieten" not in built and "" not in built
    assert set(wordset.WordSet.from_bytes(built.to_bytes())) == set(words)

    monkeypatch.setenv("AKTE_WORDSET_CACHE", str(tmp_path))
    calls: list[int] = []

    def build() -> list[str]:
        calls.append(1)
        return words

    source = tmp_path / "list.txt"
    source.write_text("x")
    first = wordset.cached("t", [source], "v1", build)
    again = wordset.cached("t", [source], "v1", build)
    assert "kosten" in first and "kosten" in again and calls == [1]
    source.write_text("changed list")  # another size: a new cache file
    wordset.cached("t", [source], "v1", build)
    assert calls == [1, 1]


def test_hyphenation_points_are_pyphens() -> None:
    """The compact cached table gives the points pyphen's own parser gives."""
    import pyphen

    from search import hyphenation

    reference = pyphen.Pyphen(lang="de_DE")
    for word in (
        "jugendamt",
        "ordnungsamt",
        "olheizung",
        "minijobzentrale",
        "wohnort",
        "kindertagesstattengebuhren",
        "arbeitsunfahigkeitsbescheinigung",
    ):
        assert hyphenation.positions(word) == tuple(reference.positions(word)), word


def test_a_word_set_is_built_once_when_two_threads_ask_at_once(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The API's start-up thread (search.warm) and a first search may ask for the word
    list together: the second waits for the first's build and reads its file."""
    import threading
    import time

    from search import wordset

    monkeypatch.setenv("AKTE_WORDSET_CACHE", str(tmp_path))
    calls: list[int] = []

    def slow_build() -> list[str]:
        calls.append(1)
        time.sleep(0.5)
        return ["nebenkosten", "abrechnung"]

    source = tmp_path / "list.txt"
    source.write_text("x")
    results: list[object] = []
    threads = [
        threading.Thread(
            target=lambda: results.append(wordset.cached("w", [source], "v1", slow_build))
        )
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert calls == [1]
    assert len(results) == 3 and all("abrechnung" in r for r in results)  # type: ignore[operator]


def test_the_warm_up_thread_writes_the_word_list_before_any_search(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from search import compounds, warm

    monkeypatch.setenv("AKTE_WORDSET_CACHE", str(tmp_path))
    compounds.decompounder.cache_clear()
    try:
        warm.start().join(120)
        assert list(tmp_path.glob("words_de-*.bin")), "the word list's cache file was not written"
        assert compounds.decompounder.cache_info().currsize == 1
    finally:
        compounds.decompounder.cache_clear()
