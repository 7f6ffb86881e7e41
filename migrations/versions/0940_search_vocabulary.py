"""search: per-tenant vocabulary of indexed words for typo tolerance (PostgreSQL engine)

Revision ID: 0940
Revises: 0920

``search_vocabulary`` holds, per tenant, every folded word of five letters or more of the
texts, titles, Dokumentarten and compound parts the PostgreSQL engine indexed (see
``search/pg/vocabulary.py``); a query that matched nothing as typed looks up the close
words of its misspelt words there (``pg_trgm`` similarity narrows through the trigram
index, ``fuzzystrmatch``'s Levenshtein distance decides). The upgrade backfills it from
the documents already in ``search_documents`` (their current version's pages and
titles), analysed by the same ``akte_fold`` the index uses. Compound parts of existing
rows come in with the next ``akte search reindex``. SQLite (the Whoosh-only embedded
installation) gets nothing: the Whoosh engine corrects from its own term dictionary.
"""

# The DDL is formatted from this module's constants only, never from input.
# ruff: noqa: S608

from collections.abc import Sequence

from alembic import op

revision: str = "0940"
down_revision: str | Sequence[str] | None = "0920"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: As ``search.pg.vocabulary`` (kept here: a migration must not change with the code).
MIN_WORD = 5
MAX_CHARS = 150_000
#: The words of the documents in ``search_documents`` (current version's pages, title,
#: Dokumentart), folded as the index folds them (also run by tests/search/test_vocabulary.py).
BACKFILL = f"""
INSERT INTO search_vocabulary (tenant_id, word)
SELECT DISTINCT s.tenant_id, t.lexeme
FROM search_documents s
JOIN documents d ON d.id = s.doc_id
JOIN document_versions v ON v.document_id = d.id AND v.version_no = d.current_version
JOIN document_pages p ON p.version_id = v.id,
unnest(to_tsvector('simple', akte_fold(left(concat_ws(' ', s.title, s.doc_type, p.text),
                                            {MAX_CHARS})))) AS t
WHERE length(t.lexeme) >= {MIN_WORD} AND t.lexeme ~ '^[[:alpha:]]+$'
ORDER BY 1, 2
ON CONFLICT DO NOTHING
"""


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute(
        """
        CREATE TABLE IF NOT EXISTS search_vocabulary (
            tenant_id uuid NOT NULL,
            word text NOT NULL,
            PRIMARY KEY (tenant_id, word)
        )
        """
    )
    extensions = set(bind.exec_driver_sql("SELECT extname FROM pg_extension").scalars())
    if {"pg_trgm", "btree_gin"} <= extensions:
        op.execute("CREATE INDEX IF NOT EXISTS ix_search_vocabulary_trgm ON search_vocabulary "
                   "USING gin (tenant_id, word gin_trgm_ops)")
    elif "pg_trgm" in extensions:
        op.execute("CREATE INDEX IF NOT EXISTS ix_search_vocabulary_trgm ON search_vocabulary "
                   "USING gin (word gin_trgm_ops)")
    # the words of what is indexed now: current pages and titles of indexed documents
    op.execute(BACKFILL)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TABLE IF EXISTS search_vocabulary")
