"""web sessions carry the user's token generation (log out everywhere)

Revision ID: 0741
Revises: 0500
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0741"
down_revision: str | Sequence[str] | None = "0500"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("token_generation", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.drop_column("token_generation")
