"""The PostgreSQL engine's rows hold exactly the Whoosh engine's terms (one analysis chain
in Python, :mod:`search.pg.rows`); the SQL analysis of migration 0840 (still used for
wildcards and fuzzy names) folds and stems as Python does; words anywhere in a long
document are found on both engines."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from akte.core.context import AppContext
from akte.core.database import session_scope
from akte.jobs.worker import run_until_idle
from search.analysis import WORD_PATTERN, GermanStemFilter, fold
from search.backend import IndexDoc
from search.folding import LATIN_TABLE, latin_fold
from search.pg.rows import ROW_COLUMNS, to_row
from search.schema import make_schema
from search.whoosh_backend import to_fields
from tests.builders import World
from tests.client import TestClient
from tests.search.conftest import add_document
from tests.search.corpus import DOC_TYPES, page_texts, person

GERMAN = (
    "Müller Mueller Muller MÜLLER Straße Strasse STRASSE Kontoauszüge Kontoauszuege "
    "Bauer Steuer Quelle Öztürk Oeztuerk Grüßen Gruessen Häuser Haeuser Überweisung "
    "Ueberweisung Bescheinigungen Zuständigkeit Nebenkostenabrechnungen aufgefordert "
    "Weiterbewilligung queue Duell Schäfer Krämer Jäger Böhm"
)


def _vocabulary() -> list[str]:
    rng = random.Random(11)
    words = set(GERMAN.split())
    for _ in range(300):
        who = person(rng, None)
        for page in page_texts(rng, who, rng.choice(DOC_TYPES), 2, filler=10):
            words.update(w for w in WORD_PATTERN.findall(page) if w.isalpha())
    return sorted(words)


def _postgres(ctx: AppContext) -> None:
    if ctx.settings.is_sqlite:
        pytest.skip("the text search configurations exist on PostgreSQL only")


def test_akte_fold_is_the_whoosh_fold(ctx: AppContext) -> None:
    """Umlauts, ß and their ae/oe/ue spellings, the diphthongs that stay (Bauer, Steuer,
    Quelle), and runs of vowels where a greedy rule would go wrong."""
    _postgres(ctx)
    rng = random.Random(5)
    letters = "aeoquxäöüßÄÖÜÉéèAEOU şŞğıİłŁęőřăễøæœđ"
    samples = _vocabulary() + [
        "".join(rng.choice(letters) for _ in range(rng.randint(1, 9))) for _ in range(3000)
    ]
    samples += [chr(code) for code in LATIN_TABLE]
    with ctx.engine.connect() as conn:
        # the engine sends every text through latin_fold first (search.pg.rows, the parser)
        folded = conn.scalar(
            text(
                "SELECT array_agg(akte_fold(w) ORDER BY n) "
                "FROM unnest(CAST(:w AS text[])) WITH ORDINALITY AS u(w, n)"
            ),
            {"w": [latin_fold(s) for s in samples]},
        )
    wrong = [(s, got, fold(s)) for s, got in zip(samples, folded, strict=True) if got != fold(s)]
    assert not wrong, wrong[:10]
    assert len({fold(w) for w in ("Müller", "Mueller", "Muller")}) == 1
    assert {fold(w) for w in ("Şahin", "Sahin", "ŞAHİN")} == {"sahin"}
    assert (
        fold("Łukasz Dvořák Nguyễn Văn Đức Gößweiner") == "lukasz dvorak nguyen van duc gossweiner"
    )


def test_both_engines_index_the_same_tokens(ctx: AppContext) -> None:
    """One analysis chain: for the same document, the Whoosh fields (text, compound parts,
    title, Dokumentart, name) hold exactly the lexemes of the PostgreSQL row's tsvector
    (computed in Python, read back by PostgreSQL), field by field (weights C, D, B, A)."""
    _postgres(ctx)
    rng = random.Random(3)
    pages = [
        p
        for _ in range(20)
        for p in page_texts(rng, person(rng, None), rng.choice(DOC_TYPES), 1, filler=10)
    ]
    pages += [
        "Nebenkostenabrechnung und Heizkostenvorauszahlung für Frau Ayşe Yılmaz, "
        "Kindertagesstättengebühren, Umzugskostenübernahme, Kraftfahrzeughaftpflicht, "
        "Arbeitsunfähigkeitsbescheinigung von Dr. Łukasz Dvořák, Gehaltsabrechnung"
    ]
    schema = make_schema()
    with ctx.engine.connect() as conn:
        for page in pages:
            doc = IndexDoc(
                doc_id=uuid.uuid4(),
                tenant_id=uuid.uuid4(),
                org_unit_id=uuid.uuid4(),
                case_file_id=uuid.uuid4(),
                title="Bescheid über Mietkostenübernahme",
                doc_type="Lohnabrechnung",
                source="scan-import",
                aktenzeichen="AZ-1",
                bg_nummer=None,
                kundennummer=None,
                person_name="Şükrü Öztürk-Łęcki",
                case_status="open",
                document_date=None,
                received_at=datetime.now(UTC),
                text=page,
                stamp="s",
            )
            fields = to_fields(doc)
            expected: dict[str, set[str]] = {"A": set(), "B": set(), "C": set(), "D": set()}
            for name, weight in (
                ("content", "C"),
                ("parts", "D"),
                ("title", "B"),
                ("doc_type", "B"),
                ("name", "A"),
                ("refs", "A"),
            ):
                expected[weight] |= {t.text for t in schema[name].analyzer(fields[name])}
            row = dict(zip(ROW_COLUMNS, to_row(doc), strict=True))
            got: dict[str, set[str]] = {"A": set(), "B": set(), "C": set(), "D": set()}
            for weight in got:
                got[weight] = set(
                    conn.scalar(
                        text(
                            "SELECT coalesce(array_agg(u.lexeme), '{}') FROM "
                            "unnest(CAST(:tsv AS tsvector)) AS u WHERE :w = ANY(u.weights)"
                        ),
                        {"tsv": row["tsv"], "w": weight},
                    )
                )
            for weight in got:  # numbers too: one chain, so "3,50" is one word on both
                assert got[weight] == expected[weight], (weight, page[:80])
    assert "nebenkost" in expected["D"] and {"sukru", "ozturk", "lecki"} <= expected["A"]


def test_akte_german_stems_as_the_whoosh_analyzer(ctx: AppContext) -> None:
    """Every word of the generated corpus gets the same index term on both engines (so
    snippets, which mark words in Python, mark what PostgreSQL matched)."""
    _postgres(ctx)
    words = _vocabulary()
    stem = GermanStemFilter().stem
    with ctx.engine.connect() as conn:
        lexemes = conn.scalar(
            text(
                "SELECT array_agg(array_to_string(tsvector_to_array(to_tsvector("
                "'akte_german', akte_words(w))), ' ') ORDER BY n) "
                "FROM unnest(CAST(:w AS text[])) WITH ORDINALITY AS u(w, n)"
            ),
            {"w": [latin_fold(w) for w in words]},
        )
    wrong = [(w, got, stem(w)) for w, got in zip(words, lexemes, strict=True) if got != stem(w)]
    assert not wrong, wrong[:10]
    assert len(words) > 300


def test_a_word_at_the_end_of_a_long_document_is_found(
    sctx: AppContext, sclient: TestClient, world: World
) -> None:
    """A 200-page scan (about 600 KB of text, beyond the part PostgreSQL indexes with
    word positions): its last word is found, as a word of a short document is."""
    filler = "Seite mit Fließtext über Leistungen nach dem SGB II und weitere Angaben. " * 40
    with session_scope(sctx.session_factory) as session:
        doc = add_document(
            session,
            world.case_a1,
            title="Sammelscan",
            pages=[filler] * 199 + [filler + " Abschlussvermerk Zwölfling"],
        )
        doc_id = str(doc.id)
    run_until_idle(sctx)
    for q in ("Zwölfling", "Zwoelfling", "abschlussvermerk"):
        response = sclient.get(
            "/api/v1/search", params={"q": q}, headers=world.headers["caseworker_a1"]
        )
        assert response.status_code == 200, response.text
        assert [h["document_id"] for h in response.json()["hits"]] == [doc_id], q
