"""web sessions vouched for by an OpenID Provider (re-checked with its refresh token)

Revision ID: 0831
Revises: 0830, 0500
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0831"
down_revision: str | Sequence[str] | None = ("0830", "0500")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "identity_sessions",
        sa.Column("web_session_hash", sa.String(length=64), nullable=False),
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("sid", sa.String(length=200), nullable=True),
        sa.Column("refresh_token", sa.Text(), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["web_session_hash"],
            ["web_sessions.token_hash"],
            ondelete="CASCADE",
            name=op.f("fk_identity_sessions_web_session_hash_web_sessions"),
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["identity_providers.id"],
            ondelete="CASCADE",
            name=op.f("fk_identity_sessions_provider_id_identity_providers"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            ondelete="CASCADE",
            name=op.f("fk_identity_sessions_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("web_session_hash", name=op.f("pk_identity_sessions")),
    )
    op.create_index(op.f("ix_identity_sessions_provider_id"), "identity_sessions", ["provider_id"])
    op.create_index(op.f("ix_identity_sessions_sid"), "identity_sessions", ["sid"])


def downgrade() -> None:
    op.drop_table("identity_sessions")
