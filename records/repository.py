"""What a principal may read of ``records``: written once, here, from the Akte's scopes.

Redactions and exports belong to their Akte: a caller sees them exactly when they may read
the Akte (:func:`akte.case_files.repository.readable_statement`). Creating them needs
ownership, checked by the service through ``case_files.service.get_owned``.
"""

from __future__ import annotations

import uuid

from sqlalchemy import Select, false, select
from sqlalchemy.orm import Session

from akte.auth.principal import Principal
from akte.case_files import repository as case_files
from akte.case_files.models import CaseFile
from akte.documents.models import Document, DocumentStatus
from akte.users.models import Role
from records.models import Aussonderung, Export, Redaction


def _readable_akten(principal: Principal) -> Select[uuid.UUID]:
    return case_files.readable_statement(principal).with_only_columns(CaseFile.id)


def readable_redactions(principal: Principal) -> Select[Redaction]:
    return select(Redaction).where(Redaction.case_file_id.in_(_readable_akten(principal)))


def readable_exports(principal: Principal) -> Select[Export]:
    return select(Export).where(Export.case_file_id.in_(_readable_akten(principal)))


def latest_redaction(session: Session, version_id: uuid.UUID) -> Redaction | None:
    """The newest redaction of a version: the one exports use (redactions accumulate)."""
    return session.scalar(
        select(Redaction)
        .where(Redaction.version_id == version_id)
        .order_by(Redaction.created_at.desc(), Redaction.id.desc())
        .limit(1)
    )


def exportable_documents(stmt: Select[Document], case_file_id: uuid.UUID) -> Select[Document]:
    """Of a scope statement, the filed, processed documents of one Akte in Akte order
    (received first comes first, as paper is filed)."""
    return stmt.where(
        Document.case_file_id == case_file_id,
        Document.filed.is_(True),
        Document.status == DocumentStatus.ready,
    ).order_by(Document.received_at, Document.id)


def readable_aussonderungen(principal: Principal) -> Select[Aussonderung]:
    """The Aussonderungen of the caller's tenant, for its tenant admins; none otherwise
    (handing Akten to the archive is the authority's decision, not a caseworker's)."""
    if principal.role is not Role.tenant_admin or principal.tenant_id is None:
        return select(Aussonderung).where(false())
    return select(Aussonderung).where(Aussonderung.tenant_id == principal.tenant_id)
