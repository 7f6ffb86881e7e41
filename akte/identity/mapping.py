"""Directory groups → akte role and org-unit memberships, applied to one account.

The rule, the same at every login and after every change of the mapping:

* the mappings whose ``group`` is among the person's groups apply (compared without case:
  LDAP and AD compare names that way);
* the role is the highest one they give (``tenant_admin`` over ``caseworker``); mappings that
  give only org units make a ``caseworker``;
* the permanent memberships become exactly the org units they give. Time-limited
  memberships (a Vertretung granted by an admin) are left alone: they expire by themselves;
* no mapping applies: the account loses every permanent membership and every session and
  token it holds ends (``token_generation``); the next login is refused.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from akte.identity.models import GroupMapping
from akte.users.models import Membership, Role, User

ROLE_RANK = {Role.caseworker: 1, Role.tenant_admin: 2}
MAX_GROUPS = 500


@dataclass(frozen=True)
class Access:
    role: Role
    org_unit_ids: frozenset[uuid.UUID]


def clean_groups(groups: object) -> list[str]:
    """The groups a provider sent, as a bounded list of strings (anything else: none)."""
    if isinstance(groups, str):
        groups = [groups]
    if not isinstance(groups, list):
        return []
    return sorted({g[:500] for g in groups if isinstance(g, str) and g})[:MAX_GROUPS]


def mappings_of(session: Session, provider_id: uuid.UUID) -> Sequence[GroupMapping]:
    return session.scalars(
        select(GroupMapping).where(GroupMapping.provider_id == provider_id).limit(500)
    ).all()


def resolve(mappings: Iterable[GroupMapping], groups: Iterable[str]) -> Access | None:
    have = {g.casefold() for g in groups}
    matched = [m for m in mappings if m.group.casefold() in have]
    if not matched:
        return None
    roles = [Role(m.role) for m in matched if m.role]
    role = max(roles, key=ROLE_RANK.__getitem__) if roles else Role.caseworker
    return Access(role, frozenset(m.org_unit_id for m in matched if m.org_unit_id))


def apply(session: Session, user: User, access: Access | None) -> dict[str, Any] | None:
    """Make ``user``'s role and permanent memberships what ``access`` says; the changes
    (for the audit log) or ``None`` when nothing changed."""
    permanent = set(
        session.scalars(
            select(Membership.org_unit_id).where(
                Membership.user_id == user.id, Membership.valid_until.is_(None)
            )
        )
    )
    wanted = access.org_unit_ids if access else frozenset()
    removed, added = permanent - wanted, wanted - permanent
    changes: dict[str, Any] = {}
    if removed:
        session.execute(
            delete(Membership).where(
                Membership.user_id == user.id, Membership.org_unit_id.in_(removed)
            )
        )
        changes["org_units_removed"] = sorted(str(u) for u in removed)
    if added:
        # a time-limited membership in a unit the directory now gives becomes permanent
        session.execute(
            delete(Membership).where(
                Membership.user_id == user.id, Membership.org_unit_id.in_(added)
            )
        )
        session.add_all(Membership(user_id=user.id, org_unit_id=u) for u in added)
        changes["org_units_added"] = sorted(str(u) for u in added)
    if access is not None and user.role != access.role.value:
        changes["role"] = [user.role, access.role.value]
        user.role = access.role.value
    if access is None:
        user.token_generation = (user.token_generation or 0) + 1
        changes["sessions_ended"] = True
    session.flush()
    return changes or None
