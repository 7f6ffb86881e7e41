"""inbox: a Posteingang rejection becomes a state of the document (rejected_at,
rejection_reason, rejected_by_id) instead of a row in the web layer's own table

Revision ID: 0960
Revises: 0902
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0960"
down_revision: str | Sequence[str] | None = "0902"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MOVE = """
UPDATE documents SET
  rejected_at = (SELECT r.rejected_at FROM web_inbox_rejections r
                 WHERE r.document_id = documents.id),
  rejection_reason = (SELECT r.reason FROM web_inbox_rejections r
                      WHERE r.document_id = documents.id),
  rejected_by_id = (SELECT r.rejected_by_id FROM web_inbox_rejections r
                    WHERE r.document_id = documents.id)
WHERE id IN (SELECT document_id FROM web_inbox_rejections)
"""

_BACK = """
INSERT INTO web_inbox_rejections (document_id, reason, rejected_by_id, rejected_at)
SELECT id, COALESCE(rejection_reason, ''), rejected_by_id, rejected_at
FROM documents WHERE rejected_at IS NOT NULL
"""


#: Rejections made by this release, back into the table the older code reads.
_BACK_NEW = """
INSERT INTO web_inbox_rejections (document_id, reason, rejected_by_id, rejected_at)
SELECT id, COALESCE(rejection_reason, ''), rejected_by_id, rejected_at
FROM documents WHERE rejected_at IS NOT NULL
AND id NOT IN (SELECT document_id FROM web_inbox_rejections)
"""


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("rejected_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("rejection_reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("rejected_by_id", sa.Uuid(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_documents_rejected_by_id_users"), "users", ["rejected_by_id"], ["id"]
        )
    op.execute(_MOVE)
    # ``web_inbox_rejections`` stays (expand, docs/OPERATIONS.md): a previous release still
    # running during a rolling upgrade lists its Posteingang through it. A later release
    # drops it (contract) once no code of this one's predecessor runs.


def downgrade() -> None:
    if sa.inspect(op.get_bind()).has_table("web_inbox_rejections"):
        op.execute(_BACK_NEW)
    else:
        _recreate()
    with op.batch_alter_table("documents") as batch:
        batch.drop_constraint(op.f("fk_documents_rejected_by_id_users"), type_="foreignkey")
        batch.drop_column("rejected_by_id")
        batch.drop_column("rejection_reason")
        batch.drop_column("rejected_at")


def _recreate() -> None:
    op.create_table(
        "web_inbox_rejections",
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("rejected_by_id", sa.Uuid(), nullable=True),
        sa.Column("rejected_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_web_inbox_rejections_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["rejected_by_id"],
            ["users.id"],
            name=op.f("fk_web_inbox_rejections_rejected_by_id_users"),
            ondelete=None,
        ),
        sa.PrimaryKeyConstraint("document_id", name=op.f("pk_web_inbox_rejections")),
    )
    op.execute(_BACK)
