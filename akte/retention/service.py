"""Retention rules, legal holds, and which documents and Akten are due for deletion.

Who: tenant admins manage rules and holds and run retention. Deleting a single document
early (an ID-card copy that must not be kept) may be done by a caseworker who can read the
document (they are the ones who notice) or by a tenant admin of its tenant; a reason is
required and audited. Holds block both.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from akte.audit import service as audit
from akte.auth.principal import Principal
from akte.case_files import repository as case_files
from akte.case_files.models import CaseFile
from akte.core.database import utcnow
from akte.core.errors import Conflict, NotFound, Unprocessable
from akte.documents import repository as documents
from akte.documents.models import Document
from akte.retention import repository
from akte.retention.models import LegalHold, RetentionRule
from akte.retention.schemas import HoldCreate, RuleWrite
from akte.users.models import Role


def _admin(principal: Principal) -> uuid.UUID:
    principal.require_role(Role.tenant_admin)
    assert principal.tenant_id is not None
    return principal.tenant_id


def add_years(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year + years, day=28)


# --- rules -----------------------------------------------------------------------------


def list_rules(session: Session, principal: Principal) -> list[RetentionRule]:
    _admin(principal)
    stmt = repository.readable_rule_statement(principal)
    return list(session.scalars(stmt.order_by(RetentionRule.doc_type)))


def put_rule(session: Session, principal: Principal, *, rule_in: RuleWrite) -> RetentionRule:
    """Create or replace the rule for ``doc_type`` (``None``: the tenant's default)."""
    tenant_id = _admin(principal)
    rule = session.scalar(
        repository.readable_rule_statement(principal).where(
            RetentionRule.doc_type.is_(None)
            if rule_in.doc_type is None
            else RetentionRule.doc_type == rule_in.doc_type,
        )
    )
    if rule is None:
        rule = RetentionRule(tenant_id=tenant_id, doc_type=rule_in.doc_type)
        session.add(rule)
    rule.years, rule.after = rule_in.years, rule_in.after
    session.flush()
    audit.record(
        session,
        principal,
        "retention.rule",
        object_type="retention_rule",
        object_id=rule.id,
        detail=rule_in.model_dump(),
    )
    return rule


def delete_rule(session: Session, principal: Principal, rule_id: uuid.UUID) -> None:
    _admin(principal)
    rule = session.scalar(
        repository.readable_rule_statement(principal).where(RetentionRule.id == rule_id)
    )
    if rule is None:
        raise NotFound("rule not found")
    session.delete(rule)
    audit.record(
        session,
        principal,
        "retention.rule_delete",
        object_type="retention_rule",
        object_id=rule_id,
    )


# --- holds -----------------------------------------------------------------------------


def list_holds(session: Session, principal: Principal, *, active_only: bool) -> list[LegalHold]:
    _admin(principal)
    stmt = repository.readable_hold_statement(principal)
    if active_only:
        stmt = stmt.where(LegalHold.released_at.is_(None))
    return list(session.scalars(stmt.order_by(LegalHold.created_at)))


def create_hold(session: Session, principal: Principal, *, hold_in: HoldCreate) -> LegalHold:
    tenant_id = _admin(principal)
    if (hold_in.case_file_id is None) == (hold_in.document_id is None):
        raise Unprocessable("give exactly one of case_file_id and document_id")
    if hold_in.case_file_id is not None:
        target = session.scalar(
            case_files.administered_statement(principal).where(CaseFile.id == hold_in.case_file_id)
        )
    else:
        target = session.scalar(
            documents.retention_statement(principal).where(Document.id == hold_in.document_id)
        )
    if target is None:
        raise NotFound("Akte or document not found")
    hold = LegalHold(
        tenant_id=tenant_id,
        case_file_id=hold_in.case_file_id,
        document_id=hold_in.document_id,
        reason=hold_in.reason,
        created_by_id=principal.user_id,
    )
    session.add(hold)
    session.flush()
    audit.record(
        session,
        principal,
        "retention.hold",
        object_type="legal_hold",
        object_id=hold.id,
        detail=hold_in.model_dump(mode="json"),
    )
    return hold


def release_hold(session: Session, principal: Principal, hold_id: uuid.UUID) -> LegalHold:
    _admin(principal)
    hold = session.scalar(
        repository.readable_hold_statement(principal).where(LegalHold.id == hold_id)
    )
    if hold is None:
        raise NotFound("hold not found")
    if hold.released_at is None:
        hold.released_at = utcnow()
        audit.record(
            session, principal, "retention.release", object_type="legal_hold", object_id=hold.id
        )
    session.flush()
    return hold


def is_held(session: Session, document: Document) -> bool:
    return (
        session.scalar(
            select(LegalHold.id)
            .where(
                LegalHold.released_at.is_(None),
                or_(
                    LegalHold.document_id == document.id,
                    LegalHold.case_file_id == document.case_file_id,
                ),
            )
            .limit(1)
        )
        is not None
    )


def require_not_held(session: Session, document: Document) -> None:
    if is_held(session, document):
        raise Conflict("a legal hold blocks deleting this document", code="legal_hold")


# --- what is due -----------------------------------------------------------------------


@dataclass(frozen=True)
class DueDocument:
    document_id: uuid.UUID
    tenant_id: uuid.UUID
    case_file_id: uuid.UUID
    aktenzeichen: str
    title: str
    doc_type: str | None
    due_since: datetime
    reason: str


def due_documents(
    session: Session,
    *,
    principal: Principal | None = None,
    tenant_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> list[DueDocument]:
    """Documents whose retention period has passed and that no active hold protects.

    ``principal``: within the rules they may read (the API); without one, every tenant's
    (the retention job) or, for the operator's CLI, ``tenant_id``'s."""
    now = now or utcnow()
    rules_stmt = (
        select(RetentionRule)
        if principal is None
        else repository.readable_rule_statement(principal)
    )
    if tenant_id is not None:
        rules_stmt = rules_stmt.where(RetentionRule.tenant_id == tenant_id)
    rules: dict[tuple[uuid.UUID, str | None], RetentionRule] = {
        (r.tenant_id, r.doc_type): r for r in session.scalars(rules_stmt)
    }
    if not rules:
        return []
    held_docs = set(
        session.scalars(
            select(LegalHold.document_id).where(
                LegalHold.released_at.is_(None), LegalHold.document_id.is_not(None)
            )
        )
    )
    held_files = set(
        session.scalars(
            select(LegalHold.case_file_id).where(
                LegalHold.released_at.is_(None), LegalHold.case_file_id.is_not(None)
            )
        )
    )
    tenants = {t for t, _ in rules}
    stmt = (
        select(Document, CaseFile)
        .join(CaseFile, CaseFile.id == Document.case_file_id)
        .where(Document.tenant_id.in_(tenants))
        .order_by(Document.received_at)
    )
    due: list[DueDocument] = []
    for document, case_file in session.execute(stmt):
        if document.id in held_docs or case_file.id in held_files:
            continue
        rule = rules.get((document.tenant_id, document.doc_type)) or rules.get(
            (document.tenant_id, None)
        )
        if rule is None:
            continue
        if rule.after == "received":
            start = document.received_at
        elif case_file.status == "closed" and case_file.closed_at is not None:
            start = case_file.closed_at
        else:
            continue
        until = add_years(start, rule.years)
        if until <= now:
            kind = "Akte geschlossen" if rule.after == "closed" else "Eingang"
            due.append(
                DueDocument(
                    document_id=document.id,
                    tenant_id=document.tenant_id,
                    case_file_id=case_file.id,
                    aktenzeichen=case_file.aktenzeichen,
                    title=document.title,
                    doc_type=document.doc_type,
                    due_since=until,
                    reason=(
                        f"Aufbewahrungsfrist {rule.years} Jahre nach {kind} "
                        f"({rule.doc_type or 'Standard'}) abgelaufen am {until.date()}"
                    ),
                )
            )
    return due
