"""Who sees which user accounts: the one place that scope is written.

A tenant admin sees the people and service accounts of their tenant, a system admin every
account; nobody else lists accounts. Lists start from :func:`readable_statement`, so an
account of another tenant does not appear however the list is asked for.
"""

from __future__ import annotations

from sqlalchemy import Select, false, select

from akte.auth.principal import Principal
from akte.users.models import Role, User


def readable_statement(principal: Principal) -> Select[tuple[User]]:
    """The accounts the caller administers and so may list."""
    if principal.role is Role.system_admin:
        return select(User)
    if principal.role is Role.tenant_admin and principal.tenant_id is not None:
        return select(User).where(User.tenant_id == principal.tenant_id)
    return select(User).where(false())
