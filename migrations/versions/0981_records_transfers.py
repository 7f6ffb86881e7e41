"""records: Zuständigkeitswechsel of an Akte to another tenant

Revision ID: 0981
Revises: 0986

One row per transfer: requested by the sending tenant, accepted (into an org unit) or
refused by the receiving one, then moved by a job. After the move the row is the trace the
sending tenant keeps. Expand-only: a new table.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0981"
down_revision: str | Sequence[str] | None = "0986"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    ts = sa.DateTime(timezone=True)
    op.create_table(
        "records_transfers",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("case_file_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("aktenzeichen", sa.String(64), nullable=False),
        sa.Column(
            "from_tenant_id",
            sa.Uuid(),
            sa.ForeignKey("tenants.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "to_tenant_id",
            sa.Uuid(),
            sa.ForeignKey("tenants.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("to_org_unit_id", sa.Uuid(), sa.ForeignKey("org_units.id", ondelete="SET NULL")),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_by_id", sa.Uuid(), sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("decided_by_id", sa.Uuid(), sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("decided_at", ts),
        sa.Column("finished_at", ts),
        sa.Column("document_count", sa.Integer()),
        sa.Column("audit_trail_sha256", sa.String(64)),
        sa.Column("error", sa.Text()),
        sa.Column("created_at", ts, nullable=False),
        sa.Column("updated_at", ts, nullable=False),
    )
    op.create_index(
        "ix_records_transfers_from", "records_transfers", ["from_tenant_id", "created_at"]
    )
    op.create_index("ix_records_transfers_to", "records_transfers", ["to_tenant_id", "created_at"])


def downgrade() -> None:
    op.drop_table("records_transfers")
