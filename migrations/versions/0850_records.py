"""records: redacted renditions and exports (Akteneinsicht, Aktenübersendung, xdomea)

Revision ID: 0850
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0850"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = ("records",)
depends_on: str | Sequence[str] | None = None


def _fk(table: str, column: str, target: str, ondelete: str | None = "CASCADE"):
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    ts = sa.DateTime(timezone=True)
    op.create_table(
        "records_redactions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("case_file_id", sa.Uuid(), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("version_id", sa.Uuid(), nullable=False),
        sa.Column("source_sha256", sa.String(64), nullable=False),
        sa.Column("redacted_sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("page_count", sa.Integer(), nullable=False),
        sa.Column("areas", sa.JSON(), nullable=False),
        sa.Column("terms", sa.JSON(), nullable=False),
        sa.Column("redacted_pages", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", ts, nullable=False),
        _fk("records_redactions", "tenant_id", "tenants"),
        _fk("records_redactions", "case_file_id", "case_files"),
        _fk("records_redactions", "document_id", "documents"),
        _fk("records_redactions", "version_id", "document_versions"),
        _fk("records_redactions", "created_by_id", "users", None),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_records_redactions")),
    )
    op.create_index(
        "ix_records_redactions_version", "records_redactions", ["version_id", "created_at"]
    )
    op.create_index(
        op.f("ix_records_redactions_case_file_id"), "records_redactions", ["case_file_id"]
    )
    op.create_index(
        op.f("ix_records_redactions_document_id"), "records_redactions", ["document_id"]
    )
    op.create_table(
        "records_exports",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("case_file_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("recipient", sa.String(300), nullable=False),
        sa.Column("reference", sa.String(200), nullable=True),
        sa.Column("document_ids", sa.JSON(), nullable=False),
        sa.Column("xdomea_version", sa.String(8), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("progress_done", sa.Integer(), nullable=False),
        sa.Column("progress_total", sa.Integer(), nullable=False),
        sa.Column("page_count", sa.Integer(), nullable=True),
        sa.Column("pdf_sha256", sa.String(64), nullable=True),
        sa.Column("pdf_size", sa.BigInteger(), nullable=True),
        sa.Column("zip_sha256", sa.String(64), nullable=True),
        sa.Column("zip_size", sa.BigInteger(), nullable=True),
        sa.Column("zip_name", sa.String(200), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("finished_at", ts, nullable=True),
        sa.Column("created_at", ts, nullable=False),
        sa.Column("updated_at", ts, nullable=False),
        _fk("records_exports", "tenant_id", "tenants"),
        _fk("records_exports", "case_file_id", "case_files"),
        _fk("records_exports", "created_by_id", "users", None),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_records_exports")),
    )
    op.create_index(
        "ix_records_exports_case_file", "records_exports", ["case_file_id", "created_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_records_exports_case_file", table_name="records_exports")
    op.drop_table("records_exports")
    op.drop_index(op.f("ix_records_redactions_document_id"), table_name="records_redactions")
    op.drop_index(op.f("ix_records_redactions_case_file_id"), table_name="records_redactions")
    op.drop_index("ix_records_redactions_version", table_name="records_redactions")
    op.drop_table("records_redactions")
