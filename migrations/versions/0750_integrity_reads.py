"""integrity: per-chunk digests of blobs, digests of page texts (backfilled)

Revision ID: 0750
Revises: 0001

``blob_digests`` starts empty: blobs stored before it get their row on the first verified
full read or scrub (the migration cannot read object storage). Page texts are in the
database, so their digests are computed here, in batches.
"""

import hashlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0750"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = ("storage",)  # akte/core/storage: blob_digests
depends_on: str | Sequence[str] | None = None

BATCH = 2000


def upgrade() -> None:
    op.create_table(
        "blob_digests",
        sa.Column("blob", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("chunk_size", sa.Integer(), nullable=False),
        sa.Column("chunks", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("damaged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("damage", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("blob", name="pk_blob_digests"),
    )
    with op.batch_alter_table("document_pages") as batch:
        batch.add_column(sa.Column("text_digest", sa.String(64), nullable=True))
    _backfill_page_digests()


def _backfill_page_digests() -> None:
    """The formula of ``akte.documents.models.page_digest``, frozen here."""
    pages = sa.table(
        "document_pages",
        sa.column("version_id", sa.Uuid()),
        sa.column("page_no", sa.Integer()),
        sa.column("text", sa.Text()),
        sa.column("text_digest", sa.String(64)),
    )
    bind = op.get_bind()
    while True:
        rows = bind.execute(
            sa.select(pages.c.version_id, pages.c.page_no, pages.c.text)
            .where(pages.c.text_digest.is_(None))
            .limit(BATCH)
        ).all()
        if not rows:
            return
        for version_id, page_no, text in rows:
            digest = hashlib.sha256(f"{version_id}:{page_no}:{text or ''}".encode()).hexdigest()
            bind.execute(
                sa.update(pages)
                .where(pages.c.version_id == version_id, pages.c.page_no == page_no)
                .values(text_digest=digest)
            )


def downgrade() -> None:
    with op.batch_alter_table("document_pages") as batch:
        batch.drop_column("text_digest")
    op.drop_table("blob_digests")
