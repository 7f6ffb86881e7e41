"""deliveries: scanning contractors' Lieferungen, their items and the import ledger

Revision ID: 0400
Revises: 0001
Create Date: 2026-11-23 22:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0400"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = ("deliveries",)
depends_on: str | Sequence[str] | None = None

BIGINT_PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("external_id", sa.String(200), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("operator", sa.String(200), nullable=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("manifest_sha256", sa.String(64), nullable=False),
        sa.Column("manifest_format", sa.String(8), nullable=False),
        sa.Column("transfervermerk_sha256", sa.String(64), nullable=False),
        sa.Column("transfervermerk_filename", sa.String(300), nullable=False),
        sa.Column("transfervermerk", sa.JSON(), nullable=False),
        sa.Column("item_count", sa.Integer(), nullable=False),
        sa.Column("committed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_deliveries_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_deliveries_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        sa.UniqueConstraint("tenant_id", "external_id", name=op.f("uq_deliveries_tenant_id")),
    )
    op.create_table(
        "delivery_items",
        sa.Column("id", BIGINT_PK, autoincrement=True, nullable=False),
        sa.Column("delivery_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(320), nullable=False),
        sa.Column("row_no", sa.Integer(), nullable=True),
        sa.Column("external_id", sa.String(200), nullable=True),
        sa.Column("filename", sa.String(500), nullable=True),
        sa.Column("part", sa.Integer(), nullable=True),
        sa.Column("aktenzeichen", sa.String(64), nullable=True),
        sa.Column("bg_nummer", sa.String(64), nullable=True),
        sa.Column("doc_type", sa.String(100), nullable=True),
        sa.Column("title", sa.String(300), nullable=True),
        sa.Column("document_date", sa.Date(), nullable=True),
        sa.Column("scan_date", sa.Date(), nullable=True),
        sa.Column("sha256_claimed", sa.String(64), nullable=True),
        sa.Column("sha256_actual", sa.String(64), nullable=True),
        sa.Column("document_sha256", sa.String(64), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("pages_claimed", sa.Integer(), nullable=True),
        sa.Column("pages_actual", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("reason_code", sa.String(64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("case_file_id", sa.Uuid(), nullable=True),
        sa.Column("document_id", sa.Uuid(), nullable=True),
        sa.Column("binding_sha256", sa.String(64), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["deliveries.id"],
            name=op.f("fk_delivery_items_delivery_id_deliveries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["case_file_id"],
            ["case_files.id"],
            name=op.f("fk_delivery_items_case_file_id_case_files"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_delivery_items_document_id_documents"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_items")),
        sa.UniqueConstraint("delivery_id", "key", name=op.f("uq_delivery_items_delivery_id")),
    )
    with op.batch_alter_table("delivery_items") as batch_op:
        batch_op.create_index(
            "ix_delivery_items_delivery_outcome", ["delivery_id", "outcome"], unique=False
        )
        batch_op.create_index("ix_delivery_items_document", ["document_id"], unique=False)
    op.create_table(
        "delivery_imports",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("external_id", sa.String(200), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("part", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.Uuid(), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_delivery_imports_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["deliveries.id"],
            name=op.f("fk_delivery_imports_delivery_id_deliveries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_delivery_imports_document_id_documents"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "external_id", "sha256", "part", name=op.f("pk_delivery_imports")
        ),
    )


def downgrade() -> None:
    op.drop_table("delivery_imports")
    with op.batch_alter_table("delivery_items") as batch_op:
        batch_op.drop_index("ix_delivery_items_document")
        batch_op.drop_index("ix_delivery_items_delivery_outcome")
    op.drop_table("delivery_items")
    op.drop_table("deliveries")
