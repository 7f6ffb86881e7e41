"""records: the receiving authority's import confirmation (xdomea 0402) of an Abgabe

Revision ID: 0985
Revises: 0850

An xdomea Abgabe (0401) asks for an import confirmation (``Importbestaetigung`` is fixed to
true by the schema); the receiver answers with 0402, one verdict per handed-over object.
Additive columns only (expand): code that does not know them keeps working.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0985"
down_revision: str | Sequence[str] | None = "0850"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("records_exports") as batch:
        batch.add_column(sa.Column("confirmation_status", sa.String(16), nullable=True))
        batch.add_column(sa.Column("confirmation", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("confirmation_sha256", sa.String(64), nullable=True))
        batch.add_column(sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("records_exports") as batch:
        for name in ("confirmed_at", "confirmation_sha256", "confirmation", "confirmation_status"):
            batch.drop_column(name)
