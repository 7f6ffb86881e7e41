"""the citizen's optional e-mail address for the notice that their papers were processed

Revision ID: 0966
Revises: 0965
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0966"
down_revision: str | Sequence[str] | None = "0965"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "web_receipt_notices",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column(
            "receipt_id",
            sa.Uuid(),
            sa.ForeignKey("web_upload_receipts.id", ondelete="CASCADE"),
            nullable=False,
            unique=True,
        ),
        sa.Column(
            "tenant_id", sa.Uuid(), sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("web_receipt_notices")
