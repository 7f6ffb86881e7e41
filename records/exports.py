"""Exports of an Akte as first-class rows: request (checks, selection, job), list, read.

Requesting needs ownership of the Akte (``Action.export``: letting an Akte out is the
responsible unit's decision; a borrower gets 403 ``lent_access``, a stranger 404). The
documents are fixed here, from the caller's own document scope
(:func:`akte.documents.repository.readable_statement`): filed and processed documents of
the Akte, in Akte order, optionally narrowed to a selection (a selected id the caller may
not read, or of another Akte, is 404 ``unknown_document`` and nothing is queued). The heavy
work runs in the job ``records.build_export``, queued in the same transaction.
"""

from __future__ import annotations

import uuid

from sqlalchemy import Select
from sqlalchemy.orm import Session

from akte.audit import service as audit
from akte.auth.permissions import Action
from akte.auth.principal import Principal
from akte.case_files import service as case_files
from akte.core.errors import NotFound, Unprocessable
from akte.documents import repository as documents
from akte.documents.models import Document
from akte.jobs.repository import enqueue
from akte.tenants.models import Tenant
from records import repository, xdomea
from records.models import Export, ExportKind
from records.schemas import ExportCreate

BUILD_TASK = "records.build_export"


def create(
    session: Session, principal: Principal, case_file_id: uuid.UUID, *, export_in: ExportCreate
) -> Export:
    case_file = case_files.get_owned(session, principal, case_file_id, Action.export)
    stmt = repository.exportable_documents(
        documents.readable_statement(principal), case_file.id
    ).with_only_columns(Document.id)
    if export_in.document_ids is not None:
        wanted = set(export_in.document_ids)
        stmt = stmt.where(Document.id.in_(sorted(wanted)))
        chosen = list(session.scalars(stmt))
        if set(chosen) != wanted:
            raise NotFound(
                "a selected document is not in this Akte, not processed yet, or "
                "not readable for you",
                code="unknown_document",
            )
    else:
        chosen = list(session.scalars(stmt))
    if not chosen:
        raise Unprocessable(
            "the Akte has no filed, processed documents to export", code="nothing_to_export"
        )
    version = None
    if export_in.kind is ExportKind.xdomea_abgabe:
        tenant = session.get(Tenant, case_file.tenant_id)
        configured = (tenant.options or {}).get("xdomea_version") if tenant else None
        version = export_in.xdomea_version or configured or xdomea.DEFAULT_VERSION
    export = Export(
        tenant_id=case_file.tenant_id,
        case_file_id=case_file.id,
        kind=export_in.kind,
        recipient=export_in.recipient,
        reference=export_in.reference,
        document_ids=[str(i) for i in chosen],
        xdomea_version=version,
        progress_total=len(chosen),
        created_by_id=principal.user_id,
    )
    session.add(export)
    session.flush()
    enqueue(session, BUILD_TASK, {"export_id": str(export.id)}, max_attempts=3)
    audit.record(
        session,
        principal,
        "records.export.create",
        object_type="case_file",
        object_id=case_file.id,
        detail={
            "export_id": str(export.id),
            "kind": export.kind,
            "recipient": export.recipient,
            "documents": len(chosen),
            "selection": export_in.document_ids is not None,
        },
    )
    return export


def list_query(session: Session, principal: Principal, case_file_id: uuid.UUID) -> Select[Export]:
    case_files.get_visible(session, principal, case_file_id)
    return (
        repository.readable_exports(principal)
        .where(Export.case_file_id == case_file_id)
        .order_by(Export.created_at.desc(), Export.id)
    )


def get_readable(session: Session, principal: Principal, export_id: uuid.UUID) -> Export:
    found = session.scalar(repository.readable_exports(principal).where(Export.id == export_id))
    if found is None:
        raise NotFound("export not found")
    return found
