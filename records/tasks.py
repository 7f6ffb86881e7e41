"""Jobs of ``records``."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from akte.core.context import AppContext
from akte.core.database import session_scope, utcnow
from akte.core.settings import Settings
from akte.jobs.periodic import periodic
from akte.jobs.registry import JobDeath, on_dead, task
from records import aussonderung, build, handover, transfers
from records.exports import BUILD_TASK
from records.models import Aussonderung, AussonderungStatus, Export, ExportStatus


@task(BUILD_TASK)
def build_export(ctx: AppContext, payload: dict[str, Any]) -> None:
    """Build one export's PDF and package (idempotent: a finished export is left alone)."""
    build.run(ctx, uuid.UUID(payload["export_id"]))


@on_dead(BUILD_TASK)
def export_given_up(session: Session, payload: dict[str, Any], death: JobDeath) -> None:
    """An export whose job is given up is ``failed`` with the reason, never left
    ``building``; requesting it again is the way forward."""
    export = session.get(Export, uuid.UUID(payload["export_id"]))
    if export is None or export.status == ExportStatus.ready:
        return
    export.status = ExportStatus.failed
    export.error = f"gave up after {death.attempts} attempt(s): {death.error}"
    export.finished_at = utcnow()


@task(aussonderung.BUILD_TASK)
def build_aussonderung(ctx: AppContext, payload: dict[str, Any]) -> None:
    """Build an Aussonderung's 0503 package (idempotent: only a ``building`` row)."""
    aussonderung.build(ctx, uuid.UUID(payload["aussonderung_id"]))


@on_dead(aussonderung.BUILD_TASK)
def aussonderung_given_up(session: Session, payload: dict[str, Any], death: JobDeath) -> None:
    """Never left ``building``: ``failed`` with the reason (the Akten stay held)."""
    row = session.get(Aussonderung, uuid.UUID(payload["aussonderung_id"]))
    if row is None or row.status != AussonderungStatus.building:
        return
    row.status = AussonderungStatus.failed
    row.error = f"gave up after {death.attempts} attempt(s): {death.error}"


@task(transfers.MOVE_TASK)
def move_transfer(ctx: AppContext, payload: dict[str, Any]) -> None:
    """Move an accepted transfer's Akte to the receiving tenant, in one transaction."""
    with session_scope(ctx.session_factory) as session:
        transfers.move(session, ctx.storage, uuid.UUID(payload["transfer_id"]))


@task(handover.OUTBOX_TASK)
def write_outbox(ctx: AppContext, payload: dict[str, Any]) -> None:
    """Copy one xdomea package into the tenant's hand-over folder (atomically)."""
    handover.put_outbox(ctx, uuid.UUID(payload["tenant_id"]), payload["name"], payload["sha256"])


def _inbox_interval(settings: Settings) -> timedelta | None:
    if not settings.xdomea_inbox:
        return None
    return timedelta(seconds=settings.xdomea_inbox_interval_seconds)


@periodic(handover.INBOX_TASK, every=_inbox_interval)
def read_inbox(ctx: AppContext, payload: dict[str, Any]) -> None:
    """Import the archives' answers dropped into the hand-over inbox."""
    handover.poll_inbox(ctx)
