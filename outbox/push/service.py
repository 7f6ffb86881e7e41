"""Upload sealed batches to a push provider and bring its states into the status model.

Jobs (:mod:`outbox.tasks`): ``outbox.push_batch`` (written with the sealed batch) and
``outbox.push_poll`` (re-enqueued every ``poll_seconds`` while letters of the batch are
open). Both take a batch id, reload everything, and are safe to run twice:

* an upload skips letters that already have a push item; between the provider's answer
  and our commit a crash could upload a chunk twice, which the provider's duplicate
  protection (E-POST: ``activateDuplicateFailsafe``) catches;
* applying a state twice is a no-op, because reports are idempotent
  (:mod:`outbox.lifecycle`).

A letter the adapter refuses before upload (too large, too many name lines) is recorded
``rejected`` with reason code ``push_refused``, like a provider's own rejection: the
caseworker sees it and must act. Memory stays bounded: PDFs are read per chunk.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from akte.core.context import AppContext
from akte.core.database import session_scope, utcnow
from akte.core.errors import AkteError
from akte.jobs import repository as jobs
from outbox import provider
from outbox import settings as outbox_settings
from outbox.manifest import structured_address
from outbox.models import Batch, BatchStatus, Letter, LetterStatus, PushItem
from outbox.push.base import ProviderState, PushAdapter, PushLetter
from outbox.push.epost import EPostAdapter
from outbox.schemas import StatusReport

log = logging.getLogger("akte.outbox.push")

PUSH_TASK = "outbox.push_batch"
POLL_TASK = "outbox.push_poll"
CHUNK = 20

#: Builds an adapter from the tenant's settings; tests and other providers add theirs.
FACTORIES: dict[str, Callable[[outbox_settings.PushProviderSettings], PushAdapter]] = {
    "epost": lambda s: EPostAdapter(
        base_url=s.base_url,
        vendor_id=s.vendor_id,
        ekp=s.ekp,
        secret=s.secret,
        password=s.password,
        test_mode=s.test_mode,
    ),
}


def adapter_for(rules: outbox_settings.TenantOutboxSettings) -> PushAdapter | None:
    if rules.push_provider is None:
        return None
    return FACTORIES[rules.push_provider.kind](rules.push_provider)


def _close(adapter: PushAdapter) -> None:
    close = getattr(adapter, "close", None)
    if close is not None:
        close()


def claim_for_push(session: Session, batch: Batch) -> bool:
    """At publishing: mark the batch for the tenant's push provider (if it offers the
    product) and write its upload job in the same transaction."""
    rules = outbox_settings.get(session, batch.tenant_id)
    adapter = adapter_for(rules)
    if adapter is None:
        return False
    try:
        if not adapter.offers(batch.product):
            return False
    finally:
        _close(adapter)
    batch.push_provider = rules.push_provider.kind  # type: ignore[union-attr]
    jobs.enqueue(session, PUSH_TASK, {"batch_id": str(batch.id)})
    session.flush()
    return True


def _pending(session: Session, batch_id: uuid.UUID, after: uuid.UUID | None) -> list[Letter]:
    pushed = select(PushItem.letter_id).where(PushItem.batch_id == batch_id)
    stmt = (
        select(Letter)
        .where(
            Letter.batch_id == batch_id,
            Letter.id.not_in(pushed),
            Letter.status != LetterStatus.rejected,
        )
        .order_by(Letter.id)
        .limit(CHUNK)
    )
    if after is not None:
        stmt = stmt.where(Letter.id > after)
    return list(session.scalars(stmt))


def _push_letter(ctx: AppContext, letter: Letter) -> PushLetter:
    digest = hashlib.sha256()
    parts = []
    for part in ctx.storage.iter_range(letter.sha256):
        digest.update(part)
        parts.append(part)
    if digest.hexdigest() != letter.sha256:
        raise RuntimeError(f"stored PDF of letter {letter.id} changed")
    return PushLetter(
        letter_id=letter.id,
        pdf=b"".join(parts),
        recipient=structured_address(letter),
        sender=letter.sender_address,
        product=letter.product,
        color=letter.color,
        duplex=letter.duplex,
    )


def push_batch(ctx: AppContext, batch_id: uuid.UUID) -> int:
    """Upload what is not uploaded yet; when all letters are with the provider, the batch
    is handed over and polling starts. Returns the number of letters uploaded now."""
    with session_scope(ctx.session_factory) as session:
        batch = session.get(Batch, batch_id)
        if batch is None or batch.push_provider is None:
            return 0
        rules = outbox_settings.get(session, batch.tenant_id)
        tenant_id, kind = batch.tenant_id, batch.push_provider
    adapter = adapter_for(rules)
    if adapter is None or adapter.key != kind:
        raise RuntimeError(
            f"batch {batch_id} is for push provider {kind}, which the tenant "
            "no longer has configured"
        )
    uploaded, after = 0, None
    try:
        while True:
            with session_scope(ctx.session_factory) as session:
                letters = _pending(session, batch_id, after)
                chunk = [_push_letter(ctx, letter) for letter in letters]
            if not chunk:
                break
            after = chunk[-1].letter_id
            refused = {x.letter_id: why for x in chunk if (why := adapter.refuses(x))}
            accepted = adapter.submit([x for x in chunk if x.letter_id not in refused])
            with session_scope(ctx.session_factory) as session:
                for letter_id, ref in accepted.items():
                    session.add(
                        PushItem(
                            letter_id=letter_id,
                            batch_id=batch_id,
                            tenant_id=tenant_id,
                            provider=kind,
                            provider_ref=ref,
                        )
                    )
                for letter_id, why in refused.items():
                    _reject(ctx, session, letter_id, why)
            uploaded += len(accepted)
    finally:
        _close(adapter)
    with session_scope(ctx.session_factory) as session:
        batch = session.get(Batch, batch_id)
        assert batch is not None
        if batch.status == BatchStatus.ready:
            provider.hand_over(session, batch, None, {"push_provider": kind})
            jobs.enqueue(
                session,
                POLL_TASK,
                {"batch_id": str(batch_id)},
                delay_seconds=rules.push_provider.poll_seconds,
            )  # type: ignore[union-attr]
    log.info("batch %s: %s letters uploaded to %s", batch_id, uploaded, kind)
    return uploaded


def _reject(ctx: AppContext, session: Session, letter_id: uuid.UUID, why: str) -> None:
    letter = session.get(Letter, letter_id)
    if letter is None:
        return
    report = StatusReport.model_validate(
        {"status": "rejected", "reason_code": "push_refused", "reason": why[:500]}
    )
    provider.apply_report(session, ctx.storage, None, letter, report=report)


def apply_states(ctx: AppContext, kind: str, states: list[ProviderState]) -> int:
    """Bring provider states into the status model (polling and webhooks alike); each
    letter in its own transaction, so one refused report does not block the others.
    Returns how many letters changed."""
    changed = 0
    for state in states:
        with session_scope(ctx.session_factory) as session:
            item = session.scalar(
                select(PushItem).where(
                    PushItem.provider == kind, PushItem.provider_ref == state.provider_ref
                )
            )
            if item is None:
                log.warning("%s reported unknown letter %s", kind, state.provider_ref)
                continue
            letter = session.get(Letter, item.letter_id)
            if letter is None:
                continue
            error = None
            for report in state.reports:
                values = {
                    "status": report.status,
                    "date": report.on,
                    "reason": report.reason,
                    "reason_code": report.reason_code,
                    "tracking_number": report.tracking_number,
                }
                try:
                    with session.begin_nested():
                        _, did = provider.apply_report(
                            session,
                            ctx.storage,
                            None,
                            letter,
                            report=StatusReport.model_validate(
                                {k: v for k, v in values.items() if v is not None}
                            ),
                        )
                    changed += did
                except AkteError as exc:
                    session.refresh(letter)
                    error = f"{report.status}: {exc.detail}"
                    break
            item.provider_status, item.final = state.raw_status, state.final or error is not None
            item.checked_at, item.last_error = utcnow(), error
    return changed


def poll_batch(ctx: AppContext, batch_id: uuid.UUID) -> bool:
    """Ask the provider for the open letters of a batch; ``True`` while some stay open
    (the job then re-enqueues itself)."""
    with session_scope(ctx.session_factory) as session:
        batch = session.get(Batch, batch_id)
        if batch is None or batch.push_provider is None:
            return False
        rules = outbox_settings.get(session, batch.tenant_id)
        kind = batch.push_provider
        refs = list(
            session.scalars(
                select(PushItem.provider_ref).where(
                    PushItem.batch_id == batch_id, PushItem.final.is_(False)
                )
            )
        )
    if not refs:
        return False
    adapter = adapter_for(rules)
    if adapter is None or adapter.key != kind:
        return False
    try:
        states = adapter.poll(refs)
    finally:
        _close(adapter)
    apply_states(ctx, kind, states)
    with session_scope(ctx.session_factory) as session:
        still_open = (
            session.scalar(
                select(PushItem.letter_id)
                .where(PushItem.batch_id == batch_id, PushItem.final.is_(False))
                .limit(1)
            )
            is not None
        )
        if still_open:
            jobs.enqueue(
                session,
                POLL_TASK,
                {"batch_id": str(batch_id)},
                delay_seconds=rules.push_provider.poll_seconds,
            )  # type: ignore[union-attr]
    return still_open
