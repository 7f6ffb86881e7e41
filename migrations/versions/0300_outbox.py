"""outbox: letters, status history, batches, batch items, settings, provider grants

Revision ID: 0300
Revises: 0001
Create Date: 2026-11-23 22:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0300"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = ("outbox",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox_schedule",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("job_id", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_outbox_schedule")),
    )
    op.create_table(
        "outbox_settings",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_outbox_settings_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_outbox_settings")),
    )
    op.create_table(
        "outbox_batches",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("product", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("letter_count", sa.Integer(), nullable=False),
        sa.Column("sheet_count", sa.Integer(), nullable=False),
        sa.Column("zip_sha256", sa.String(length=64), nullable=True),
        sa.Column("zip_size", sa.BigInteger(), nullable=True),
        sa.Column("manifest_sha256", sa.String(length=64), nullable=True),
        sa.Column("sealed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("offer_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("download_count", sa.Integer(), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["acknowledged_by_id"],
            ["users.id"],
            name=op.f("fk_outbox_batches_acknowledged_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_outbox_batches_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_batches")),
    )
    op.create_index(
        "ix_outbox_batches_offer",
        "outbox_batches",
        ["tenant_id", "status", "offer_expires_at"],
        unique=False,
    )
    op.create_table(
        "outbox_provider_tenants",
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["users.id"],
            name=op.f("fk_outbox_provider_tenants_provider_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_outbox_provider_tenants_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "provider_id", "tenant_id", name=op.f("pk_outbox_provider_tenants")
        ),
    )
    op.create_table(
        "outbox_letters",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("case_file_id", sa.Uuid(), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("batch_id", sa.Uuid(), nullable=True),
        sa.Column("aktenzeichen", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("recipient", sa.String(length=500), nullable=False),
        sa.Column("product", sa.String(length=32), nullable=False),
        sa.Column("color", sa.Boolean(), nullable=False),
        sa.Column("duplex", sa.Boolean(), nullable=False),
        sa.Column("page_count", sa.Integer(), nullable=False),
        sa.Column("sheet_count", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("posted_on", sa.Date(), nullable=True),
        sa.Column("legal_delivery_date", sa.Date(), nullable=True),
        sa.Column("delivered_on", sa.Date(), nullable=True),
        sa.Column("return_reason", sa.Text(), nullable=True),
        sa.Column("proof_document_id", sa.Uuid(), nullable=True),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["outbox_batches.id"],
            name=op.f("fk_outbox_letters_batch_id_outbox_batches"),
        ),
        sa.ForeignKeyConstraint(
            ["case_file_id"],
            ["case_files.id"],
            name=op.f("fk_outbox_letters_case_file_id_case_files"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_outbox_letters_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_outbox_letters_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["proof_document_id"],
            ["documents.id"],
            name=op.f("fk_outbox_letters_proof_document_id_documents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_outbox_letters_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_letters")),
    )
    op.create_index(
        op.f("ix_outbox_letters_batch_id"), "outbox_letters", ["batch_id"], unique=False
    )
    op.create_index(
        "ix_outbox_letters_case_file",
        "outbox_letters",
        ["case_file_id", "created_at"],
        unique=False,
    )
    op.create_index(
        "ix_outbox_letters_queue",
        "outbox_letters",
        ["tenant_id", "status", "product", "created_at"],
        unique=False,
    )
    op.create_table(
        "outbox_batch_items",
        sa.Column("batch_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("letter_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["outbox_batches.id"],
            name=op.f("fk_outbox_batch_items_batch_id_outbox_batches"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["letter_id"],
            ["outbox_letters.id"],
            name=op.f("fk_outbox_batch_items_letter_id_outbox_letters"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("batch_id", "position", name=op.f("pk_outbox_batch_items")),
        sa.UniqueConstraint("letter_id", name=op.f("uq_outbox_batch_items_letter_id")),
    )
    op.create_table(
        "outbox_letter_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("letter_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_outbox_letter_events_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["letter_id"],
            ["outbox_letters.id"],
            name=op.f("fk_outbox_letter_events_letter_id_outbox_letters"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_letter_events")),
        sa.UniqueConstraint("letter_id", "status", name=op.f("uq_outbox_letter_events_letter_id")),
    )
    op.create_index(
        op.f("ix_outbox_letter_events_letter_id"),
        "outbox_letter_events",
        ["letter_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_outbox_letter_events_letter_id"), table_name="outbox_letter_events")
    op.drop_table("outbox_letter_events")
    op.drop_table("outbox_batch_items")
    op.drop_index("ix_outbox_letters_queue", table_name="outbox_letters")
    op.drop_index("ix_outbox_letters_case_file", table_name="outbox_letters")
    op.drop_index(op.f("ix_outbox_letters_batch_id"), table_name="outbox_letters")
    op.drop_table("outbox_letters")
    op.drop_table("outbox_provider_tenants")
    op.drop_index("ix_outbox_batches_offer", table_name="outbox_batches")
    op.drop_table("outbox_batches")
    op.drop_table("outbox_settings")
    op.drop_table("outbox_schedule")
