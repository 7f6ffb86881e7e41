"""the original files a document version was composed from (photos of one paper as one PDF)

Revision ID: 0965
Revises: 0902
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0965"
down_revision: str | Sequence[str] | None = "0902"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "document_version_sources",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column(
            "version_id",
            sa.Uuid(),
            sa.ForeignKey("document_versions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(300), nullable=False),
        sa.Column("mime_type", sa.String(100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.UniqueConstraint("version_id", "position"),
    )
    op.create_index(
        "ix_document_version_sources_version_id", "document_version_sources", ["version_id"]
    )
    op.create_index("ix_document_version_sources_sha256", "document_version_sources", ["sha256"])


def downgrade() -> None:
    op.drop_table("document_version_sources")
