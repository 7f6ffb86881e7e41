"""casework: each tenant's list of Vorgangsarten

Revision ID: 0891
Revises: 0890
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0891"
down_revision: str | Sequence[str] | None = "0890"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "vorgangsarten",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name="fk_vorgangsarten_tenant_id_tenants",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "name", name="pk_vorgangsarten"),
    )


def downgrade() -> None:
    op.drop_table("vorgangsarten")
