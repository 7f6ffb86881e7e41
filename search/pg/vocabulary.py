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

Rows are added by the statement after the upsert (the same transaction:
:data:`RECORD_WORDS`), from the lexemes Python collected while it wrote the rows'
vectors: no row is read back, no ``tsv`` decompressed and unnested (that statement cost
about a tenth of a millisecond of the server's CPU per document). A rebuild sends each
word once per process (:class:`search.pg.backend.PostgresBackend`, ``rebuild``).
Deleting a document leaves its words behind (a delete would
have to know which words no other row of the tenant still has); a stale word costs one
more term in a retried query and cannot widen what the caller sees, but a tenant that
deletes for years would keep every word it ever had. :func:`prune` sweeps them out: the
periodic task ``search.vocabulary_prune`` (:mod:`search.tasks`, daily by default) walks a
tenant's words in batches and deletes those no row of the tenant contains any more.
"""

from __future__ import annotations

import uuid

from sqlalchemy import Connection, Engine, text
from whoosh import query

from search.analysis import GermanStemFilter, fold

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

#: Adds a tenant's words (its one driver parameter pair: tenant, words), the vocabulary
#: words of the rows just written as :func:`search.pg.rows.tsvector` collected them
#: (see :mod:`search.pg.backend`), sorted, so that concurrent index jobs of one tenant
#: take the row locks in the same order and cannot deadlock.
RECORD_WORDS = (
    "INSERT INTO search_vocabulary (tenant_id, word) "
    "SELECT %s, w FROM unnest(CAST(%s AS text[])) AS w ORDER BY 2 ON CONFLICT DO NOTHING"
)

#: For each misspelt word (its stem ``s``, its folded form ``f``, the edits ``d``): lexemes
#: with the same first letter and at most ``d`` edits from the stem, or from the start of
#: the folded word when the lexeme is a stem cut at least 70 % of its length and at most
#: five letters short of it ("mietbescheinigng" ~ "mietbeschein", the stem of
#: "Mietbescheinigung": Snowball cut "igung", the misspelt word keeps its ending).
_CLOSE = (
    "SELECT q.s, v.word, v.e FROM unnest(CAST(:stems AS text[]), CAST(:folded AS text[]), "
    "CAST(:dists AS int[])) AS q(s, f, d) "
    "CROSS JOIN LATERAL (SELECT s.word, least(levenshtein_less_equal(s.word, q.s, q.d), "
    "CASE WHEN length(s.word) < length(q.f) "
    "AND length(s.word) >= greatest(length(q.f) - 5, ceil(0.7 * length(q.f))) "
    "THEN levenshtein_less_equal(s.word, left(q.f, length(s.word)), q.d) "
    "ELSE q.d + 1 END) AS e "
    "FROM search_vocabulary s WHERE s.tenant_id = :tenant AND s.word % q.s "
    "AND left(s.word, 1) = left(q.s, 1)) AS v "
    "WHERE v.e <= q.d"
)
_ORDERED = (
    "SELECT s, word FROM (SELECT c.*, row_number() OVER (PARTITION BY c.s ORDER BY c.e, "
    "c.word) AS n FROM ({close}) AS c) AS r WHERE n <= :limit"
)


_stemmer = GermanStemFilter()


def key(word: str) -> str:
    """The lexeme ``akte_german`` makes of ``word`` (the same fold and Snowball German)."""
    return _stemmer.stem(word)


def fuzzy_words(tree: query.Query) -> dict[str, tuple[str, int]]:
    """The stems of the fuzzy terms on text fields in ``tree`` → (the folded word, its
    most edits)."""
    found: dict[str, tuple[str, int]] = {}
    for leaf in tree.leaves():
        if isinstance(leaf, query.FuzzyTerm) and leaf.fieldname in FIELDS:
            stem = key(str(leaf.text))
            if len(stem) >= MIN_LEXEME and stem.isalpha():
                edits = max(found.get(stem, ("", 0))[1], int(leaf.maxdist))
                found[stem] = (fold(str(leaf.text)), edits)
    return found


def close_words(
    conn: Connection, tenant_id: uuid.UUID, words: dict[str, tuple[str, int]]
) -> dict[str, list[str]]:
    """For each stem in ``words`` (→ folded word, edits) the lexemes of the tenant's
    documents within the edits (see :data:`_CLOSE`) with the same first letter, closest
    first (the stem itself, if the tenant has it, included)."""
    if not words:
        return {}
    conn.exec_driver_sql(f"SET LOCAL pg_trgm.similarity_threshold = {SIMILARITY}")
    rows = conn.execute(
        text(_ORDERED.format(close=_CLOSE)),
        {
            "stems": list(words),
            "folded": [f for f, _d in words.values()],
            "dists": [d for _f, d in words.values()],
            "tenant": tenant_id,
            "limit": MAX_CLOSE,
        },
    )
    found: dict[str, list[str]] = {w: [] for w in words}
    for word, close in rows:
        found[word].append(close)
    return found


#: Words one pruning transaction checks (each a GIN lookup; the batch holds the table lock
#: below, so index jobs wait at most that long).
PRUNE_BATCH = 500

#: The next batch of a tenant's words after ``:after`` (keyset paging: no offset rescans).
_NEXT_WORDS = (
    "SELECT word FROM search_vocabulary WHERE tenant_id = :t AND word > :after "
    "ORDER BY word LIMIT :n"
)
#: Of those words, the ones no row of the tenant contains (a lexeme as a one-word
#: ``tsquery`` matches it under any weight, through the GIN index on ``tsv``).
_DELETE_UNUSED = (
    "DELETE FROM search_vocabulary v WHERE v.tenant_id = :t AND v.word = ANY(:words) "
    "AND NOT EXISTS (SELECT 1 FROM search_documents d WHERE d.tenant_id = :t "
    "AND d.tsv @@ CAST(quote_literal(v.word) AS tsquery))"
)
#: Taken before each batch's delete: it conflicts with the row lock every ``INSERT`` takes,
#: so it waits until index transactions that already recorded their words have committed,
#: and the delete's snapshot (taken after the lock) sees their rows. Without it, a word
#: recorded by an uncommitted index job (``ON CONFLICT DO NOTHING`` against the existing
#: row) could be deleted for good while the job's document has it.
_LOCK = "LOCK TABLE search_vocabulary IN SHARE ROW EXCLUSIVE MODE"
#: Whether ``akte search reindex`` is filling its new table (``search.pg.rebuild``): its
#: words are recorded already, its rows not yet in ``search_documents``; the sweep waits
#: for its next run (checked after the lock, which the rebuild's recording conflicts with).
_REBUILDING = "SELECT to_regclass('search_documents_next')"


def vocabulary_tenants(engine: Engine) -> list[uuid.UUID]:
    """The tenants that have words (a tenant whose documents all went still has some)."""
    with engine.connect() as conn:
        return list(conn.scalars(text("SELECT DISTINCT tenant_id FROM search_vocabulary")))


def prune(engine: Engine, tenant_id: uuid.UUID, *, batch: int = PRUNE_BATCH) -> int:
    """Delete the tenant's words that none of its rows contains any more; how many.

    One short transaction per batch, so index jobs of every tenant are held back for one
    batch at a time, never for the whole sweep."""
    deleted = 0
    after = ""
    while True:
        with engine.connect() as conn:
            words = list(
                conn.scalars(text(_NEXT_WORDS), {"t": tenant_id, "after": after, "n": batch})
            )
        if not words:
            return deleted
        with engine.begin() as conn:
            conn.execute(text(_LOCK))
            if conn.scalar(text(_REBUILDING)) is not None:
                return deleted  # the rebuild's table may hold words the live one lacks
            result = conn.execute(text(_DELETE_UNUSED), {"t": tenant_id, "words": words})
            deleted += int(result.rowcount or 0)
        after = words[-1]


def drop_tenant(conn: Connection, tenant_id: uuid.UUID) -> None:
    conn.execute(text("DELETE FROM search_vocabulary WHERE tenant_id = :t"), {"t": tenant_id})
