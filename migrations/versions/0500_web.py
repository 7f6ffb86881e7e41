"""web: upload codes, receipts, rate-limit counters, staff sessions, Posteingang rejections

Revision ID: 0500
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0500"
down_revision: str | Sequence[str] | None = "0001"
# akte/uploads: codes, receipts, rate counters; akte/web: sessions
branch_labels: str | Sequence[str] | None = ("uploads", "web")
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "web_upload_codes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("case_file_id", sa.Uuid(), nullable=False),
        sa.Column("prefix", sa.String(length=8), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("files_uploaded", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_web_upload_codes_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["case_file_id"],
            ["case_files.id"],
            name=op.f("fk_web_upload_codes_case_file_id_case_files"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_web_upload_codes_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_upload_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_web_upload_codes_code_hash")),
    )
    op.create_index("ix_web_upload_codes_case_file", "web_upload_codes", ["case_file_id"])
    op.create_index(op.f("ix_web_upload_codes_prefix"), "web_upload_codes", ["prefix"])

    op.create_table(
        "web_upload_receipts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("upload_code_id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("case_file_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["upload_code_id"],
            ["web_upload_codes.id"],
            name=op.f("fk_web_upload_receipts_upload_code_id_web_upload_codes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_web_upload_receipts_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["case_file_id"],
            ["case_files.id"],
            name=op.f("fk_web_upload_receipts_case_file_id_case_files"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_upload_receipts")),
    )
    op.create_index(
        op.f("ix_web_upload_receipts_upload_code_id"), "web_upload_receipts", ["upload_code_id"]
    )

    op.create_table(
        "web_rate_counters",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_web_rate_counters")),
    )

    op.create_table(
        "web_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_web_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_web_sessions")),
    )
    op.create_index(op.f("ix_web_sessions_user_id"), "web_sessions", ["user_id"])

    op.create_table(
        "web_inbox_rejections",
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("rejected_by_id", sa.Uuid(), nullable=True),
        sa.Column("rejected_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_web_inbox_rejections_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["rejected_by_id"],
            ["users.id"],
            name=op.f("fk_web_inbox_rejections_rejected_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("document_id", name=op.f("pk_web_inbox_rejections")),
    )


def downgrade() -> None:
    op.drop_table("web_inbox_rejections")
    op.drop_index(op.f("ix_web_sessions_user_id"), table_name="web_sessions")
    op.drop_table("web_sessions")
    op.drop_table("web_rate_counters")
    op.drop_index(op.f("ix_web_upload_receipts_upload_code_id"), table_name="web_upload_receipts")
    op.drop_table("web_upload_receipts")
    op.drop_index(op.f("ix_web_upload_codes_prefix"), table_name="web_upload_codes")
    op.drop_index("ix_web_upload_codes_case_file", table_name="web_upload_codes")
    op.drop_table("web_upload_codes")
