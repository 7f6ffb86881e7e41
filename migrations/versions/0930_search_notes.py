"""search: Aktenvermerke in ``search_documents`` (a row names a document *or* a note);
``tsv`` compressed with lz4

Revision ID: 0930
Revises: 0920

Until now every row of the PostgreSQL engine had to name a document (``doc_id``
referenced ``documents`` with ``ON DELETE CASCADE``), so Aktenvermerke were indexed by the
Whoosh engine only. ``doc_id`` stays the row's key (the id a hit carries: a document's or
a note's); what it points at moves to two nullable columns with their own cascading
foreign keys, exactly one of them set: ``document_id`` (→ ``documents``) and ``note_id``
(→ ``case_notes``). Deleting either still takes its row along. Existing rows are
documents. Run ``akte search reindex`` (or ``akte search check --repair``) after the
upgrade to add the notes written before it.

The ``tsvector`` of a document of two pages is longer than PostgreSQL's TOAST threshold
(2 KB), so every row written is compressed: lz4 (PostgreSQL 14 and later, when the server
was built with it) instead of the default pglz costs about 8 % less of the server's CPU
per row written (``python -m bench.pg_index``). Where lz4 is missing nothing changes.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0930"
down_revision: str | Sequence[str] | None = "0920"
branch_labels: str | Sequence[str] | None = None
#: ``case_notes`` is made by the casework branch
depends_on: str | Sequence[str] | None = ("0820",)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    # the foreign key was declared inline in 0720: its name is PostgreSQL's default,
    # looked up rather than assumed (in the database: ``akte db upgrade --sql`` works too)
    op.execute("""
        DO $$
        DECLARE c text;
        BEGIN
            FOR c IN SELECT conname FROM pg_constraint
                     WHERE conrelid = 'search_documents'::regclass AND contype = 'f'
                       AND confrelid = 'documents'::regclass LOOP
                EXECUTE 'ALTER TABLE search_documents DROP CONSTRAINT ' || quote_ident(c);
            END LOOP;
        END $$
    """)
    op.execute(
        "ALTER TABLE search_documents "
        "ADD COLUMN document_id uuid REFERENCES documents (id) ON DELETE CASCADE, "
        "ADD COLUMN note_id uuid REFERENCES case_notes (id) ON DELETE CASCADE"
    )
    op.execute("UPDATE search_documents SET document_id = doc_id")
    # A previous release still running during a rolling upgrade writes rows that name only
    # ``doc_id`` (always a document's): fill ``document_id`` for it, so its indexing keeps
    # working and its rows still go with their document (expand; docs/OPERATIONS.md).
    op.execute("""
        CREATE OR REPLACE FUNCTION akte_search_documents_target() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.document_id IS NULL AND NEW.note_id IS NULL THEN
                NEW.document_id := NEW.doc_id;
            END IF;
            RETURN NEW;
        END $$
    """)
    op.execute(
        "CREATE TRIGGER search_documents_target BEFORE INSERT OR UPDATE ON search_documents "
        "FOR EACH ROW EXECUTE FUNCTION akte_search_documents_target()"
    )
    op.execute(
        "ALTER TABLE search_documents ADD CONSTRAINT ck_search_documents_target "
        "CHECK (num_nonnulls(document_id, note_id) = 1)"
    )
    # the cascades look rows up by these (doc_id's primary key served before)
    op.execute("CREATE INDEX ix_search_documents_document ON search_documents (document_id)")
    op.execute(
        "CREATE INDEX ix_search_documents_note ON search_documents (note_id) "
        "WHERE note_id IS NOT NULL"
    )
    # a server without lz4 (built without it, or before 14) keeps pglz, as before
    op.execute("""
        DO $$
        BEGIN
            EXECUTE 'ALTER TABLE search_documents ALTER COLUMN tsv SET COMPRESSION lz4';
        EXCEPTION WHEN OTHERS THEN
            NULL;
        END $$
    """)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute("DELETE FROM search_documents WHERE note_id IS NOT NULL")
    op.execute("DROP TRIGGER IF EXISTS search_documents_target ON search_documents")
    op.execute("DROP FUNCTION IF EXISTS akte_search_documents_target()")
    op.execute(
        "ALTER TABLE search_documents DROP CONSTRAINT ck_search_documents_target, "
        "DROP COLUMN note_id, DROP COLUMN document_id"
    )
    op.execute(
        "ALTER TABLE search_documents ADD FOREIGN KEY (doc_id) REFERENCES documents (id) "
        "ON DELETE CASCADE"
    )
