"""outbox: the token table of the self-renewing ``outbox.seal_due`` chain goes

``outbox.seal_due`` is now a periodic task of the core scheduler (``job_schedules``). The
chain's queued jobs are deleted; one that slips through has no ``period`` and does nothing.

Revision ID: 0731
Revises: 0795
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0731"
down_revision: str | Sequence[str] | None = "0795"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_table("outbox_schedule")
    jobs = sa.table("jobs", sa.column("kind", sa.String), sa.column("status", sa.String))
    op.execute(sa.delete(jobs).where(jobs.c.kind == "outbox.seal_due", jobs.c.status == "queued"))


def downgrade() -> None:
    op.create_table(
        "outbox_schedule",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("job_id", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_outbox_schedule")),
    )
