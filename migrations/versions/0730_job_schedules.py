"""jobs: one schedule row per periodic task, an index for pruning finished jobs

The periodic tasks used to queue their own next run. Their queued rows are superseded by
the scheduler (which queues the first run itself) and deleted here; a row that slips
through (queued by a worker still on the old code) has no ``period`` and does nothing.

Revision ID: 0730
Revises: 0760
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0730"
down_revision: str | Sequence[str] | None = "0760"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Kinds that re-queued themselves before the scheduler.
SELF_RESCHEDULING = ("audit.seal_periodic", "operations.scrub")


def upgrade() -> None:
    op.create_table(
        "job_schedules",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("next_run_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_job_id", sa.BigInteger(), nullable=True),
        sa.Column("last_period", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_job_schedules")),
    )
    with op.batch_alter_table("jobs") as batch:
        batch.create_index("ix_jobs_finished", ["status", "finished_at"], unique=False)
    jobs = sa.table("jobs", sa.column("kind", sa.String), sa.column("status", sa.String))
    op.execute(sa.delete(jobs).where(jobs.c.kind.in_(SELF_RESCHEDULING), jobs.c.status == "queued"))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_index("ix_jobs_finished")
    op.drop_table("job_schedules")
