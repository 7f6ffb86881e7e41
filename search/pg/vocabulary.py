"""The terms each tenant's documents contain, for typo tolerance of the PostgreSQL engine.

The Whoosh engine corrects a misspelt word ("Kontoauzug") by walking its term dictionary
for close terms; a GIN index over ``tsvector``s has no dictionary to walk. So the engine
keeps one: ``search_vocabulary`` (migration ``0940``), a row per tenant and lexeme of
four letters or more of its rows' ``tsv`` (the stems of texts, titles, Dokumentarten
and compound parts, the folded name words), with a trigram index. When nothing matched
as typed, :func:`close_words` looks up, *within the caller's tenant only*, the lexemes
at most one (two from eight letters) edits away from the misspelt word's stem with the
first letter right — the rule of the Whoosh engine's retry — and the query compiler
searches them as lexemes instead of the misspelt word
(:meth:`search.pg.compile.Compiler._fuzzy`).

Why lexemes and not the words as written: they are read from the ``tsvector`` the upsert
has just computed, with no second pass of PostgreSQL's parser over the text (recording
words parsed again cost as much as the whole row analysis, measured per document), and
long texts are covered completely.

Why the tenant and not the caller's org units: the vocabulary is not a permission
filter. A suggested word is only ever *searched*, inside the caller's scope, and never
shown: a word from another org unit's document finds nothing the caller may not open.
A word from another tenant is never looked at (the tenant is in the ``WHERE``;
``tests/search/test_vocabulary.py`` checks it).

Rows are added by the statement after the upsert (the same load table, the same
transaction: :data:`RECORD`); lexemes are kept when documents go, until the tenant's
index is dropped. A stale word costs one more term in a retried query; it cannot widen
what the caller sees.
"""

# The statements are constants; every value is a bound parameter.
# ruff: noqa: S608

from __future__ import annotations

import uuid

from sqlalchemy import Connection, text
from whoosh import query

from search.analysis import GermanStemFilter

#: Shortest lexeme kept (the typo retry loosens words of five letters or more, whose
#: stems have four or more: "miete" → "miet").
MIN_LEXEME = 4
#: Most close words searched per misspelt word (the closest first).
MAX_CLOSE = 12
#: Trigram similarity a close word needs at least (narrows through the GIN index first);
#: one edit in a five-letter word leaves about 0.3.
SIMILARITY = 0.2
#: Fields whose fuzzy words are corrected from the vocabulary (names have ``names``).
FIELDS = frozenset({"content", "parts", "title", "doc_type"})

#: Adds the lexemes of the rows just upserted from the load table ``search_load_raw``
#: (see :mod:`search.pg.backend`), sorted, so that concurrent index jobs of one tenant
#: take the row locks in the same order and cannot deadlock.
RECORD = (
    "INSERT INTO search_vocabulary (tenant_id, word) "
    "SELECT DISTINCT d.tenant_id, t.lexeme FROM search_documents d "
    "JOIN search_load_raw l ON l.doc_id = d.doc_id, "
    "unnest(tsvector_to_array(d.tsv)) AS t(lexeme) "
    f"WHERE length(t.lexeme) >= {MIN_LEXEME} AND t.lexeme !~ '[^[:alpha:]]' "
    "ORDER BY 1, 2 ON CONFLICT DO NOTHING"
)

_CLOSE = (
    "SELECT q.w, v.word FROM unnest(CAST(:words AS text[]), CAST(:dists AS int[])) AS q(w, d) "
    "CROSS JOIN LATERAL (SELECT s.word, levenshtein_less_equal(s.word, q.w, q.d) AS e "
    "FROM search_vocabulary s WHERE s.tenant_id = :tenant AND s.word % q.w "
    "AND left(s.word, 1) = left(q.w, 1) "
    "AND levenshtein_less_equal(s.word, q.w, q.d) <= q.d "
    "ORDER BY e, similarity(s.word, q.w) DESC, s.word LIMIT :limit) AS v"
)


_stemmer = GermanStemFilter()


def key(word: str) -> str:
    """The lexeme ``akte_german`` makes of ``word`` (the same fold and Snowball German)."""
    return _stemmer.stem(word)


def fuzzy_words(tree: query.Query) -> dict[str, int]:
    """The stems of the fuzzy terms on text fields in ``tree`` → their most edits."""
    found: dict[str, int] = {}
    for leaf in tree.leaves():
        if isinstance(leaf, query.FuzzyTerm) and leaf.fieldname in FIELDS:
            stem = key(str(leaf.text))
            if len(stem) >= MIN_LEXEME and stem.isalpha():
                found[stem] = max(found.get(stem, 0), int(leaf.maxdist))
    return found


def close_words(conn: Connection, tenant_id: uuid.UUID,
                words: dict[str, int]) -> dict[str, list[str]]:
    """For each stem in ``words`` the lexemes of the tenant's documents at most
    ``words[stem]`` edits away with the same first letter, closest first (the stem
    itself, if the tenant has it, included)."""
    if not words:
        return {}
    conn.exec_driver_sql(f"SET LOCAL pg_trgm.similarity_threshold = {SIMILARITY}")
    rows = conn.execute(text(_CLOSE), {"words": list(words), "dists": list(words.values()),
                                       "tenant": tenant_id, "limit": MAX_CLOSE})
    found: dict[str, list[str]] = {w: [] for w in words}
    for word, close in rows:
        found[word].append(close)
    return found


def drop_tenant(conn: Connection, tenant_id: uuid.UUID) -> None:
    conn.execute(text("DELETE FROM search_vocabulary WHERE tenant_id = :t"), {"t": tenant_id})
