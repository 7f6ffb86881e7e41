"""case_files: canonical Aktenzeichen key (unique per tenant) and Kundennummer key

Revision ID: 0780
Revises: 0001

Expand, backfill, then constrain. The key is computed in Python with the same function
the application uses (:func:`akte.case_files.identifiers.canonical_key`, the tenant's
``aktenzeichen_pattern`` applied). Existing Akten whose keys collide are all kept: the
oldest of each group keeps the key, the others keep ``aktenzeichen_key`` NULL (a unique
index admits any number of NULLs), so the migration never fails on old data. Each
collision is written to the migration log; ``akte admin aktenzeichen-conflicts`` lists
them afterwards until someone merges or renames the Akten.
"""

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from akte.case_files.identifiers import canonical_key, normalize_identifier, tenant_pattern

revision: str = "0780"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = ("case_files",)
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("alembic.runtime.migration")
BATCH = 2000


def upgrade() -> None:
    with op.batch_alter_table("case_files") as batch:
        batch.add_column(sa.Column("aktenzeichen_key", sa.String(64), nullable=True))
        batch.add_column(sa.Column("kundennummer_norm", sa.String(64), nullable=True))
    _backfill(op.get_bind())
    op.create_index(
        "uq_case_files_tenant_aktenzeichen_key",
        "case_files",
        ["tenant_id", "aktenzeichen_key"],
        unique=True,
    )
    op.create_index(
        "ix_case_files_tenant_kundennummer", "case_files", ["tenant_id", "kundennummer_norm"]
    )


def _backfill(bind: sa.engine.Connection) -> None:
    tenants = sa.table("tenants", sa.column("id", sa.Uuid()), sa.column("options", sa.JSON()))
    cases = sa.table(
        "case_files",
        sa.column("id", sa.Uuid()),
        sa.column("tenant_id", sa.Uuid()),
        sa.column("aktenzeichen", sa.String()),
        sa.column("kundennummer", sa.String()),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("aktenzeichen_key", sa.String()),
        sa.column("kundennummer_norm", sa.String()),
    )
    patterns = {tid: tenant_pattern(opts) for tid, opts in bind.execute(sa.select(tenants))}
    seen: dict[tuple, str] = {}
    rows = bind.execute(
        sa.select(
            cases.c.id, cases.c.tenant_id, cases.c.aktenzeichen, cases.c.kundennummer
        ).order_by(cases.c.tenant_id, cases.c.created_at, cases.c.id)
    ).all()
    updates: list[dict] = []
    for case_id, tenant_id, aktenzeichen, kundennummer in rows:
        key = canonical_key(aktenzeichen, patterns.get(tenant_id))
        if key is not None and (tenant_id, key) in seen:
            log.warning(
                "Aktenzeichen conflict in tenant %s: %r (Akte %s) has the key %s of %r; "
                "kept without key, see `akte admin aktenzeichen-conflicts`",
                tenant_id,
                aktenzeichen,
                case_id,
                key,
                seen[(tenant_id, key)],
            )
            key = None
        elif key is not None:
            seen[(tenant_id, key)] = aktenzeichen
        updates.append({"b_id": case_id, "b_key": key, "b_kn": normalize_identifier(kundennummer)})
    stmt = (
        sa.update(cases)
        .where(cases.c.id == sa.bindparam("b_id"))
        .values(aktenzeichen_key=sa.bindparam("b_key"), kundennummer_norm=sa.bindparam("b_kn"))
    )
    for start in range(0, len(updates), BATCH):
        bind.execute(stmt, updates[start : start + BATCH])


def downgrade() -> None:
    op.drop_index("ix_case_files_tenant_kundennummer", table_name="case_files")
    op.drop_index("uq_case_files_tenant_aktenzeichen_key", table_name="case_files")
    with op.batch_alter_table("case_files") as batch:
        batch.drop_column("kundennummer_norm")
        batch.drop_column("aktenzeichen_key")
