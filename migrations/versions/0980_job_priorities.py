"""jobs: a priority per job, claimed lowest first (lanes: interactive, index, bulk)

Revision ID: 0980
Revises: 0760

A 200-page scan or a delivery import must not hold up a citizen's one-page upload: workers
claim the runnable job with the lowest ``priority`` first, then the oldest. Existing rows
get the default lane (50). The claim index gains the column.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0980"
down_revision: str | Sequence[str] | None = "0760"
branch_labels: str | Sequence[str] | None = None  # on the jobs branch (0760)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(
            sa.Column("priority", sa.SmallInteger(), nullable=False, server_default="50")
        )
    op.create_index("ix_jobs_claim_priority", "jobs", ["status", "priority", "run_after"])


def downgrade() -> None:
    op.drop_index("ix_jobs_claim_priority", table_name="jobs")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("priority")
