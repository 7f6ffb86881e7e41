"""Aussonderung: handing Akten whose retention has run out to the archive (xdomea 0501-0507).

The four-step procedure of the Archivgesetze, as the archives' transfer tools run it:

1. **Offer (0501).** A tenant admin offers closed Akten to the archive. Each gets a legal
   hold in the same transaction, so retention deletes nothing the archive has not decided
   on. The Anbieteverzeichnis lists each Akte with its documents' metadata.
2. **Evaluation (0502).** The archive answers per Akte with its Aussonderungsart: **A**
   (archivwürdig) Akten go over in step 3; **V** (vernichten) Akten lose their hold, and
   retention deletes them as it deletes any Akte whose period ran out (audited there);
   **B** or no answer keeps the hold until a person decides (release it in retention).
3. **Aussonderung (0503).** Built by a job as soon as the evaluation names an A-Akte: the
   Akten with their primary files, asking for an import confirmation with the archive's
   references.
4. **Import confirmation (0506).** Each imported Akte records its Archivkennung and loses
   its hold (retention then deletes it: the archive keeps it now); one the archive could
   not import stays held with the archive's reason.

Receipts (0504 for the offer, 0507 for the Aussonderung) are recorded as they come. Every
message read is validated against the official schema of its version, must carry this
Aussonderung's ProzessID and may speak only of offered Akten (422 otherwise, nothing
stored); a message out of turn is 409 ``wrong_step``; the same bytes twice are answered as
the first time. Messages are kept byte for byte as blobs; every step is audited.

Who: the tenant's admins (:func:`records.repository.readable_aussonderungen`).
"""

from __future__ import annotations

import hashlib
import io
import logging
import tempfile
import uuid
import zipfile
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from akte.audit import service as audit
from akte.auth.principal import Principal
from akte.case_files.models import CaseFile
from akte.core.context import AppContext
from akte.core.database import session_scope, utcnow
from akte.core.errors import Conflict, NotFound, Unprocessable
from akte.core.settings import Settings
from akte.core.storage import BlobStore
from akte.documents import repository as documents
from akte.documents.models import Document
from akte.jobs.repository import enqueue
from akte.retention.models import LegalHold
from akte.tenants.models import Tenant
from akte.users.models import Role
from records import blobs, repository, xdomea
from records.models import (
    Aussonderung,
    AussonderungItem,
    AussonderungMessage,
    AussonderungStatus,
    ItemState,
)
from records.schemas import AussonderungCreate

log = logging.getLogger("akte.records")
BUILD_TASK = "records.build_aussonderung"
#: Items still waiting for someone: the Akte is held for them.
OPEN_STATES = (ItemState.offered, ItemState.archive, ItemState.undecided, ItemState.failed)


def get(session: Session, principal: Principal, aussonderung_id: uuid.UUID) -> Aussonderung:
    found = session.scalar(
        repository.readable_aussonderungen(principal).where(Aussonderung.id == aussonderung_id)
    )
    if found is None:
        raise NotFound("Aussonderung not found")
    return found


def items(session: Session, aussonderung_id: uuid.UUID) -> list[AussonderungItem]:
    return list(
        session.scalars(
            select(AussonderungItem)
            .where(AussonderungItem.aussonderung_id == aussonderung_id)
            .order_by(AussonderungItem.aktenzeichen)
        )
    )


def messages(session: Session, aussonderung_id: uuid.UUID) -> list[AussonderungMessage]:
    return list(
        session.scalars(
            select(AussonderungMessage)
            .where(AussonderungMessage.aussonderung_id == aussonderung_id)
            .order_by(AussonderungMessage.received_at, AussonderungMessage.id)
        )
    )


def _entries(
    session: Session, case_file: CaseFile
) -> tuple[xdomea.AkteEntry, list[xdomea.DocumentEntry]]:
    rows = session.scalars(
        select(Document)
        .where(Document.case_file_id == case_file.id)
        .order_by(Document.received_at, Document.id)
    )
    docs = []
    for doc in rows:
        version = documents.version(session, doc.id, doc.current_version)
        if version is None:
            continue
        docs.append(
            xdomea.DocumentEntry(
                id=str(doc.id),
                title=doc.title,
                doc_type=doc.doc_type,
                received_at=doc.received_at,
                document_date=doc.document_date,
                version_no=version.version_no,
                version_id=str(version.id),
                filename=version.filename,
                mime_type=version.mime_type,
                stored_at=version.created_at,
            )
        )
    return (
        xdomea.AkteEntry(
            str(case_file.id), case_file.aktenzeichen, case_file.betreff, case_file.closed_at
        ),
        docs,
    )


def _zip(name: str, message: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{name}.xml", message)
    return buffer.getvalue()


def offer(
    session: Session,
    storage: BlobStore,
    principal: Principal,
    *,
    body: AussonderungCreate,
    settings: Settings,
) -> Aussonderung:
    """Step 1: hold the Akten and write the Anbieteverzeichnis (0501); its copy into the
    hand-over outbox (when configured) is queued in the same transaction."""
    principal.require_role(Role.tenant_admin)
    tenant = session.get(Tenant, principal.tenant_id)
    assert tenant is not None
    wanted = sorted(set(body.case_file_ids))
    akten = list(
        session.scalars(
            select(CaseFile)
            .where(CaseFile.id.in_(wanted), CaseFile.tenant_id == tenant.id)
            .order_by(CaseFile.aktenzeichen)
        )
    )
    if len(akten) != len(wanted):
        raise NotFound("an Akte is not in your tenant", code="unknown_case_file")
    still_open = [a.aktenzeichen for a in akten if a.status != "closed"]
    if still_open:
        raise Unprocessable(
            f"only closed Akten (zdA) are offered to the archive: {', '.join(still_open[:5])}",
            code="akte_not_closed",
        )
    busy = list(
        session.scalars(
            select(AussonderungItem.aktenzeichen)
            .join(Aussonderung, Aussonderung.id == AussonderungItem.aussonderung_id)
            .where(
                AussonderungItem.case_file_id.in_(wanted), AussonderungItem.state.in_(OPEN_STATES)
            )
        )
    )
    if busy:
        raise Conflict(
            f"already offered and not yet decided: {', '.join(busy[:5])}", code="already_offered"
        )
    configured = (tenant.options or {}).get("xdomea_version")
    row = Aussonderung(
        tenant_id=tenant.id,
        recipient=body.recipient,
        xdomea_version=body.xdomea_version or configured or xdomea.DEFAULT_VERSION,
        status=AussonderungStatus.offered,
        created_by_id=principal.user_id,
    )
    session.add(row)
    session.flush()
    listed = []
    for akte in akten:
        hold = LegalHold(
            tenant_id=tenant.id,
            case_file_id=akte.id,
            reason=f"Aussonderung {row.id}: dem Archiv angeboten, Bewertung ausstehend",
            created_by_id=principal.user_id,
        )
        session.add(hold)
        session.flush()
        session.add(
            AussonderungItem(
                aussonderung_id=row.id,
                case_file_id=akte.id,
                aktenzeichen=akte.aktenzeichen,
                hold_id=hold.id,
                state=ItemState.offered,
                remarks=[],
            )
        )
        listed.append(_entries(session, akte))
    try:
        message = xdomea.anbieteverzeichnis_0501(
            version=row.xdomea_version,
            process_id=str(row.id),
            created_at=utcnow(),
            sender=tenant.name,
            recipient=row.recipient,
            akten=listed,
        )
    except xdomea.InvalidMessage as exc:  # our own data does not fit the schema
        raise Unprocessable(str(exc), code="invalid_xdomea") from None
    name = xdomea.message_name(str(row.id), "0501")
    stored = storage.put_bytes(_zip(name, message))
    row.offer_sha256, row.offer_name = stored.sha256, f"{name}.zip"
    session.flush()
    from records import handover

    handover.queue_outbox(
        session, settings, tenant_id=tenant.id, name=row.offer_name, sha256=stored.sha256
    )
    audit.record(
        session,
        principal,
        "records.aussonderung.offer",
        object_type="aussonderung",
        object_id=row.id,
        detail={
            "akten": [a.aktenzeichen for a in akten],
            "recipient": row.recipient,
            "version": row.xdomea_version,
        },
    )
    return row


def receive(
    session: Session,
    storage: BlobStore,
    principal: Principal,
    aussonderung_id: uuid.UUID,
    data: bytes,
) -> Aussonderung:
    """Steps 2 and 4 and the receipts: record one message of the archive."""
    row = get(session, principal, aussonderung_id)
    return receive_for(session, storage, principal, row, data)


def receive_for(
    session: Session,
    storage: BlobStore,
    principal: Principal | None,
    row: Aussonderung,
    data: bytes,
) -> Aussonderung:
    """Record a message on ``row`` once the caller has been checked (``principal``
    ``None``: read from the hand-over inbox, :mod:`records.handover`)."""
    digest = hashlib.sha256(data).hexdigest()
    if digest in {m.sha256 for m in messages(session, row.id)}:
        return row  # a retried upload of a message already recorded
    if len(data) > xdomea.MAX_MESSAGE_BYTES:
        raise Unprocessable(
            f"the message is larger than {xdomea.MAX_MESSAGE_BYTES} bytes", code="invalid_xdomea"
        )
    try:
        message = xdomea.read_message(data, ("0502", "0504", "0506", "0507"))
    except xdomea.InvalidMessage as exc:
        raise Unprocessable(str(exc), code="invalid_xdomea") from None
    if message.process_id.lower() != str(row.id):
        raise Unprocessable(
            f"the message belongs to process {message.process_id}, not to "
            f"this Aussonderung ({row.id})",
            code="process_mismatch",
        )
    by_id = {str(i.case_file_id): i for i in items(session, row.id)}
    detail: Mapping[str, object] = {}
    if message.code == "0502":
        detail = _evaluation(session, principal, row, by_id, message)
    elif message.code == "0506":
        detail = _import_confirmation(session, principal, row, by_id, message)
    stored = storage.put_bytes(data)
    session.add(
        AussonderungMessage(aussonderung_id=row.id, code=message.code, sha256=stored.sha256)
    )
    session.flush()
    audit.record(
        session,
        principal,
        f"records.aussonderung.message.{message.code}",
        tenant_id=row.tenant_id,
        object_type="aussonderung",
        object_id=row.id,
        detail={"sha256": stored.sha256, **detail},
    )
    return row


def _require(row: Aussonderung, step: AussonderungStatus, code: str) -> None:
    if row.status != step:
        raise Conflict(
            f"a {code} is not expected now: the Aussonderung is {row.status}", code="wrong_step"
        )


def _release(session: Session, item: AussonderungItem) -> None:
    hold = session.get(LegalHold, item.hold_id) if item.hold_id else None
    if hold is not None and hold.released_at is None:
        hold.released_at = utcnow()


def _evaluation(
    session: Session,
    principal: Principal | None,
    row: Aussonderung,
    by_id: dict[str, AussonderungItem],
    message: xdomea.Incoming,
) -> dict[str, int]:
    """Record the archive's verdicts; how many Akten it keeps (A), lets go (V) or left
    undecided."""
    _require(row, AussonderungStatus.offered, "Bewertungsverzeichnis (0502)")
    verdicts = xdomea.evaluations(message)
    unknown = sorted({v.id for v in verdicts} - set(by_id))
    if unknown:
        raise Unprocessable(
            f"the evaluation names Akten that were not offered: {', '.join(unknown[:5])}",
            code="unknown_object",
        )
    counts = {"A": 0, "V": 0, "other": 0}
    for verdict in verdicts:
        item = by_id[verdict.id]
        item.decision = verdict.decision[:40]
        if verdict.decision == "A":
            item.state, counts["A"] = ItemState.archive, counts["A"] + 1
        elif verdict.decision == "V":
            item.state, counts["V"] = ItemState.destroy, counts["V"] + 1
            _release(session, item)  # retention deletes it once its period has run out
        else:
            item.state, counts["other"] = ItemState.undecided, counts["other"] + 1
    for item in by_id.values():
        if item.state == ItemState.offered:
            item.state = ItemState.undecided
            item.remarks = [*item.remarks, "das Archiv hat diese Akte nicht bewertet"]
    row.status = AussonderungStatus.evaluated
    if counts["A"]:
        row.status = AussonderungStatus.building
        session.flush()
        enqueue(session, BUILD_TASK, {"aussonderung_id": str(row.id)}, max_attempts=3)
    return counts


def _import_confirmation(
    session: Session,
    principal: Principal | None,
    row: Aussonderung,
    by_id: dict[str, AussonderungItem],
    message: xdomea.Incoming,
) -> dict[str, object]:
    _require(row, AussonderungStatus.transferred, "Importbestätigung (0506)")
    verdicts = xdomea.archive_verdicts(message)
    sent = {k for k, i in by_id.items() if i.state in (ItemState.archive, ItemState.failed)}
    unknown = sorted({v.id for v in verdicts} - sent)
    if unknown:
        raise Unprocessable(
            f"the confirmation names Akten that were not handed over: {', '.join(unknown[:5])}",
            code="unknown_object",
        )
    imported = 0
    for verdict in verdicts:
        item = by_id[verdict.id]
        if verdict.imported:
            item.state, item.archive_ref = ItemState.archived, verdict.archive_ref
            _release(session, item)  # the archive keeps it now; retention deletes ours
            imported += 1
        else:
            item.state = ItemState.failed
            item.remarks = [*item.remarks, *(verdict.messages or ["Import fehlgeschlagen"])]
    if not any(i.state == ItemState.archive for i in by_id.values()):
        row.status = AussonderungStatus.done
    return {"imported": imported, "failed": len(verdicts) - imported}


# --- step 3: the job that builds the 0503 ------------------------------------------------


def build(ctx: AppContext, aussonderung_id: uuid.UUID) -> None:
    """Write the 0503 package: message and primary files of the A-Akten, streamed from
    storage with their hashes checked. Idempotent: only a ``building`` row is built."""
    with session_scope(ctx.session_factory) as session:
        row = session.get(Aussonderung, aussonderung_id)
        if row is None or row.status != AussonderungStatus.building:
            return
        tenant = session.get(Tenant, row.tenant_id)
        assert tenant is not None
        chosen = [i.case_file_id for i in items(session, row.id) if i.state == ItemState.archive]
        akten = [session.get(CaseFile, cid) for cid in chosen]
        listed = [_entries(session, a) for a in akten if a is not None]
        sha_by_version = {
            d.version_id: v.sha256
            for _a, docs in listed
            for d in docs
            for v in [documents.version(session, uuid.UUID(d.id), d.version_no)]
            if v is not None
        }
        version, recipient, sender = row.xdomea_version, row.recipient, tenant.name
    name = xdomea.message_name(str(aussonderung_id), "0503")
    try:
        message = xdomea.aussonderung_0503(
            version=version,
            process_id=str(aussonderung_id),
            created_at=utcnow(),
            sender=sender,
            recipient=recipient,
            akten=listed,
        )
        with tempfile.TemporaryDirectory(prefix="akte-aussonderung-") as tmp:
            path = Path(tmp) / f"{name}.zip"
            with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
                zf.writestr(f"{name}.xml", message)
                for _akte, docs in listed:
                    for doc in docs:
                        blobs.zip_blob(
                            zf, doc.primary_name, ctx.storage, sha_by_version[doc.version_id]
                        )
            package = ctx.storage.put_path(path)
    except (xdomea.InvalidMessage, blobs.BlobMismatch) as exc:  # before ServiceUnavailable
        log.warning("Aussonderung %s failed: %s", aussonderung_id, exc)
        with session_scope(ctx.session_factory) as session:
            row = session.get(Aussonderung, aussonderung_id)
            if row is not None:
                row.status, row.error = AussonderungStatus.failed, str(exc)[:2000]
        return
    with session_scope(ctx.session_factory) as session:
        row = session.get(Aussonderung, aussonderung_id)
        if row is None:
            return
        row.package_sha256, row.package_name = package.sha256, f"{name}.zip"
        row.status = AussonderungStatus.transferred
        from records import handover

        handover.queue_outbox(
            session,
            ctx.settings,
            tenant_id=row.tenant_id,
            name=row.package_name,
            sha256=package.sha256,
        )
        audit.record(
            session,
            None,
            "records.aussonderung.package",
            tenant_id=row.tenant_id,
            object_type="aussonderung",
            object_id=row.id,
            detail={"akten": len(listed), "sha256": package.sha256},
        )
