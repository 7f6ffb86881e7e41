"""records: Aussonderung to the archive (xdomea 0501-0507)

Revision ID: 0986
Revises: 0985

One row per Aussonderung (offer, evaluation, transfer, confirmation), one per offered
Akte, and one per message received from the archive (its bytes a blob, named by a
``sha256`` column so fsck, backup and blob clean-up count it). Items keep the Aktenzeichen and no foreign key to the Akte: an archived or destroyed
Akte is deleted, the record of what happened to it is not.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0986"
down_revision: str | Sequence[str] | None = "0985"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    ts = sa.DateTime(timezone=True)
    op.create_table(
        "records_aussonderungen",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column(
            "tenant_id",
            sa.Uuid(),
            sa.ForeignKey("tenants.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("recipient", sa.String(300), nullable=False),
        sa.Column("xdomea_version", sa.String(8), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("offer_sha256", sa.String(64)),
        sa.Column("offer_name", sa.String(200)),
        sa.Column("package_sha256", sa.String(64)),
        sa.Column("package_name", sa.String(200)),
        sa.Column("error", sa.Text()),
        sa.Column("created_by_id", sa.Uuid(), sa.ForeignKey("users.id")),
        sa.Column("created_at", ts, nullable=False),
        sa.Column("updated_at", ts, nullable=False),
    )
    op.create_table(
        "records_aussonderung_items",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column(
            "aussonderung_id",
            sa.Uuid(),
            sa.ForeignKey("records_aussonderungen.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("case_file_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("aktenzeichen", sa.String(100), nullable=False),
        sa.Column("hold_id", sa.Uuid()),
        sa.Column("decision", sa.String(40)),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("archive_ref", sa.String(200)),
        sa.Column("remarks", sa.JSON(), nullable=False),
    )
    op.create_table(
        "records_aussonderung_messages",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column(
            "aussonderung_id",
            sa.Uuid(),
            sa.ForeignKey("records_aussonderungen.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("code", sa.String(4), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("received_at", ts, nullable=False),
        sa.UniqueConstraint("aussonderung_id", "sha256"),
    )


def downgrade() -> None:
    op.drop_table("records_aussonderung_messages")
    op.drop_table("records_aussonderung_items")
    op.drop_table("records_aussonderungen")
