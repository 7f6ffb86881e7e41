"""What of the Posteingang a principal may see, and the reasons items were refused.

Callers use ``repository.readable_statement(...)`` through the module, so the scope
mutation test (tests/trust/test_scope_mutations.py) can replace it.
"""

from __future__ import annotations

import uuid

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from akte.auth.principal import Principal
from akte.documents import repository as document_scope
from akte.documents.models import Document
from akte.inbox.models import InboxRejection


def readable_statement(principal: Principal) -> Select[tuple[Document]]:
    """Posteingang items the caller sees: unfiled, unrejected documents of the Akten they
    may read (their org units, deputy periods and grants alike: filing is lent work)."""
    return (
        document_scope.readable_statement(principal)
        .outerjoin(InboxRejection, InboxRejection.document_id == Document.id)
        .where(Document.filed.is_(False), InboxRejection.document_id.is_(None))
    )


def rejections(session: Session, document_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The caseworker's reason per refused document among ``document_ids``."""
    if not document_ids:
        return {}
    rows = session.execute(
        select(InboxRejection.document_id, InboxRejection.reason).where(
            InboxRejection.document_id.in_(document_ids)
        )
    )
    return {document_id: reason for document_id, reason in rows}
