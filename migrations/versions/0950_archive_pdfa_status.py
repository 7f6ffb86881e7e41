"""document versions: whether the archive was declared PDF/A-2b, and if not, why

Revision ID: 0950
Revises: 0001

``archive_pdfa`` is NULL for archives built before this revision (not known until
`akte reprocess`), true when the archive carries the PDF/A-2b declaration, false when
the checker found something against it; ``archive_pdfa_problem`` is then the first thing
it found ("page 2: font Helvetica is not embedded").
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0950"
down_revision: str | Sequence[str] | None = "0001"
# a second documents branch (a label names one branch only)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("document_versions") as batch:
        batch.add_column(sa.Column("archive_pdfa", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("archive_pdfa_problem", sa.String(500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("document_versions") as batch:
        batch.drop_column("archive_pdfa_problem")
        batch.drop_column("archive_pdfa")
