"""outbox feedback: rejections, tracking numbers, proofs, returns after delivery, downloads

Revision ID: 0795
Revises: 0300
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0795"
down_revision: str | Sequence[str] | None = "0300"
branch_labels: str | Sequence[str] | None = None  # on the outbox branch (0300)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_letters") as batch:
        batch.add_column(sa.Column("tracking_number", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("rejection_code", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("rejection_reason", sa.Text(), nullable=True))
        batch.add_column(
            sa.Column(
                "return_after_delivery", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        batch.add_column(sa.Column("legal_date_source", sa.String(length=16), nullable=True))
    with op.batch_alter_table("outbox_batches") as batch:
        batch.add_column(sa.Column("first_report_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "outbox_batch_downloads",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("batch_id", sa.Uuid(), nullable=False),
        sa.Column("provider_id", sa.Uuid(), nullable=True),
        sa.Column("requested_range", sa.String(length=100), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["outbox_batches.id"],
            name=op.f("fk_outbox_batch_downloads_batch_id_outbox_batches"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["users.id"],
            name=op.f("fk_outbox_batch_downloads_provider_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_batch_downloads")),
    )
    op.create_index(
        op.f("ix_outbox_batch_downloads_batch_id"), "outbox_batch_downloads", ["batch_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_outbox_batch_downloads_batch_id"), table_name="outbox_batch_downloads")
    op.drop_table("outbox_batch_downloads")
    with op.batch_alter_table("outbox_batches") as batch:
        batch.drop_column("first_report_at")
    with op.batch_alter_table("outbox_letters") as batch:
        for column in (
            "legal_date_source",
            "return_after_delivery",
            "rejection_reason",
            "rejection_code",
            "tracking_number",
        ):
            batch.drop_column(column)
