"""identity providers (OpenID Connect, LDAP), group mappings, directory links

Revision ID: 0830
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0830"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = ("identity",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "identity_providers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("client_secret", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            ondelete="CASCADE",
            name=op.f("fk_identity_providers_tenant_id_tenants"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_providers")),
        sa.UniqueConstraint("tenant_id", "slug", name=op.f("uq_identity_providers_tenant_id")),
    )
    op.create_index(op.f("ix_identity_providers_tenant_id"), "identity_providers", ["tenant_id"])
    op.create_table(
        "identity_group_mappings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.Column("group", sa.String(length=500), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=True),
        sa.Column("org_unit_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["identity_providers.id"],
            ondelete="CASCADE",
            name=op.f("fk_identity_group_mappings_provider_id_identity_providers"),
        ),
        sa.ForeignKeyConstraint(
            ["org_unit_id"],
            ["org_units.id"],
            ondelete="CASCADE",
            name=op.f("fk_identity_group_mappings_org_unit_id_org_units"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_group_mappings")),
    )
    op.create_index(
        op.f("ix_identity_group_mappings_provider_id"), "identity_group_mappings", ["provider_id"]
    )
    op.create_table(
        "identity_links",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("groups", sa.JSON(), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["identity_providers.id"],
            ondelete="CASCADE",
            name=op.f("fk_identity_links_provider_id_identity_providers"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            ondelete="CASCADE",
            name=op.f("fk_identity_links_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_links")),
        sa.UniqueConstraint("provider_id", "subject", name=op.f("uq_identity_links_provider_id")),
        sa.UniqueConstraint("user_id", name=op.f("uq_identity_links_user_id")),
    )
    op.create_table(
        "identity_login_states",
        sa.Column("state_hash", sa.String(length=64), nullable=False),
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.Column("nonce", sa.String(length=100), nullable=False),
        sa.Column("code_verifier", sa.String(length=200), nullable=False),
        sa.Column("next_path", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["identity_providers.id"],
            ondelete="CASCADE",
            name=op.f("fk_identity_login_states_provider_id_identity_providers"),
        ),
        sa.PrimaryKeyConstraint("state_hash", name=op.f("pk_identity_login_states")),
    )
    op.create_index(
        op.f("ix_identity_login_states_expires_at"), "identity_login_states", ["expires_at"]
    )


def downgrade() -> None:
    op.drop_table("identity_login_states")
    op.drop_table("identity_links")
    op.drop_table("identity_group_mappings")
    op.drop_table("identity_providers")
