"""Sealing queued letters into batches: claim, build the ZIP, publish.

Sealing runs in three steps, each safe to repeat and to run concurrently:

1. **Claim** (one short transaction): a ``sealing`` batch row is created and queued letters
   of one tenant and product are moved to it with a conditional
   ``UPDATE … WHERE status = 'queued' AND batch_id IS NULL`` (on PostgreSQL the candidates
   are first locked with ``FOR UPDATE SKIP LOCKED``, so concurrent sealers take disjoint
   sets; SQLite serialises writers). A letter cancelled meanwhile is no longer ``queued``
   and is not taken; ``outbox_batch_items.letter_id`` is unique, so a letter can never be
   in two batches even if this code were wrong.
2. **Build** (no transaction held): the manifest (JSON and CSV) and the PDFs are streamed
   into a ZIP in a temporary file (``ZIP_STORED``: PDFs do not compress), letter rows are
   read in chunks, so memory stays flat however large the batch. Every PDF is hashed while
   copied and compared with the SHA-256 recorded at intake. Entry timestamps are the
   batch's seal time, so a rebuild after a crash yields the same bytes.
3. **Publish** (one transaction): the ZIP is stored as a content-addressed blob (its
   SHA-256 is the download's ETag) and the batch becomes ``ready``: immutable from now on.
   If the tenant has a push provider that offers the product, the batch is marked for it
   and its upload job written in the same transaction (:mod:`outbox.push`).

A batch left in ``sealing`` by a crash is finished by the next sealing run.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import os
import tempfile
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from akte.core.context import AppContext
from akte.core.database import session_scope, utcnow
from akte.tenants.models import Tenant
from outbox import manifest, repository
from outbox import settings as outbox_settings
from outbox.calendar import last_cutoff
from outbox.models import Batch, BatchItem, BatchStatus, Letter, LetterEvent, LetterStatus

log = logging.getLogger("akte.outbox")

CSV_FIELDS = manifest.CSV_FIELDS


def sender_of(session: Session, tenant_id: uuid.UUID) -> manifest.Sender:
    """The issuing authority of a tenant's letters and its return address (settings)."""
    tenant = session.get(Tenant, tenant_id)
    rules = outbox_settings.get(session, tenant_id)
    return manifest.Sender(
        authority=tenant.name if tenant else "",
        lines=list(rules.letterhead_lines),
        return_address=rules.return_address,
    )


class BatchCorrupt(Exception):
    """A stored PDF no longer matches its recorded SHA-256: the batch must not go out."""


@dataclass(frozen=True)
class SealResult:
    batch_id: uuid.UUID
    letter_count: int


def _chunks(items: list, size: int = 500) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _claim(session: Session, tenant_id: uuid.UUID, product: str, limit: int) -> Batch | None:
    """Move up to ``limit`` queued letters into a new ``sealing`` batch. Works on ids and
    plain columns in chunks (no ORM object per letter), so 10,000 letters cost little."""
    postgres = session.get_bind().dialect.name == "postgresql"
    candidates = repository.queued_letter_ids(session, tenant_id, product, limit, lock=postgres)
    if not candidates:
        return None
    now = utcnow()
    batch = Batch(
        tenant_id=tenant_id,
        product=product,
        status=BatchStatus.sealing.value,
        sealed_at=now.replace(microsecond=0),
    )
    session.add(batch)
    session.flush()
    for chunk in _chunks(candidates):
        session.execute(
            update(Letter)
            .where(
                Letter.id.in_(chunk),
                Letter.status == LetterStatus.queued,
                Letter.batch_id.is_(None),
            )
            .values(status=LetterStatus.batched.value, batch_id=batch.id, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    taken = session.execute(
        select(Letter.id, Letter.sheet_count)
        .where(Letter.batch_id == batch.id)
        .order_by(Letter.created_at, Letter.id)
    ).all()
    if not taken:
        session.delete(batch)
        session.flush()
        return None
    detail = {"batch_id": str(batch.id)}
    for offset, chunk in enumerate(_chunks(taken)):
        session.execute(
            insert(BatchItem),
            [
                {"batch_id": batch.id, "position": offset * 500 + i + 1, "letter_id": letter_id}
                for i, (letter_id, _) in enumerate(chunk)
            ],
        )
        session.execute(
            insert(LetterEvent),
            [
                {
                    "letter_id": letter_id,
                    "status": LetterStatus.batched.value,
                    "detail": detail,
                    "recorded_at": now,
                }
                for letter_id, _ in chunk
            ],
        )
    batch.letter_count = len(taken)
    batch.sheet_count = sum(sheets for _, sheets in taken)
    session.flush()
    return batch


def claim(ctx: AppContext, tenant_id: uuid.UUID, product: str, limit: int) -> uuid.UUID | None:
    """Step 1 in its own transaction; retried when SQLite reports a busy database."""
    for attempt in range(5):
        try:
            with session_scope(ctx.session_factory) as session:
                batch = _claim(session, tenant_id, product, limit)
                return batch.id if batch else None
        except OperationalError:
            if attempt == 4:
                raise
    return None


def _entry_name(position: int, letter_id: uuid.UUID) -> str:
    return f"letters/{position:05d}_{letter_id}.pdf"


def _zipinfo(name: str, when: datetime) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=when.timetuple()[:6])
    info.compress_type = zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16
    return info


def build_zip(ctx: AppContext, batch_id: uuid.UUID, out_path: str) -> None:
    """Step 2: write the batch ZIP to ``out_path`` with bounded memory."""
    with session_scope(ctx.session_factory) as session:
        batch = session.get(Batch, batch_id)
        assert batch is not None and batch.sealed_at is not None
        sealed_at, tenant_id, product = batch.sealed_at, batch.tenant_id, batch.product
        count = batch.letter_count
        sender = sender_of(session, tenant_id)
    with (
        tempfile.TemporaryDirectory() as scratch,
        zipfile.ZipFile(out_path, "w", allowZip64=True) as zf,
    ):
        json_path, csv_path = os.path.join(scratch, "m.json"), os.path.join(scratch, "m.csv")
        with (
            open(json_path, "w", encoding="utf-8") as js,
            open(csv_path, "w", encoding="utf-8", newline="") as cs,
        ):
            writer = csv.DictWriter(cs, fieldnames=CSV_FIELDS)
            writer.writeheader()
            head = {
                "batch_id": str(batch_id),
                "tenant_id": str(tenant_id),
                "product": product,
                "sealed_at": sealed_at.isoformat(),
                "letter_count": count,
            }
            js.write(json.dumps(head, ensure_ascii=False)[:-1] + ', "letters": [\n')
            first = True
            with session_scope(ctx.session_factory) as session:
                for position, letter in repository.iter_manifest_rows(session, batch_id):
                    name = _entry_name(position, letter.id)
                    digest = hashlib.sha256()
                    with zf.open(_zipinfo(name, sealed_at), "w", force_zip64=True) as entry:
                        for chunk in ctx.storage.iter_range(letter.sha256):
                            digest.update(chunk)
                            entry.write(chunk)
                    if digest.hexdigest() != letter.sha256:
                        raise BatchCorrupt(f"stored PDF of letter {letter.id} changed")
                    row = manifest.entry(position, name, letter, sender)
                    js.write(("" if first else ",\n") + json.dumps(row, ensure_ascii=False))
                    writer.writerow(manifest.csv_row(row))  # cells through csv_safe
                    first = False
            js.write("\n]}\n")
        for source, arcname in ((json_path, "manifest.json"), (csv_path, "manifest.csv")):
            with open(source, "rb") as fh, zf.open(_zipinfo(arcname, sealed_at), "w") as entry:
                while chunk := fh.read(1024 * 1024):
                    entry.write(chunk)


def finish(ctx: AppContext, batch_id: uuid.UUID) -> None:
    """Steps 2 and 3 for a claimed batch; a no-op for one already ready."""
    with session_scope(ctx.session_factory) as session:
        batch = session.get(Batch, batch_id)
        if batch is None or batch.status != BatchStatus.sealing:
            return
    fd, path = tempfile.mkstemp(suffix=".zip")
    os.close(fd)
    try:
        build_zip(ctx, batch_id, path)
        info = ctx.storage.put_path(Path(path))
    finally:
        os.unlink(path)
    from outbox.push.service import claim_for_push  # the push side imports this module

    with session_scope(ctx.session_factory) as session:
        done = session.execute(
            update(Batch)
            .where(Batch.id == batch_id, Batch.status == BatchStatus.sealing)
            .values(
                status=BatchStatus.ready.value,
                zip_sha256=info.sha256,
                zip_size=info.size,
                updated_at=utcnow(),
            )
        )
        batch = session.get(Batch, batch_id)
        if done.rowcount == 1 and batch is not None:
            claim_for_push(session, batch)  # upload job in the same transaction
    log.info("batch %s sealed: %s bytes, sha256 %s", batch_id, info.size, info.sha256)


def seal(ctx: AppContext, tenant_id: uuid.UUID, product: str | None = None) -> list[SealResult]:
    """Seal every queued letter of a tenant (one product or all), in batches of at most
    ``max_batch_size``; also finishes batches a crash left in ``sealing``."""
    with session_scope(ctx.session_factory) as session:
        rules = outbox_settings.get(session, tenant_id)
        products = (
            [product]
            if product
            else sorted(
                set(
                    session.scalars(
                        select(Letter.product).where(
                            Letter.tenant_id == tenant_id, Letter.status == LetterStatus.queued
                        )
                    )
                )
            )
        )
        stuck = list(
            session.scalars(
                select(Batch.id).where(
                    Batch.tenant_id == tenant_id, Batch.status == BatchStatus.sealing
                )
            )
        )
    for batch_id in stuck:
        finish(ctx, batch_id)
    results = []
    for name in products:
        while (batch_id := claim(ctx, tenant_id, name, rules.max_batch_size)) is not None:
            finish(ctx, batch_id)
            with session_scope(ctx.session_factory) as session:
                batch = session.get(Batch, batch_id)
                results.append(SealResult(batch_id, batch.letter_count if batch else 0))
    return results


def due_tenants(ctx: AppContext, now: datetime | None = None) -> list[uuid.UUID]:
    """Tenants with a queued letter older than their latest cut-off (or a stuck batch)."""
    now = now or utcnow()
    due = []
    with session_scope(ctx.session_factory) as session:
        oldest = session.execute(
            select(Letter.tenant_id, func.min(Letter.created_at))
            .where(Letter.status == LetterStatus.queued)
            .group_by(Letter.tenant_id)
        ).all()
        stuck = set(
            session.scalars(select(Batch.tenant_id).where(Batch.status == BatchStatus.sealing))
        )
        for tenant_id, created_at in oldest:
            rules = outbox_settings.get(session, tenant_id)
            cutoff = last_cutoff(now, rules.cutoff_times, rules.working_days, rules.timezone)
            if cutoff is not None and created_at <= cutoff:
                due.append(tenant_id)
        due.extend(t for t in stuck if t not in due and session.get(Tenant, t) is not None)
    return due


def seal_due(ctx: AppContext, now: datetime | None = None) -> list[SealResult]:
    results = []
    for tenant_id in due_tenants(ctx, now):
        results.extend(seal(ctx, tenant_id))
    return results
