"""search: an index of each tenant's rows by date, for the newest matches of a large result

Revision ID: 0942
Revises: 0941

The PostgreSQL engine ranks a page of a large result from candidates, one set of which is
the newest matches in the caller's scope (``search/pg/backend.py``, ``_candidates``). The
scope index is ``(tenant_id, org_unit_id, sort_date)``: for a caller of one org unit it
yields rows in date order, but for several units (a Poststelle, a tenant admin) it cannot,
so PostgreSQL read and tested every row of the tenant and sorted them (430 ms of a
460 ms page for "Miete" over 100,000 documents). With ``(tenant_id, sort_date)`` it walks
the tenant's rows newest first and stops after the candidates it needs: the same page
took 15 ms (``python -m bench.pg_plans``, search/README.md).

Expand-only; a plain ``CREATE INDEX`` (100,000 rows: about a second).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0942"
down_revision: str | Sequence[str] | None = "0941"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_search_documents_recent "
        "ON search_documents (tenant_id, sort_date)"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_search_documents_recent")
