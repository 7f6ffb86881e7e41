"""case_files: the person's name folded (person_name_key), so the Akten filter finds
"Yılmaz" for "Yilmaz" and "Müller" for "Mueller"

Revision ID: 0961
Revises: 0780
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from akte.case_files.names import fold_name

revision: str = "0961"
down_revision: str | Sequence[str] | None = "0780"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 2000


def upgrade() -> None:
    with op.batch_alter_table("case_files") as batch:
        batch.add_column(sa.Column("person_name_key", sa.String(200), nullable=True))
    bind = op.get_bind()
    case_files = sa.table(
        "case_files",
        sa.column("id", sa.Uuid()),
        sa.column("person_name", sa.String()),
        sa.column("person_name_key", sa.String()),
    )
    last = None
    while True:
        stmt = (
            sa.select(case_files.c.id, case_files.c.person_name)
            .where(case_files.c.person_name.is_not(None))
            .order_by(case_files.c.id)
            .limit(BATCH)
        )
        if last is not None:
            stmt = stmt.where(case_files.c.id > last)
        rows = bind.execute(stmt).all()
        if not rows:
            break
        for case_file_id, name in rows:
            bind.execute(
                sa.update(case_files)
                .where(case_files.c.id == case_file_id)
                .values(person_name_key=fold_name(name) or None)
            )
        last = rows[-1][0]


def downgrade() -> None:
    with op.batch_alter_table("case_files") as batch:
        batch.drop_column("person_name_key")
