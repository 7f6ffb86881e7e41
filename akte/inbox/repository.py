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


def readable_statement(principal: Principal) -> Select[Document]:
    """Posteingang items the caller sees: unfiled, unrejected documents of the Akten they
    may read (their org units, deputy periods and grants alike: filing is lent work)."""
    return document_scope.readable_statement(principal).where(
        Document.filed.is_(False), Document.rejected_at.is_(None)
    )


def rejections(session: Session, document_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The caseworker's reason per refused document among ``document_ids``."""
    if not document_ids:
        return {}
    rows = session.execute(
        select(Document.id, Document.rejection_reason).where(
            Document.id.in_(document_ids), Document.rejected_at.is_not(None)
        )
    )
    return {document_id: reason or "" for document_id, reason in rows}
