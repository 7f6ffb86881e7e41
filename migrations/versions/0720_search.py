"""search: the PostgreSQL search index and the Whoosh index owner

Revision ID: 0720
Revises: 0001

``search_documents`` (PostgreSQL only) holds one row per indexed document: the caller's
scope columns, the facet and sort columns, a weighted ``tsvector`` and the identifier
and name columns the ``postgres`` search backend queries (see ``search/pg``). On SQLite
the table is not created: the ``postgres`` backend is refused there at start-up.

``search_index_owner`` (every database) records which host and folder holds the Whoosh
index when akte runs on PostgreSQL, so a second host cannot silently serve or write
another index.

Extensions: ``pg_trgm`` (typo-tolerant names) and ``btree_gin`` are created when the
server has them and the role may create them; without ``pg_trgm`` fuzzy name queries
fall back to an exact first-letter scan, without ``btree_gin`` nothing changes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0720"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = ("search",)
depends_on: str | Sequence[str] | None = None

EXTENSIONS = ("pg_trgm", "btree_gin", "fuzzystrmatch")


def _try_extension(bind: sa.Connection, name: str) -> bool:
    try:
        with bind.begin_nested():
            bind.exec_driver_sql(f"CREATE EXTENSION IF NOT EXISTS {name}")
        return True
    except sa.exc.DBAPIError:
        return False


def upgrade() -> None:
    op.create_table(
        "search_index_owner",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("index_dir", sa.String(1000), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
    )
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    available = {name for name in EXTENSIONS if _try_extension(bind, name)}
    op.execute(
        """
        CREATE TABLE search_documents (
            doc_id uuid PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE,
            tenant_id uuid NOT NULL,
            org_unit_id uuid NOT NULL,
            case_file_id uuid NOT NULL,
            title text NOT NULL,
            doc_type text,
            source text NOT NULL,
            aktenzeichen text NOT NULL,
            person_name text,
            case_status text NOT NULL,
            document_date date,
            received_at timestamptz NOT NULL,
            sort_date timestamp NOT NULL,
            year integer NOT NULL,
            az text,
            bg text,
            kdnr text,
            idents text[] NOT NULL DEFAULT '{}',
            names text NOT NULL DEFAULT '',
            tsv tsvector NOT NULL,
            stamp text NOT NULL,
            indexed_at timestamptz NOT NULL DEFAULT clock_timestamp()
        )
        """
    )
    op.execute("CREATE INDEX ix_search_documents_tsv ON search_documents USING gin (tsv)")
    op.execute(
        "CREATE INDEX ix_search_documents_scope ON search_documents "
        "(tenant_id, org_unit_id, sort_date)"
    )
    op.execute("CREATE INDEX ix_search_documents_case_file ON search_documents (case_file_id)")
    op.execute("CREATE INDEX ix_search_documents_idents ON search_documents USING gin (idents)")
    op.execute("CREATE INDEX ix_search_documents_az ON search_documents (tenant_id, az)")
    if "pg_trgm" in available:
        op.execute(
            "CREATE INDEX ix_search_documents_names ON search_documents "
            "USING gin (names gin_trgm_ops)"
        )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP TABLE IF EXISTS search_documents")
    op.drop_table("search_index_owner")
