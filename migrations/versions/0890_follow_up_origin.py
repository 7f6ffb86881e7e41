"""casework: follow-ups set by a letter's deadline, and papers received for them

Revision ID: 0890
Revises: 0820
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0890"
down_revision: str | Sequence[str] | None = "0820"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("follow_ups") as batch:
        batch.add_column(
            sa.Column("origin", sa.String(16), nullable=False, server_default="manual")
        )
        batch.add_column(sa.Column("upload_code_id", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("papers_received_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_follow_ups_upload_code_id", ["upload_code_id"])


def downgrade() -> None:
    with op.batch_alter_table("follow_ups") as batch:
        batch.drop_index("ix_follow_ups_upload_code_id")
        batch.drop_column("papers_received_at")
        batch.drop_column("upload_code_id")
        batch.drop_column("origin")
