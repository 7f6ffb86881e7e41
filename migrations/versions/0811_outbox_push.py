"""outbox: push providers — batches uploaded to a provider's API, letters polled there

Revision ID: 0811
Revises: 0810
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0811"
down_revision: str | Sequence[str] | None = "0810"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_batches") as batch:
        batch.add_column(sa.Column("push_provider", sa.String(length=32), nullable=True))
    op.create_table(
        "outbox_push_items",
        sa.Column("letter_id", sa.Uuid(), nullable=False),
        sa.Column("batch_id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("provider_ref", sa.String(length=64), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("provider_status", sa.String(length=64), nullable=True),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["letter_id"],
            ["outbox_letters.id"],
            name=op.f("fk_outbox_push_items_letter_id_outbox_letters"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["outbox_batches.id"],
            name=op.f("fk_outbox_push_items_batch_id_outbox_batches"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_outbox_push_items_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("letter_id", name=op.f("pk_outbox_push_items")),
    )
    op.create_index(op.f("ix_outbox_push_items_batch_id"), "outbox_push_items", ["batch_id"])
    op.create_index(
        "ix_outbox_push_items_open", "outbox_push_items", ["provider", "final", "checked_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_push_items_open", table_name="outbox_push_items")
    op.drop_index(op.f("ix_outbox_push_items_batch_id"), table_name="outbox_push_items")
    op.drop_table("outbox_push_items")
    with op.batch_alter_table("outbox_batches") as batch:
        batch.drop_column("push_provider")
