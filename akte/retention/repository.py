"""Who sees which retention rules and legal holds: the tenant's admins, their tenant's.

:func:`readable_rule_statement` and :func:`readable_hold_statement` are the only places the
scope of these two aggregates is written; lists and lookups by id start from them, so a
rule or hold of another tenant does not exist for the caller (404).
"""

from __future__ import annotations

from sqlalchemy import Select, false, select

from akte.auth.principal import Principal
from akte.retention.models import LegalHold, RetentionRule
from akte.users.models import Role


def _tenant_admin(principal: Principal) -> bool:
    return principal.role is Role.tenant_admin and principal.tenant_id is not None


def readable_rule_statement(principal: Principal) -> Select[tuple[RetentionRule]]:
    """The retention rules of the caller's tenant, for its tenant admins; none otherwise."""
    if not _tenant_admin(principal):
        return select(RetentionRule).where(false())
    return select(RetentionRule).where(RetentionRule.tenant_id == principal.tenant_id)


def readable_hold_statement(principal: Principal) -> Select[tuple[LegalHold]]:
    """The legal holds of the caller's tenant, for its tenant admins; none otherwise."""
    if not _tenant_admin(principal):
        return select(LegalHold).where(false())
    return select(LegalHold).where(LegalHold.tenant_id == principal.tenant_id)
