"""One retention run: delete every due document, then every closed Akte left empty.

Each document is deleted in its own transaction with an audit record naming the rule
that made it due, so an interrupted run leaves a consistent state and can simply be
started again.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from akte.audit import service as audit
from akte.case_files.models import CaseFile
from akte.core.context import AppContext
from akte.core.database import session_scope, utcnow
from akte.core.errors import AkteError
from akte.documents import events
from akte.documents.models import Document
from akte.retention import service
from akte.retention.deletion import delete_document_rows, delete_unreferenced_blobs
from akte.retention.models import LegalHold


@dataclass
class RunResult:
    documents: list[uuid.UUID] = field(default_factory=list)
    case_files: list[uuid.UUID] = field(default_factory=list)
    blobs: list[str] = field(default_factory=list)
    skipped: list[uuid.UUID] = field(default_factory=list)


def execute(
    ctx: AppContext,
    due: list[service.DueDocument],
    *,
    now: datetime | None = None,
    progress: Callable[[str], None] = lambda _msg: None,
) -> RunResult:
    result = RunResult()
    touched_files: set[uuid.UUID] = set()
    for item in due:
        with session_scope(ctx.session_factory) as session:
            document = session.get(Document, item.document_id)
            if document is None or service.is_held(session, document):
                result.skipped.append(item.document_id)
                continue
            digests = delete_document_rows(
                session, None, document, reason=item.reason, action="retention.delete_document"
            )
        result.documents.append(item.document_id)
        touched_files.add(item.case_file_id)
        progress(f"gelöscht: {item.aktenzeichen} {item.title} ({item.reason})")
        try:
            result.blobs += delete_unreferenced_blobs(ctx.session_factory, ctx.storage, digests)
        except AkteError as exc:  # storage down: the queued retention.delete_blobs retries
            progress(f"  Dateien werden später gelöscht: {exc.detail}")
    for case_file_id in sorted(touched_files):
        if _delete_case_file_if_empty(ctx, case_file_id, now or utcnow()):
            result.case_files.append(case_file_id)
            progress(f"Akte gelöscht: {case_file_id}")
    return result


def _delete_case_file_if_empty(ctx: AppContext, case_file_id: uuid.UUID, now: datetime) -> bool:
    """A closed Akte whose default period has passed goes once its last document went."""
    from akte.retention.models import RetentionRule

    with session_scope(ctx.session_factory) as session:
        case_file = session.get(CaseFile, case_file_id)
        if case_file is None or case_file.status != "closed" or case_file.closed_at is None:
            return False
        remaining = session.scalar(
            select(func.count()).where(Document.case_file_id == case_file.id)
        )
        held = session.scalar(
            select(func.count()).where(
                LegalHold.case_file_id == case_file.id, LegalHold.released_at.is_(None)
            )
        )
        rule = session.scalar(
            select(RetentionRule).where(
                RetentionRule.tenant_id == case_file.tenant_id,
                RetentionRule.doc_type.is_(None),
                RetentionRule.after == "closed",
            )
        )
        if remaining or held or rule is None:
            return False
        if service.add_years(case_file.closed_at, rule.years) > now:
            return False
        audit.record(
            session,
            None,
            "retention.delete_case_file",
            object_type="case_file",
            object_id=case_file.id,
            tenant_id=case_file.tenant_id,
            detail={
                "aktenzeichen": case_file.aktenzeichen,
                "reason": f"Aufbewahrungsfrist {rule.years} Jahre nach Schließung abgelaufen",
            },
        )
        session.delete(case_file)
        session.flush()
        events.case_file_changed(session, case_file_id)  # the index forgets it too
    return True
