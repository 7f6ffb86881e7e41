"""API keys that expire (rotation), and OAuth clients acting as service accounts

Revision ID: 0970
Revises: 0902
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0970"
down_revision: str | Sequence[str] | None = "0902"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("refused_audited_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "identity_service_clients",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column(
            "provider_id",
            sa.Uuid(),
            sa.ForeignKey("identity_providers.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("client_id", sa.String(200), nullable=False),
        sa.Column(
            "user_id", sa.Uuid(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("provider_id", "client_id"),
    )
    op.create_index(
        "ix_identity_service_clients_provider_id", "identity_service_clients", ["provider_id"]
    )
    op.create_index("ix_identity_service_clients_user_id", "identity_service_clients", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_identity_service_clients_user_id", "identity_service_clients")
    op.drop_index("ix_identity_service_clients_provider_id", "identity_service_clients")
    op.drop_table("identity_service_clients")
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("refused_audited_at")
        batch.drop_column("expires_at")
