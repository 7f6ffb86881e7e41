"""upload receipts: the files not accepted, with their reason, next to those stored

Revision ID: 0880
Revises: 0500
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0880"
down_revision: str | Sequence[str] | None = "0500"
branch_labels: str | Sequence[str] | None = None  # on the uploads branch (0500)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("web_upload_receipts") as batch:
        batch.add_column(sa.Column("refused", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("web_upload_receipts") as batch:
        batch.drop_column("refused")
