"""The receiver's import confirmation (xdomea 0402) of an Abgabe, recorded on its export.

An Abgabe (0401) asks the receiving authority to confirm the import; its 0402 names each
handed-over object (the Akte, each Dokument) with ``Erfolgreich`` and, on failure, the
reasons. Recording it is the Akte owner's act (``Action.export``, as sending was): the
message must validate against its version's schema, belong to this export (``ProzessID``
is the export's id) and speak only of objects that were in it; anything else is 422 with
the reason and nothing is stored. The message is kept byte for byte (a blob), the verdicts
on the row, and the act is audited. A second, different confirmation is 409: the first
stays the record; the same bytes again are answered as before (a retried upload).
"""

from __future__ import annotations

import hashlib
import uuid

from sqlalchemy.orm import Session

from akte.audit import service as audit
from akte.auth.permissions import Action
from akte.auth.principal import Principal
from akte.case_files import service as case_files
from akte.core.database import utcnow
from akte.core.errors import Conflict, Unprocessable
from akte.core.storage import BlobStore
from records import exports, xdomea
from records.models import Export, ExportKind, ExportStatus


class ConfirmationStatus:
    confirmed = "confirmed"  # every object imported
    partial = "partial"  # some were not
    rejected = "rejected"  # none was


def record(
    session: Session, storage: BlobStore, principal: Principal, export_id: uuid.UUID, data: bytes
) -> Export:
    export = exports.get_readable(session, principal, export_id)
    case_files.get_owned(session, principal, export.case_file_id, Action.export)
    return apply(session, storage, principal, export, data)


def apply(
    session: Session, storage: BlobStore, actor: Principal | None, export: Export, data: bytes
) -> Export:
    """Record ``data`` on ``export`` once the caller has been checked (``actor`` ``None``:
    read from the hand-over inbox, :mod:`records.handover`)."""
    if export.kind != ExportKind.xdomea_abgabe:
        raise Conflict("only an xdomea Abgabe is confirmed by the receiver", code="not_an_abgabe")
    if export.status != ExportStatus.ready:
        raise Conflict(f"the Abgabe is {export.status}: it was never sent", code="export_not_ready")
    digest = hashlib.sha256(data).hexdigest()
    if export.confirmation_sha256 is not None:
        if export.confirmation_sha256 == digest:
            return export
        raise Conflict(
            "an import confirmation is already recorded for this Abgabe", code="already_confirmed"
        )
    if len(data) > xdomea.MAX_MESSAGE_BYTES:
        raise Unprocessable(
            f"the message is larger than {xdomea.MAX_MESSAGE_BYTES} bytes", code="invalid_xdomea"
        )
    try:
        message = xdomea.read_import_confirmation(data)
    except xdomea.InvalidMessage as exc:
        raise Unprocessable(str(exc), code="invalid_xdomea") from None
    if message.process_id.lower() != str(export.id):
        raise Unprocessable(
            f"the message confirms process {message.process_id}, not this Abgabe ({export.id})",
            code="process_mismatch",
        )
    sent = {str(export.case_file_id), *export.document_ids}
    unknown = sorted({o.id for o in message.objects} - sent)
    if unknown:
        raise Unprocessable(
            f"the message names objects that were not in this Abgabe: {', '.join(unknown[:5])}",
            code="unknown_object",
        )
    imported = [o for o in message.objects if o.imported]
    if len(imported) == len(message.objects):
        status = ConfirmationStatus.confirmed
    else:
        status = ConfirmationStatus.partial if imported else ConfirmationStatus.rejected
    stored = storage.put_bytes(data)
    export.confirmation_sha256 = stored.sha256
    export.confirmation_status = status
    export.confirmation = {
        "version": message.version,
        "created_at": message.created_at,
        "objects": [
            {"id": o.id, "imported": o.imported, "messages": o.messages} for o in message.objects
        ],
        "missing": sorted(sent - {o.id for o in message.objects}),
    }
    export.confirmed_at = utcnow()
    session.flush()
    audit.record(
        session,
        actor,
        "records.export.confirmation",
        tenant_id=export.tenant_id,
        object_type="case_file",
        object_id=export.case_file_id,
        detail={
            "export_id": str(export.id),
            "status": status,
            "objects": len(message.objects),
            "imported": len(imported),
            "sha256": stored.sha256,
        },
    )
    return export
