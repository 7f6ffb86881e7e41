"""search: per-tenant vocabulary of indexed words for typo tolerance (PostgreSQL engine)

Revision ID: 0940
Revises: 0920

``search_vocabulary`` holds, per tenant, every lexeme of four letters or more of the
PostgreSQL engine's rows (``tsv``: stems of texts, titles, Dokumentarten and compound
parts, folded name words; see ``search/pg/vocabulary.py``); a query that matched nothing
as typed looks up the lexemes close to its misspelt words there (``pg_trgm`` similarity
narrows through the trigram index, ``fuzzystrmatch``'s Levenshtein distance decides).
The upgrade backfills it from the rows already in ``search_documents``. SQLite (the
Whoosh-only embedded installation) gets nothing: the Whoosh engine corrects from its own
term dictionary.
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
MIN_LEXEME = 4
#: The lexemes of every row in ``search_documents`` (also run by
#: tests/search/test_vocabulary.py).
BACKFILL = f"""
INSERT INTO search_vocabulary (tenant_id, word)
SELECT DISTINCT s.tenant_id, t.lexeme
FROM search_documents s, unnest(tsvector_to_array(s.tsv)) AS t(lexeme)
WHERE length(t.lexeme) >= {MIN_LEXEME} AND t.lexeme !~ '[^[:alpha:]]'
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
            tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
            word text NOT NULL,
            PRIMARY KEY (tenant_id, word)
        )
        """
    )
    extensions = set(bind.exec_driver_sql("SELECT extname FROM pg_extension").scalars())
    if {"pg_trgm", "btree_gin"} <= extensions:
        op.execute(
            "CREATE INDEX IF NOT EXISTS ix_search_vocabulary_trgm ON search_vocabulary "
            "USING gin (tenant_id, word gin_trgm_ops)"
        )
    elif "pg_trgm" in extensions:
        op.execute(
            "CREATE INDEX IF NOT EXISTS ix_search_vocabulary_trgm ON search_vocabulary "
            "USING gin (word gin_trgm_ops)"
        )
    # the words of what is indexed now: current pages and titles of indexed documents
    op.execute(BACKFILL)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TABLE IF EXISTS search_vocabulary")
