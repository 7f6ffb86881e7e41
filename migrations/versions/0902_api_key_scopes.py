"""API keys limited to named scopes

Revision ID: 0902
Revises: 0901
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0902"
down_revision: str | Sequence[str] | None = "0901"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("scopes", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("scopes")
