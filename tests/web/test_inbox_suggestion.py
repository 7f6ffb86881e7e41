"""The Posteingang's Dokumentart suggestion (pre-selected, so filing is one click)."""

from __future__ import annotations

from akte.inbox.service import DOC_TYPES, KEYWORDS, suggest_doc_type


def test_suggestion_from_title_or_text_and_none_when_unsure():
    assert suggest_doc_type("IMG_2024.jpg", "Entgeltabrechnung für Mai 2024") == "Lohnabrechnung"
    assert suggest_doc_type("Kontoauszug 7.pdf", None) == "Kontoauszug"
    assert suggest_doc_type("scan.pdf", "Betriebskostenabrechnung 2023") == "Nebenkostenabrechnung"
    assert suggest_doc_type("scan.pdf", "Sehr geehrte Damen und Herren") is None
    assert suggest_doc_type(None, None) is None


def test_every_suggestion_is_an_offered_dokumentart():
    assert {doc_type for _, doc_type in KEYWORDS} <= set(DOC_TYPES)
