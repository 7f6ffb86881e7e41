"""The words each tenant's documents contain, for typo tolerance of the PostgreSQL engine.

A ``tsvector`` holds stems, and a misspelt word ("Kontoauzug") has no stem to compare
with; the Whoosh engine walks its term dictionary for close terms, PostgreSQL has none
to walk. So the engine keeps one: ``search_vocabulary`` (migration ``0940``), a row per
tenant and folded word of five letters or more (the typo retry loosens only such words)
of the texts, titles, Dokumentarten and compound parts it indexed, with a trigram index.
When nothing matched as typed, :func:`close_words` looks up, *within the caller's
tenant only*, the words at most one (two from eight letters) edits away with the first
letter right — the rule of the Whoosh engine's retry — and the query compiler searches
them instead of the misspelt word (:meth:`search.pg.compile.Compiler._fuzzy`).

Why the tenant and not the caller's org units: the vocabulary is not a permission
filter. A suggested word is only ever *searched*, inside the caller's scope, and never
shown: a word from another org unit's document finds nothing the caller may not open.
A word from another tenant is never looked at (the tenant is in the ``WHERE``;
``tests/search/test_vocabulary.py`` checks it).

Rows are added in the statement that upserts the index rows (the same load table, the
same transaction: :data:`RECORD`); words are kept when documents go, until the tenant's
index is dropped. A stale word costs one more term in a retried query; it cannot widen
what the caller sees.
"""

# The statements are constants; every value is a bound parameter.
# ruff: noqa: S608

from __future__ import annotations

import uuid

from sqlalchemy import Connection, text
from whoosh import query

from search.analysis import fold

#: Shortest word kept (the typo retry loosens words of five letters or more).
MIN_WORD = 5
#: Most close words searched per misspelt word (the closest first).
MAX_CLOSE = 12
#: Characters of a text read for words (beyond: the words of the first 150,000 only).
MAX_CHARS = 150_000
#: Trigram similarity a close word needs at least (narrows through the GIN index first);
#: one edit in a five-letter word leaves about 0.3.
SIMILARITY = 0.2
#: Fields whose fuzzy words are corrected from the vocabulary (names have ``names``).
FIELDS = frozenset({"content", "parts", "title", "doc_type"})

#: Adds the words of the rows in the load table ``search_load_raw`` (see
#: :mod:`search.pg.backend`), sorted, so that concurrent index jobs of one tenant take the
#: row locks in the same order and cannot deadlock.
RECORD = (
    "INSERT INTO search_vocabulary (tenant_id, word) "
    "SELECT DISTINCT l.tenant_id, t.lexeme FROM search_load_raw l, "
    "unnest(to_tsvector('simple', akte_fold(left(concat_ws(' ', l.title_words, "
    f"l.type_words, l.parts, l.body), {MAX_CHARS})))) AS t "
    f"WHERE length(t.lexeme) >= {MIN_WORD} AND t.lexeme ~ '^[[:alpha:]]+$' "
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


def fuzzy_words(tree: query.Query) -> dict[str, int]:
    """The folded words of the fuzzy terms on text fields in ``tree`` → their most edits."""
    found: dict[str, int] = {}
    for leaf in tree.leaves():
        if isinstance(leaf, query.FuzzyTerm) and leaf.fieldname in FIELDS:
            word = fold(str(leaf.text))
            if len(word) >= MIN_WORD and word.isalpha():
                found[word] = max(found.get(word, 0), int(leaf.maxdist))
    return found


def close_words(conn: Connection, tenant_id: uuid.UUID,
                words: dict[str, int]) -> dict[str, list[str]]:
    """For each folded ``word`` the words of the tenant's documents at most ``words[word]``
    edits away with the same first letter, closest first (the word itself, if the tenant
    has it, included)."""
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
