"""outbox: structured recipient and sender addresses, print profile and envelope per letter

The recipient lines become ``Text`` (an address is never cut). Letters stored before keep
``recipient_address`` NULL; the manifest reads their structure from ``recipient``.

Revision ID: 0810
Revises: 0795
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0810"
down_revision: str | Sequence[str] | None = "0795"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_letters") as batch:
        batch.alter_column(
            "recipient",
            existing_type=sa.String(length=500),
            type_=sa.Text(),
            existing_nullable=False,
        )
        batch.add_column(sa.Column("recipient_address", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("sender_address", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("print_profile", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("envelope", sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox_letters") as batch:
        for column in ("envelope", "print_profile", "sender_address", "recipient_address"):
            batch.drop_column(column)
        batch.alter_column(
            "recipient",
            existing_type=sa.Text(),
            type_=sa.String(length=500),
            existing_nullable=False,
        )
