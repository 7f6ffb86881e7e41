"""Which rows point at which blobs.

Blobs are content-addressed and shared: two documents with the same bytes share one blob,
and feature packages (letters, deliveries) may keep their own references. So every column
named ``*sha256`` in any table of any loaded package counts as a reference: a blob is only
deleted, or called orphaned, when no such column anywhere names it. That is deliberately
conservative (a column holding some other hash can only keep a blob alive, never lose one).

Ledger columns that merely *record* a hash are not references: the import ledger keeps the
hash of every imported file for ever (so a file is never imported twice), but that must not
keep the bytes of a document deleted under retention rules alive. They are listed in
:data:`LEDGER_COLUMNS`.

The blobs a row *requires* are narrower: the document versions' original, archive and
thumbnail, and what feature packages declare in ``REQUIRED_BLOBS`` of their ``models``
module (a letter's PDF, a batch's ZIP, a delivery's Transfervermerk). Only those are
reported as missing by ``akte fsck``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import Column, Table, select, union
from sqlalchemy.orm import Session

from akte.core.database import Base
from akte.documents.models import DocumentVersion

REQUIRED_COLUMNS = (
    DocumentVersion.sha256,
    DocumentVersion.archive_sha256,
    DocumentVersion.thumbnail_sha256,
)


#: ``(table, column)`` pairs that record a hash without owning the blob.
LEDGER_COLUMNS = {
    ("delivery_imports", "sha256"),  # ingest/deliveries: what was imported, once
    ("delivery_items", "document_sha256"),  # the manifest's claim for an item
    ("delivery_items", "binding_sha256"),  # hash over two hashes, never a stored file
}


def reference_columns() -> list[Column]:
    from akte.features import load_all_models

    load_all_models()
    found: list[Column] = []
    for table in Base.metadata.sorted_tables:
        if not isinstance(table, Table):
            continue
        found.extend(
            c
            for c in table.columns
            if c.name.endswith("sha256") and (table.name, c.name) not in LEDGER_COLUMNS
        )
    return found


def referenced(session: Session, digests: Iterable[str]) -> set[str]:
    """Those of ``digests`` that any row still names."""
    wanted = sorted(set(digests))
    if not wanted:
        return set()
    hits: set[str] = set()
    for column in reference_columns():
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            hits.update(session.scalars(select(column).where(column.in_(chunk)).distinct()))
    return hits


def all_referenced(session: Session) -> set[str]:
    columns = reference_columns()
    if not columns:
        return set()
    stmt = union(*[select(c.label("h")).where(c.is_not(None)) for c in columns])
    return {row[0] for row in session.execute(stmt)}


def _named_by(session: Session, column: Any) -> Iterator[tuple[str, str]]:
    """``(sha256, row id)`` of every row whose ``column`` names a blob."""
    table = column.class_.__table__
    for digest, row_id in session.execute(select(column, table.c.id).where(column.is_not(None))):
        yield digest, str(row_id)


def required(session: Session) -> Iterator[tuple[str, str, str]]:
    """``(sha256, what, version id)`` for every blob a document version needs."""
    for column in REQUIRED_COLUMNS:
        for digest, version_id in _named_by(session, column):
            yield digest, column.key, version_id


def feature_required_columns() -> list[Column]:
    """``REQUIRED_BLOBS`` of every installed feature's ``models`` module."""
    from akte.features import feature_modules

    columns: list[Column] = []
    for module in feature_modules("models"):
        columns.extend(getattr(module, "REQUIRED_BLOBS", ()))
    return columns


def required_by_features(session: Session) -> Iterator[tuple[str, str, str]]:
    """``(sha256, "table.column", row id)`` for every blob a feature's row needs."""
    for column in feature_required_columns():
        what = f"{column.class_.__tablename__}.{column.key}"
        for digest, row_id in _named_by(session, column):
            yield digest, what, row_id
