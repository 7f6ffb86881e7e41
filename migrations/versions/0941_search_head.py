"""search: ``head`` — the name, identifier, title and Dokumentart words of a row, inline

Revision ID: 0941
Revises: 0940

The PostgreSQL engine ranks a page of a large result from a bounded set of candidates
(``search/pg/backend.py``): the rows whose *head* — weights A and B of ``tsv``: person
name, Aktenzeichen/BG-Nummer/Kundennummer words, title, Dokumentart — contains a searched
word, plus the newest matches. ``tsv`` is several KB and TOASTed; ``head`` is a few dozen
bytes kept in the heap row, with its own GIN index, so the candidates are found without
decompressing any ``tsv``.

Expand-only: a trigger computes ``head`` from ``tsv`` (``ts_filter``) on every insert and
update, so the previous release's writers, which do not know the column, keep it right;
this release's writers rely on the same trigger. Existing rows are filled here.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0941"
down_revision: str | Sequence[str] | None = "0940"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE search_documents ADD COLUMN head tsvector")
    # inline: a few dozen bytes, read for every candidate without touching TOAST
    op.execute("ALTER TABLE search_documents ALTER COLUMN head SET STORAGE MAIN")
    op.execute("""
        CREATE OR REPLACE FUNCTION akte_search_documents_head() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            NEW.head := ts_filter(NEW.tsv, '{a,b}');
            RETURN NEW;
        END $$
    """)
    op.execute(
        "CREATE TRIGGER search_documents_head BEFORE INSERT OR UPDATE OF tsv "
        "ON search_documents FOR EACH ROW EXECUTE FUNCTION akte_search_documents_head()"
    )
    op.execute("UPDATE search_documents SET head = ts_filter(tsv, '{a,b}')")
    op.execute("CREATE INDEX ix_search_documents_head ON search_documents USING gin (head)")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS search_documents_head ON search_documents")
    op.execute("DROP FUNCTION IF EXISTS akte_search_documents_head()")
    op.execute("ALTER TABLE search_documents DROP COLUMN head")
