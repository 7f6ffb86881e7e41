"""second factor (TOTP) and recovery codes of local accounts

Revision ID: 0900
Revises: 0831
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0900"
down_revision: str | Sequence[str] | None = "0831"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "identity_second_factors",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_step", sa.Integer(), nullable=False, server_default="0"),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            ondelete="CASCADE",
            name=op.f("fk_identity_second_factors_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_identity_second_factors")),
    )
    op.create_table(
        "identity_recovery_codes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            ondelete="CASCADE",
            name=op.f("fk_identity_recovery_codes_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_recovery_codes")),
    )
    op.create_index(
        op.f("ix_identity_recovery_codes_user_id"), "identity_recovery_codes", ["user_id"]
    )


def downgrade() -> None:
    op.drop_table("identity_recovery_codes")
    op.drop_table("identity_second_factors")
