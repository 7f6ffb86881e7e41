"""What the database knows about each blob's bytes: size, chunk digests, damage.

``blob_digests`` has one row per stored content (keyed by its SHA-256, like the blob):
the size, the chunk size and the concatenated SHA-256 of every chunk. Downloads check each
chunk against it before sending it (:mod:`akte.core.storage.verified`), and take size and
``Content-Length`` from it, never from storage. A blob found damaged (by a download or by
``akte scrub``) gets ``damaged_at`` and a reason; a later verification that succeeds (the
blob was restored from backup) clears them.

**Written with the row that references the blob.** Every writer already streams the bytes
through :class:`~akte.core.storage.base.HashingReader`, which leaves the chunk digests in
:mod:`akte.core.storage.chunks`. A ``before_flush`` hook on every session looks at new and
changed ORM rows; for each ``*sha256`` attribute whose blob this process has just written
it inserts the digests row (``ON CONFLICT DO NOTHING``: the same content uploaded twice at
once is one row) into that flush, so digests commit or roll back with the reference. No
writer has to remember to call anything. Blobs written before this table existed (or by a
process that has forgotten them) get their row on the first verified full read or scrub.

The column is called ``blob``, not ``sha256``: :mod:`akte.operations.blobrefs` counts
every ``*sha256`` column as a reference that keeps a blob alive, and this table must not.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Integer,
    LargeBinary,
    String,
    Text,
    event,
    inspect,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Mapper, Session, mapped_column

from akte.core.database import Base, UTCDateTime, utcnow
from akte.core.errors import AkteError
from akte.core.storage.base import blob_key
from akte.core.storage.chunks import ChunkDigests, has_remembered, recall


class BlobDamaged(AkteError):
    """A stored file no longer matches the checksum recorded when it was stored."""

    status_code = 503
    code = "blob_damaged"


def damaged_error(sha256: str) -> BlobDamaged:
    return BlobDamaged(
        f"the stored file {blob_key(sha256)} is damaged: its bytes no longer match the "
        "checksum recorded when it was stored. An administrator must restore it from "
        "backup (then `akte scrub` confirms it); nothing wrong was sent."
    )


class BlobDigest(Base):
    __tablename__ = "blob_digests"

    blob: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    chunk_size: Mapped[int] = mapped_column(Integer)
    chunks: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Last time every byte was read and matched (a full download or a scrub).
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    damaged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    damage: Mapped[str | None] = mapped_column(Text)

    def as_digests(self) -> ChunkDigests:
        return ChunkDigests(self.blob, self.size, self.chunk_size, self.chunks)


def get(session: Session, sha256: str) -> ChunkDigests | None:
    """The recorded digests, or ``None`` if none are known yet."""
    row = session.get(BlobDigest, sha256)
    return None if row is None or row.chunk_size == 0 else row.as_digests()


def _insert(session: Session):  # type: ignore[no-untyped-def]
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(BlobDigest.__table__)


def record(session: Session, digests: ChunkDigests, *, verified: bool = False) -> None:
    """Add the row for ``digests`` unless one exists (concurrent writers are fine).

    Only a damage-only row (no digests known: see :func:`mark_damaged`) is replaced.
    """
    values = {
        "blob": digests.sha256,
        "size": digests.size,
        "chunk_size": digests.chunk_size,
        "chunks": digests.digests,
        "created_at": utcnow(),
        "verified_at": utcnow() if verified else None,
    }
    stmt = _insert(session).values(values)
    session.connection().execute(
        stmt.on_conflict_do_update(
            index_elements=["blob"],
            set_={k: stmt.excluded[k] for k in ("size", "chunk_size", "chunks", "verified_at")},
            where=BlobDigest.__table__.c.chunk_size == 0,  # only a damage-only row
        )
    )


def mark_damaged(session: Session, sha256: str, reason: str) -> None:
    """Flag the blob; a blob without digests gets a damage-only row (``chunk_size`` 0)."""
    values = {"damaged_at": utcnow(), "damage": reason[:2000]}
    stmt = _insert(session).values(
        blob=sha256, size=0, chunk_size=0, chunks=b"", created_at=utcnow(), **values
    )
    session.connection().execute(stmt.on_conflict_do_update(index_elements=["blob"], set_=values))


def mark_verified(session: Session, sha256: str) -> None:
    session.execute(
        update(BlobDigest)
        .where(BlobDigest.blob == sha256)
        .values(verified_at=utcnow(), damaged_at=None, damage=None)
    )


def damaged(session: Session) -> list[BlobDigest]:
    return list(session.scalars(select(BlobDigest).where(BlobDigest.damaged_at.is_not(None))))


_HASH_KEYS: dict[object, tuple[str, ...]] = {}


def _hash_keys(mapper: Mapper) -> tuple[str, ...]:
    keys = _HASH_KEYS.get(mapper)
    if keys is None:
        keys = tuple(a.key for a in mapper.column_attrs if a.key.endswith("sha256"))
        _HASH_KEYS[mapper] = keys
    return keys


def _referenced_hashes(obj: object) -> list[str]:
    """The values of ``obj``'s ``*sha256`` attributes that are new or changed."""
    state = inspect(obj)
    found = []
    for key in _hash_keys(state.mapper):
        for value in state.attrs[key].history.added or ():
            if isinstance(value, str):
                found.append(value)
    return found


@event.listens_for(Session, "before_flush")
def _record_written_blobs(session: Session, _context: object, _instances: object) -> None:
    if not has_remembered():
        return
    for obj in [*session.new, *session.dirty]:
        for sha256 in _referenced_hashes(obj):
            digests = recall(sha256)
            if digests is not None:
                record(session, digests)
