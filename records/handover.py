"""xdomea through hand-over folders, the way the archives' transfer tools work.

Archives (and many authorities receiving an Abgabe) run a transfer tool such as x-man that
polls a folder for packages and drops its answers into another. akte serves both sides:

* **Outbox** (``AKTE_XDOMEA_OUTBOX``): every package akte writes — the Abgabe (0401), the
  Anbietung (0501), the Aussonderung (0503) — is copied into ``<outbox>/<tenant>/`` under
  the name the standard gives it (``<ProzessID>_<Nachricht>.zip``). The copy is a job
  (:data:`OUTBOX_TASK`) queued in the transaction that records the package, so it happens
  only after that commit and is retried through an outage; the file appears atomically
  (:mod:`records.folders`). The packages also stay downloadable in the browser and API.
* **Inbox** (``AKTE_XDOMEA_INBOX``): the periodic task :data:`INBOX_TASK` reads each
  ``<inbox>/<tenant>/*`` file (the XML or its ZIP), imports it through the code the API
  import uses (:func:`records.confirmations.apply`, :func:`records.aussonderung.receive_for`:
  validation against the official schemas, process and object checks, audit) and moves it
  to ``done/``; a file that cannot be imported goes to ``rejected/`` beside
  ``<name>.reason.txt`` saying why, and the rejection is audited. The same bytes imported
  twice are recorded once (both import paths compare the message's SHA-256), so a file the
  task saw but could not move (an outage after the commit) is only moved the next time.

The tenant is the folder's: a message is looked up only among that tenant's exports and
Aussonderungen (its ProzessID is the export's or the Aussonderung's id). There is no
principal at this edge — the archive is not a user — so the task states the tenant itself
and the audit entries carry no actor.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from akte.audit import service as audit
from akte.core.context import AppContext
from akte.core.database import session_scope, utcnow
from akte.core.errors import AkteError
from akte.core.settings import Settings
from akte.jobs.repository import enqueue
from akte.tenants.models import Tenant
from records import aussonderung, blobs, confirmations, xdomea
from records.folders import Folder, open_folder
from records.models import Aussonderung, AussonderungMessage, Export

log = logging.getLogger("akte.records")
OUTBOX_TASK = "records.xdomea_outbox"
INBOX_TASK = "records.xdomea_inbox"
#: Messages the inbox accepts: the answers to an Abgabe and to an Aussonderung.
INBOX_CODES = ("0402", "0502", "0504", "0506", "0507")
DONE, REJECTED = "done", "rejected"


def queue_outbox(
    session: Session, settings: Settings, *, tenant_id: uuid.UUID, name: str, sha256: str
) -> None:
    """Queue the copy of a package into the outbox, in the caller's transaction (nothing
    when no outbox is configured: then packages are only downloaded)."""
    if not settings.xdomea_outbox:
        return
    enqueue(
        session,
        OUTBOX_TASK,
        {"tenant_id": str(tenant_id), "name": name, "sha256": sha256},
        max_attempts=5,
    )


def put_outbox(ctx: AppContext, tenant_id: uuid.UUID, name: str, sha256: str) -> None:
    """Write one package into the tenant's outbox folder (the job; safe to run twice: the
    same bytes replace the same name)."""
    location = ctx.settings.xdomea_outbox
    if not location:
        log.warning("outbox copy of %s not written: AKTE_XDOMEA_OUTBOX was unset", name)
        return
    with session_scope(ctx.session_factory) as session:
        tenant = session.get(Tenant, tenant_id)
        if tenant is None:
            return
        slug = tenant.slug
    folder = open_folder(location, ctx.settings, slug)
    with tempfile.TemporaryDirectory(prefix="akte-outbox-") as tmp:
        path = blobs.fetch(ctx.storage, sha256, Path(tmp) / "package.zip")
        folder.put(name, path)
    with session_scope(ctx.session_factory) as session:
        audit.record(
            session,
            None,
            "records.xdomea.outbox",
            tenant_id=tenant_id,
            detail={"name": name, "sha256": sha256, "folder": folder.location},
        )


@dataclass(frozen=True)
class InboxResult:
    imported: list[str]
    duplicates: list[str]
    rejected: dict[str, str]


class _Rejected(Exception):
    pass


def poll_inbox(ctx: AppContext) -> InboxResult:
    """One run of the inbox over every tenant's folder."""
    result = InboxResult([], [], {})
    location = ctx.settings.xdomea_inbox
    if not location:
        return result
    with session_scope(ctx.session_factory) as session:
        tenants = [(t.id, t.slug) for t in session.scalars(select(Tenant).order_by(Tenant.slug))]
    for tenant_id, slug in tenants:
        folder = open_folder(location, ctx.settings, slug)
        for name in folder.names():
            try:
                try:
                    fresh = _import(ctx, tenant_id, folder, name)
                except _Rejected as exc:
                    _reject(ctx, tenant_id, folder, name, str(exc))
                    result.rejected[name] = str(exc)
                    continue
                folder.move(name, DONE)
            except FileNotFoundError:
                continue  # a run that overran its period took the file meanwhile
            (result.imported if fresh else result.duplicates).append(name)
    return result


def _import(ctx: AppContext, tenant_id: uuid.UUID, folder: Folder, name: str) -> bool:
    """Import one file; whether it was new (``False``: these bytes were recorded before)."""
    data = folder.read(name, xdomea.MAX_MESSAGE_BYTES)
    try:
        xml = xdomea.unpack(data)
        message = xdomea.read_message(xml, INBOX_CODES)
    except xdomea.InvalidMessage as exc:
        raise _Rejected(str(exc)) from None
    try:
        process_id = uuid.UUID(message.process_id)
    except ValueError:
        raise _Rejected(f"the ProzessID {message.process_id!r} is no process of akte") from None
    digest = hashlib.sha256(xml).hexdigest()
    try:
        with session_scope(ctx.session_factory) as session:
            if message.code == "0402":
                export = session.scalar(
                    select(Export).where(Export.id == process_id, Export.tenant_id == tenant_id)
                )
                if export is None:
                    raise _Rejected(f"this tenant sent no Abgabe with ProzessID {process_id}")
                fresh = export.confirmation_sha256 != digest
                confirmations.apply(session, ctx.storage, None, export, xml)
            else:
                row = session.scalar(
                    select(Aussonderung).where(
                        Aussonderung.id == process_id, Aussonderung.tenant_id == tenant_id
                    )
                )
                if row is None:
                    raise _Rejected(f"this tenant has no Aussonderung with ProzessID {process_id}")
                fresh = (
                    session.scalar(
                        select(AussonderungMessage.id).where(
                            AussonderungMessage.aussonderung_id == row.id,
                            AussonderungMessage.sha256 == digest,
                        )
                    )
                    is None
                )
                aussonderung.receive_for(session, ctx.storage, None, row, xml)
            audit.record(
                session,
                None,
                "records.xdomea.inbox.imported" if fresh else "records.xdomea.inbox.duplicate",
                tenant_id=tenant_id,
                object_type="export" if message.code == "0402" else "aussonderung",
                object_id=process_id,
                detail={"name": name, "code": message.code, "sha256": digest},
            )
            return fresh
    except AkteError as exc:
        if exc.status_code >= 500:
            raise  # an outage: the next run tries again, the file stays
        raise _Rejected(f"{exc.code}: {exc.detail}") from None


def _reject(ctx: AppContext, tenant_id: uuid.UUID, folder: Folder, name: str, reason: str) -> None:
    """Reason first, then the file: the archive never finds a rejected file unexplained."""
    text = (
        f"akte hat die Nachricht {name} am {utcnow():%Y-%m-%d %H:%M:%S} UTC abgelehnt.\n"
        f"Grund: {reason}\n"
    )
    folder.write(f"{REJECTED}/{name}.reason.txt", text.encode())
    folder.move(name, REJECTED)
    with session_scope(ctx.session_factory) as session:
        audit.record(
            session,
            None,
            "records.xdomea.inbox.rejected",
            tenant_id=tenant_id,
            outcome="failed",
            detail={"name": name, "reason": reason[:2000]},
        )
