"""delivery boxes: Karton, page ranges, blank pages, the kept box file, extra columns

Revision ID: 0770
Revises: 0400
Create Date: 2026-11-29 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0770"
down_revision: str | Sequence[str] | None = "0400"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    ("box", sa.String(100)),
    ("first_page", sa.Integer()),
    ("last_page", sa.Integer()),
    ("page_range", sa.String(200)),
    ("blank_pages", sa.String(500)),
    ("blank_action", sa.String(8)),
    ("box_sha256", sa.String(64)),
    ("box_layout", sa.Text()),
    ("extra", sa.JSON()),
)


def upgrade() -> None:
    with op.batch_alter_table("delivery_items") as batch:
        for name, type_ in COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True))
    op.create_index(
        "ix_delivery_items_delivery_document_sha256",
        "delivery_items",
        ["delivery_id", "document_sha256"],
    )
    op.create_index("ix_delivery_items_box_sha256", "delivery_items", ["box_sha256"])


def downgrade() -> None:
    op.drop_index("ix_delivery_items_box_sha256", table_name="delivery_items")
    op.drop_index("ix_delivery_items_delivery_document_sha256", table_name="delivery_items")
    with op.batch_alter_table("delivery_items") as batch:
        for name, _ in reversed(COLUMNS):
            batch.drop_column(name)
