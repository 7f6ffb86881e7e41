"""casework: Vorgänge, document assignment, Aktenvermerke, Wiedervorlagen

Revision ID: 0820
Revises: 0001

New tables only (no change to core tables), so the branch hangs off the core revision.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0820"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = ("casework",)
depends_on: str | Sequence[str] | None = None

BIGINT_PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}", ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "vorgaenge",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("case_file_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(100), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _fk("vorgaenge", "tenant_id", "tenants", "CASCADE"),
        _fk("vorgaenge", "case_file_id", "case_files", "CASCADE"),
        _fk("vorgaenge", "created_by_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_vorgaenge"),
    )
    op.create_index("ix_vorgaenge_case_file", "vorgaenge", ["case_file_id", "opened_at"])

    op.create_table(
        "vorgang_documents",
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("vorgang_id", sa.Uuid(), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assigned_by_id", sa.Uuid(), nullable=True),
        _fk("vorgang_documents", "document_id", "documents", "CASCADE"),
        _fk("vorgang_documents", "vorgang_id", "vorgaenge", "CASCADE"),
        _fk("vorgang_documents", "assigned_by_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("document_id", name="pk_vorgang_documents"),
    )
    op.create_index("ix_vorgang_documents_vorgang_id", "vorgang_documents", ["vorgang_id"])

    op.create_table(
        "case_notes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("case_file_id", sa.Uuid(), nullable=False),
        sa.Column("vorgang_id", sa.Uuid(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("corrects_id", sa.Uuid(), nullable=True),
        sa.Column("author_id", sa.Uuid(), nullable=True),
        sa.Column("author_name", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _fk("case_notes", "tenant_id", "tenants", "CASCADE"),
        _fk("case_notes", "case_file_id", "case_files", "CASCADE"),
        _fk("case_notes", "vorgang_id", "vorgaenge", "CASCADE"),
        _fk("case_notes", "corrects_id", "case_notes", "CASCADE"),
        _fk("case_notes", "author_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_case_notes"),
    )
    op.create_index("ix_case_notes_case_file", "case_notes", ["case_file_id", "created_at"])
    op.create_index("ix_case_notes_vorgang_id", "case_notes", ["vorgang_id"])
    op.create_index("ix_case_notes_corrects_id", "case_notes", ["corrects_id"])

    op.create_table(
        "follow_ups",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("case_file_id", sa.Uuid(), nullable=False),
        sa.Column("vorgang_id", sa.Uuid(), nullable=True),
        sa.Column("document_id", sa.Uuid(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("assignee_user_id", sa.Uuid(), nullable=True),
        sa.Column("assignee_org_unit_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_by_id", sa.Uuid(), nullable=True),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _fk("follow_ups", "tenant_id", "tenants", "CASCADE"),
        _fk("follow_ups", "case_file_id", "case_files", "CASCADE"),
        _fk("follow_ups", "vorgang_id", "vorgaenge", "CASCADE"),
        _fk("follow_ups", "document_id", "documents", "CASCADE"),
        _fk("follow_ups", "assignee_user_id", "users", "SET NULL"),
        _fk("follow_ups", "assignee_org_unit_id", "org_units", "SET NULL"),
        _fk("follow_ups", "done_by_id", "users", "SET NULL"),
        _fk("follow_ups", "created_by_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_follow_ups"),
    )
    op.create_index("ix_follow_ups_case_file", "follow_ups", ["case_file_id", "due_on"])
    op.create_index(
        "ix_follow_ups_assignee_user", "follow_ups", ["assignee_user_id", "status", "due_on"]
    )
    op.create_index(
        "ix_follow_ups_assignee_unit", "follow_ups", ["assignee_org_unit_id", "status", "due_on"]
    )

    op.create_table(
        "follow_up_events",
        sa.Column("id", BIGINT_PK, autoincrement=True, nullable=False),
        sa.Column("follow_up_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("by_id", sa.Uuid(), nullable=True),
        sa.Column("by_name", sa.String(200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        _fk("follow_up_events", "follow_up_id", "follow_ups", "CASCADE"),
        _fk("follow_up_events", "by_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_follow_up_events"),
    )
    op.create_index("ix_follow_up_events_follow_up_id", "follow_up_events", ["follow_up_id"])


def downgrade() -> None:
    op.drop_table("follow_up_events")
    op.drop_table("follow_ups")
    op.drop_table("case_notes")
    op.drop_table("vorgang_documents")
    op.drop_table("vorgaenge")
