"""deliveries: correction deliveries and the new-Akte columns of a manifest row

Revision ID: 0781
Revises: 0400

* ``deliveries.corrects_id``: the delivery this one corrects (its report links back);
* ``delivery_items.corrects_item_id``: the row of that delivery with the same external id;
* ``delivery_items.person_name`` / ``case_subject``: what a new Akte is created with.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0781"
down_revision: str | Sequence[str] | None = "0400"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("corrects_id", sa.Uuid(), nullable=True))
        batch.create_foreign_key(
            "fk_deliveries_corrects_id_deliveries",
            "deliveries",
            ["corrects_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_index("ix_deliveries_corrects_id", ["corrects_id"])
    with op.batch_alter_table("delivery_items") as batch:
        batch.add_column(sa.Column("corrects_item_id", BIGINT, nullable=True))
        batch.add_column(sa.Column("person_name", sa.String(200), nullable=True))
        batch.add_column(sa.Column("case_subject", sa.String(500), nullable=True))
        batch.create_foreign_key(
            "fk_delivery_items_corrects_item_id_delivery_items",
            "delivery_items",
            ["corrects_item_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_index("ix_delivery_items_corrects_item_id", ["corrects_item_id"])


def downgrade() -> None:
    with op.batch_alter_table("delivery_items") as batch:
        batch.drop_index("ix_delivery_items_corrects_item_id")
        batch.drop_constraint(
            "fk_delivery_items_corrects_item_id_delivery_items", type_="foreignkey"
        )
        batch.drop_column("case_subject")
        batch.drop_column("person_name")
        batch.drop_column("corrects_item_id")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_index("ix_deliveries_corrects_id")
        batch.drop_constraint("fk_deliveries_corrects_id_deliveries", type_="foreignkey")
        batch.drop_column("corrects_id")
