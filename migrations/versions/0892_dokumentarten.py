"""casework: each tenant's list of Dokumentarten with their keywords

Revision ID: 0892
Revises: 0891
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0892"
down_revision: str | Sequence[str] | None = "0891"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dokumentarten",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name="fk_dokumentarten_tenant_id_tenants",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "name", name="pk_dokumentarten"),
    )


def downgrade() -> None:
    op.drop_table("dokumentarten")
