"""The audit chain anchored outside the database: truncation and recomputed chains show.

Each test tampers as a database writer would (plain SQL, or the project's own
``entry_hash``), checks that ``akte audit verify`` names the damage, and puts the rows back
exactly, so the shared database's chain is intact for the next test.
"""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select, update

from akte.audit import anchors
from akte.audit import service as audit
from akte.audit.models import AuditAnchor, AuditEntry
from akte.core.database import session_scope
from tests.trust.helpers import cli_app, cli_env


def _sealed_and_anchored(ctx, world, n: int = 4) -> list[int]:
    with session_scope(ctx.session_factory) as session:
        for i in range(n):
            audit.record(session, None, "test.anchor", tenant_id=world.tenant_a.id, detail={"i": i})
    _, anchor = anchors.seal_and_anchor(ctx)
    assert anchor is not None
    with session_scope(ctx.session_factory) as session:
        ids = list(
            session.scalars(
                select(AuditEntry.id)
                .where(AuditEntry.action == "test.anchor", AuditEntry.seq.is_not(None))
                .order_by(AuditEntry.seq.desc())
                .limit(n)
            )
        )
    assert anchor.seq == _seq_of(ctx, ids[0])
    return sorted(ids)


def _seq_of(ctx, entry_id: int) -> int:
    with session_scope(ctx.session_factory) as session:
        return session.get(AuditEntry, entry_id).seq


def _snapshot(ctx, from_id: int) -> list[dict]:
    with session_scope(ctx.session_factory) as session:
        rows = session.execute(select(AuditEntry.__table__).where(AuditEntry.id >= from_id))
        return [dict(r._mapping) for r in rows]


def _restore(ctx, snapshot: list[dict]) -> None:
    with session_scope(ctx.session_factory) as session:
        ids = [row["id"] for row in snapshot]
        session.execute(delete(AuditEntry).where(AuditEntry.id.in_(ids)))
        session.flush()
        for row in snapshot:
            session.execute(AuditEntry.__table__.insert().values(**row))
    result = anchors.verify(ctx)
    assert result.ok, result.problem


def test_seal_writes_an_authentic_anchor_that_storage_keeps(ctx, world):
    ids = _sealed_and_anchored(ctx, world)
    head_seq = _seq_of(ctx, ids[-1])
    sink = anchors.sink_for(ctx)
    stored = [anchors.Anchor.from_bytes(raw) for _, raw in sink.read_all()]
    assert head_seq in {a.seq for a in stored}
    key = ctx.settings.effective_audit_anchor_key
    assert all(a.is_authentic(key) for a in stored)
    assert not stored[0].is_authentic(b"another key")
    if isinstance(sink, anchors.S3Anchors):  # Object Lock: the server refuses deletion
        from minio.error import S3Error

        assert sink.locked
        name = f"{anchors.PREFIX}{head_seq:016d}.json"
        retention = sink.client.get_object_retention(sink.bucket, name)
        assert retention.mode == "COMPLIANCE"
        version = sink.client.stat_object(sink.bucket, name).version_id
        with pytest.raises(S3Error):
            sink.client.remove_object(sink.bucket, name, version_id=version)
    else:
        path = ctx.settings.blob_dir / "audit-anchors" / f"{anchors.PREFIX}{head_seq:016d}.json"
        assert path.stat().st_mode & 0o222 == 0
    assert anchors.verify(ctx).ok


def test_an_edited_row_is_detected(ctx, world):
    ids = _sealed_and_anchored(ctx, world)
    snapshot = _snapshot(ctx, ids[0])
    try:
        with session_scope(ctx.session_factory) as session:
            session.execute(
                update(AuditEntry).where(AuditEntry.id == ids[1]).values(outcome="refused")
            )
        result = anchors.verify(ctx)
        assert not result.ok and f"id {ids[1]}" in result.problem
    finally:
        _restore(ctx, snapshot)


def test_a_row_deleted_in_the_middle_is_detected(ctx, world):
    ids = _sealed_and_anchored(ctx, world)
    snapshot = _snapshot(ctx, ids[0])
    try:
        with session_scope(ctx.session_factory) as session:
            session.execute(delete(AuditEntry).where(AuditEntry.id == ids[1]))
        result = anchors.verify(ctx)
        assert (
            not result.ok
            and f"seq {_seq_of_snapshot(snapshot, ids[1])} is missing" in result.problem
        )
    finally:
        _restore(ctx, snapshot)


def _seq_of_snapshot(snapshot: list[dict], entry_id: int) -> int:
    return next(r["seq"] for r in snapshot if r["id"] == entry_id)


def test_truncation_of_the_last_rows_is_detected(ctx, world):
    ids = _sealed_and_anchored(ctx, world)
    snapshot = _snapshot(ctx, ids[0])
    try:
        with session_scope(ctx.session_factory) as session:
            session.execute(delete(AuditEntry).where(AuditEntry.id.in_(ids[1:])))
        with session_scope(ctx.session_factory) as session:
            assert audit.verify(session).ok  # the chain alone cannot tell
        result = anchors.verify(ctx)
        assert not result.ok
        assert "deleted" in result.problem
        assert f"seq {_seq_of_snapshot(snapshot, ids[-1])}" in result.problem
    finally:
        _restore(ctx, snapshot)


def _recompute_from(ctx, entry_id: int) -> None:
    """What a database writer with the source code can do: edit, then re-hash onwards."""
    with session_scope(ctx.session_factory) as session:
        entry = session.get(AuditEntry, entry_id)
        entry.detail = {"i": "rewritten"}
        session.flush()
        later = session.scalars(
            select(AuditEntry).where(AuditEntry.seq >= entry.seq).order_by(AuditEntry.seq)
        ).all()
        prev_hash = entry.prev_hash
        for row in later:
            row.prev_hash = prev_hash
            row.hash = audit.entry_hash(prev_hash, row)
            prev_hash = row.hash


def test_a_chain_recomputed_after_an_edit_is_detected(ctx, world):
    ids = _sealed_and_anchored(ctx, world)
    snapshot = _snapshot(ctx, ids[0])
    try:
        _recompute_from(ctx, ids[1])
        with session_scope(ctx.session_factory) as session:
            assert audit.verify(session).ok  # internally consistent again
        result = anchors.verify(ctx)
        assert not result.ok and "rewritten" in result.problem
        # moving the database's copy of the anchor along does not help without the key
        with session_scope(ctx.session_factory) as session:
            head = session.scalar(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1))
            session.execute(
                update(AuditAnchor).where(AuditAnchor.seq == head.seq).values(hash=head.hash)
            )
        result = anchors.verify(ctx)
        assert not result.ok and "not authentic" in result.problem
    finally:
        with session_scope(ctx.session_factory) as session:
            head_seq = max(r["seq"] for r in snapshot)
            head_hash = next(r["hash"] for r in snapshot if r["seq"] == head_seq)
            session.execute(
                update(AuditAnchor).where(AuditAnchor.seq == head_seq).values(hash=head_hash)
            )
        _restore(ctx, snapshot)


def test_cli_seal_anchors_and_verify_exits_1_on_truncation(ctx, world, monkeypatch):
    from typer.testing import CliRunner

    for key, value in cli_env(ctx).items():
        monkeypatch.setenv(key, value)
    with session_scope(ctx.session_factory) as session:
        audit.record(session, None, "test.anchor", tenant_id=world.tenant_a.id)
    out = CliRunner().invoke(cli_app(), ["audit", "seal"])
    assert out.exit_code == 0, out.output
    assert "anchored seq" in out.output
    with session_scope(ctx.session_factory) as session:
        head = session.scalar(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1))
        assert session.get(AuditAnchor, head.seq) is not None
    snapshot = _snapshot(ctx, head.id)
    try:
        with session_scope(ctx.session_factory) as session:
            session.execute(delete(AuditEntry).where(AuditEntry.id == head.id))
        out = CliRunner().invoke(cli_app(), ["audit", "verify"])
        assert out.exit_code == 1, out.output
        assert "AUDIT LOG BROKEN" in out.output and "deleted" in out.output
    finally:
        _restore(ctx, snapshot)
