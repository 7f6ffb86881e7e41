"""document pages: why a single page could not be processed (the others were)

Revision ID: 0870
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0870"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = ("documents",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("document_pages") as batch:
        batch.add_column(sa.Column("problem", sa.String(500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("document_pages") as batch:
        batch.drop_column("problem")
